"""Exactly once across a gateway crash, on the live network: the write was endorsed and its envelope
reached the orderer, but the gateway died before it learnt the outcome. A retry with the same
Idempotency-Key (by a new process on the same database) must settle THAT transaction, not make another."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaincode import protocol
from gateway import fabric
from gateway.directory import Caller, Directory
from gateway.errors import CommitUnknown
from gateway.fabric_ledger import FabricLedger, PeerEndpoint
from gateway.idempotency import IdempotencyStore
from gateway.ledger import TxStatus
from gateway.service import WriteService
from network.network import Network
from tests.e2e.conftest import Apis, connect_as, new_id


class CrashAfterSubmit(FabricLedger):
    """Submits the envelope to the orderer for real, then 'crashes' before asking for the commit."""

    def __init__(self, peer: PeerEndpoint, gateway: fabric.Gateway, channel: str) -> None:
        super().__init__(peer)
        self._raw = gateway.get_network(channel)

    def submit(self, caller: Caller, envelope: bytes, wait: int | None = None) -> TxStatus:
        self._raw.new_transaction(envelope).submit()
        raise CommitUnknown("the gateway process died here")


def test_retry_after_a_crash_between_submit_and_commit_applies_once(
    network: Network, apis: Apis, tmp_path: Path
) -> None:
    buyer, seller = new_id("crash-buyer"), new_id("crash-seller")
    for acct, holder in ((buyer, "PlatformOrg/buyer-us"), (seller, "PlatformOrg/seller-cn")):
        apis["BankOrg/issuer"].ok("POST", "/v1/accounts", {"id": acct, "holder": holder, "kyc_ref": "KYC"})
    apis["BankOrg/issuer"].ok(
        "POST", "/v1/mints", {"account": buyer, "currency": "USD", "amount": "10.00", "reserve_ref": new_id("R")}
    )
    org = network.topology.org("PlatformOrg")
    peer = PeerEndpoint.of_org(network.layout, network.topology, org)
    caller = next(c for c in Directory(network.topology, network.layout, org).callers if c.name == "buyer-us")
    store = tmp_path / "idempotency.sqlite3"

    def build(rid: str) -> protocol.Args:
        return protocol.Transfer(buyer, seller, "USD", 250, "INV-CRASH", rid)

    with connect_as(network, org, caller.name) as gw:
        crashing = CrashAfterSubmit(peer, gw, network.topology.channel)
        with pytest.raises(CommitUnknown):
            WriteService(crashing, IdempotencyStore(store)).write(caller, "crash-key", build, lambda r, s: {})
        crashing.close()

    crashed = IdempotencyStore(store).get(caller.ref, "crash-key")
    assert crashed is not None and crashed.tx_id is not None and not crashed.done
    restarted = FabricLedger(peer)
    try:
        out = WriteService(restarted, IdempotencyStore(store)).write(caller, "crash-key", build, lambda r, s: {})
        again = WriteService(restarted, IdempotencyStore(store)).write(caller, "crash-key", build, lambda r, s: {})
    finally:
        restarted.close()
    assert out.status == 201 and out.body["tx_id"] == crashed.tx_id  # that transaction, not a new one
    assert again.replayed and again.body == out.body
    apis.sync()
    balances = apis["AuditorOrg/auditor"].ok("GET", f"/v1/accounts/{seller}")["balances"]
    assert balances["USD"] == "2.50"
