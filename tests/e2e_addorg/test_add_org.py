"""Item 3 of issue 14 on the live network: EuroBankOrg joins the running channel under a load of transfers.

The load's client retries 503/504 with the same Idempotency-Key until each request has its final answer;
afterwards every request is committed exactly once (one transaction each, replays answer the same, balances
moved by exactly the committed amounts) on every peer, the new peer's included.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from chaincode import protocol
from gateway import fabric
from network.clients import connect_as as connect_to
from network.layout import Layout
from network.network import Network
from tests.e2e.conftest import Api, connect_as, deposits, new_id
from tests.e2e.load import TransferLoad, summarise

WORKERS = 4
PAYER = "PlatformOrg/buyer-us"


def _apis(net: Network) -> dict[str, Api]:
    return {i["ref"]: Api(i["ref"], gw["url"], i["api_key"]) for gw in net.gateways_status() for i in gw["identities"]}


def _balance(contract: fabric.Contract, account: str) -> int:
    q = protocol.GetAccount(account)
    return int(json.loads(contract.evaluate_transaction(q.FUNCTION.value, [q.to_json()]))["balances"]["USD"])


def test_a_second_bank_joins_the_running_channel_under_load(founders: Network, data_dir: Path) -> None:
    apis = _apis(founders)
    bank = apis["BankOrg/issuer"]
    payers = [new_id("join-payer") for _ in range(WORKERS)]
    payee = new_id("join-payee")
    for acct, holder in [*((p, PAYER) for p in payers), (payee, "PlatformOrg/seller-cn")]:
        bank.ok("POST", "/v1/accounts", {"id": acct, "holder": holder, "kyc_ref": f"KYC-{acct}"})
    for p in payers:
        bank.ok("POST", "/v1/mints", {"account": p, "currency": "USD", "amount": "5000.00", "reserve_ref": new_id("R")})
    founders.wait_peers_in_sync()
    sequence_before = founders.chaincode.committed()
    assert sequence_before is not None

    buyer = apis[PAYER]
    load = TransferLoad(buyer.url, buyer.api_key, payers, payee).start()
    try:
        time.sleep(2.0)
        started = load.now()
        result = deposits(data_dir, "network", "add-org", "EuroBankOrg", check=False)
        joined_at = load.now()
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-4000:]
        time.sleep(2.0)
    finally:
        requests = load.stop()
    summary = summarise(requests, started)
    print(f"\n[add-org] took {joined_at - started:.1f} s under load: {summary.line()}\n{result.stderr}")

    # The channel now has four members and four consenters; every node runs.
    joined = Network.open(Layout(data_dir))
    euro = joined.topology.org("EuroBankOrg")
    status = joined.status()
    assert status["channel"]["members"] == ["AuditorMSP", "BankMSP", "EuroBankMSP", "PlatformMSP"]
    assert sorted(status["channel"]["consenters"]) == sorted(f"127.0.0.1:{o.port}" for o in joined.topology.orderers)
    assert all(n["running"] and n["health"] == "OK" for n in status["nodes"]), status["nodes"]
    after = joined.chaincode.committed()
    assert after is not None and after.sequence == sequence_before.sequence + 1
    assert after.version == sequence_before.version
    assert httpx.get(f"http://127.0.0.1:{euro.gateway_port}/healthz", timeout=10).status_code == 200

    # No request lost: each has one final answer, 201, its own transaction, and replays answer the same.
    unsettled = [r for r in requests if r.status != 201]
    assert not unsettled, [(r.key, r.status, r.body, [a.outcome for a in r.attempts]) for r in unsettled[:5]]
    tx_ids = [str((r.body or {})["tx_id"]) for r in requests]
    assert len(set(tx_ids)) == len(tx_ids)
    assert summary.committed >= 2 * WORKERS, summary.line()
    for r in requests[:: max(1, len(requests) // 20)]:
        body = {"from": r.payer, "to": r.payee, "currency": "USD", "amount": r.amount, "reference": "INV-LOAD"}
        again = buyer.post("/v1/transfers", body, key=r.key)
        assert again.status_code == 201 and again.json()["tx_id"] == (r.body or {})["tx_id"], again.text

    # Committed exactly once, as every peer holds it — the new one, which replayed the ledger, included.
    joined.wait_peers_in_sync(60)
    paid = {p: sum(r.minor for r in requests if r.payer == p) for p in payers}
    readers = [(joined.topology.org("AuditorOrg"), "auditor")]
    gateways = [connect_as(joined, org, name) for org, name in readers]
    # The auditor reads through EuroBankOrg's peer too: that peer's own copy of the ledger.
    gateways.append(connect_to(joined.layout, joined.topology.org("AuditorOrg"), "auditor", euro))
    try:
        for gw in gateways:
            contract = gw.get_network(joined.topology.channel).get_contract(joined.topology.chaincode.name)
            for p in payers:
                assert _balance(contract, p) == 500000 - paid[p]
            assert _balance(contract, payee) == sum(paid.values())
    finally:
        for gw in gateways:
            gw.close()
    for api in apis.values():
        api.http.close()
