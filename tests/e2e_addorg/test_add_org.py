"""Item 3 of issue 14 on the live network: EuroBankOrg joins the running channel under a load of transfers.

The load's client retries 503/504 with the same Idempotency-Key until each request has its final answer;
afterwards every request is committed exactly once (one transaction each, replays answer the same, balances
moved by exactly the committed amounts) on every peer, the new peer's included (tests/e2e_addorg/joining.py).
"""

from __future__ import annotations

import httpx

from network.layout import Layout
from network.network import Network
from tests.e2e_addorg.joining import (
    JOINING,
    assert_joined,
    assert_no_request_lost,
    join_under_load,
)

WORKERS = 4


def test_a_second_bank_joins_the_running_channel_under_load(founders: Network) -> None:
    sequence_before = founders.chaincode.committed()
    assert sequence_before is not None
    run = join_under_load(founders, WORKERS)
    assert_joined(run)

    # The channel now has four members and four consenters; every node runs.
    joined = Network.open(Layout(founders.layout.root))
    euro = joined.topology.org(JOINING)
    status = joined.status()
    assert status["channel"]["members"] == ["AuditorMSP", "BankMSP", "EuroBankMSP", "PlatformMSP"]
    assert sorted(status["channel"]["consenters"]) == sorted(f"127.0.0.1:{o.port}" for o in joined.topology.orderers)
    assert all(n["running"] and n["health"] == "OK" for n in status["nodes"]), status["nodes"]
    after = joined.chaincode.committed()
    assert after is not None and after.sequence == sequence_before.sequence + 1
    assert after.version == sequence_before.version
    assert httpx.get(f"http://127.0.0.1:{euro.gateway_port}/healthz", timeout=10).status_code == 200

    assert_no_request_lost(joined, run)
