"""Our Fabric Gateway client against the live peers: errors typed by the step that failed, with the
transaction id and per-node details, and the double-spend race settled at commit (never an overdraft)."""

from __future__ import annotations

import json
import uuid

import grpc
import pytest

from chaincode import protocol
from gateway import fabric
from gateway.directory import Directory
from network.network import Network

ISSUER, BUYER, SELLER = "BankOrg/issuer", "PlatformOrg/buyer-us", "PlatformOrg/seller-cn"
CONFLICTS = {"MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"}


def _rid() -> str:
    return uuid.uuid4().hex


def _open(network: Network, contracts: dict[str, fabric.Contract], holder: str, minor: int) -> str:
    acct = f"fc-{uuid.uuid4().hex[:10]}"
    org = network.topology.org(holder.split("/")[0])
    ident = Directory(network.topology, network.layout, org).holder(holder)
    assert ident is not None
    for args in (
        protocol.OpenAccount(acct, *ident, "KYC", _rid()),
        protocol.Mint(acct, "USD", minor, f"R-{_rid()}", _rid()) if minor else None,
    ):
        if args is not None:
            contracts[ISSUER].submit_transaction(args.FUNCTION.value, [args.to_json()])
    return acct


def test_an_endorse_error_carries_the_tx_id_the_grpc_code_and_each_peers_words(
    contracts: dict[str, fabric.Contract],
) -> None:
    proposal = contracts[BUYER].new_proposal("transfer", [b"{}"])
    with pytest.raises(fabric.EndorseError) as info:
        proposal.endorse()
    err = info.value
    assert err.transaction_id == proposal.transaction_id and len(err.transaction_id) == 64
    assert err.code == grpc.StatusCode.ABORTED
    assert err.details and all(d.address and d.msp_id for d in err.details)
    assert err.chaincode_code == "INVALID_ARGUMENT"


def test_an_evaluate_error_is_typed_too(contracts: dict[str, fabric.Contract]) -> None:
    with pytest.raises(fabric.EvaluateError) as info:
        contracts["AuditorOrg/auditor"].evaluate_transaction("get_account", [b'{"account_id":"nobody-here"}'])
    assert info.value.chaincode_code == "UNKNOWN_ACCOUNT"


def test_two_debits_endorsed_on_the_same_state_one_commits_the_other_is_invalid(
    network: Network, contracts: dict[str, fabric.Contract]
) -> None:
    payer, payee = _open(network, contracts, BUYER, 1_000), _open(network, contracts, SELLER, 0)
    network.wait_peers_in_sync()
    # Each alone is covered by the balance; together they would overdraw it.
    txs = [
        contracts[BUYER]
        .new_proposal("transfer", [protocol.Transfer(payer, payee, "USD", 700, "INV", _rid()).to_json()])
        .endorse()
        for _ in range(2)
    ]
    commits = [tx.submit() for tx in txs]
    statuses = [c.get_status() for c in commits]
    valid = [s for s in statuses if s.successful]
    invalid = [s for s in statuses if not s.successful]
    assert len(valid) == 1 and invalid[0].code_name in CONFLICTS
    network.wait_peers_in_sync()
    q = protocol.GetAccount(payer)
    acct = json.loads(contracts["AuditorOrg/auditor"].evaluate_transaction(q.FUNCTION.value, [q.to_json()]))
    assert acct["balances"]["USD"] == 300
    # A transaction endorsed before another debit committed is stale: it commits invalid.
    tx = contracts[BUYER].new_proposal("transfer", [protocol.Transfer(payer, payee, "USD", 100, "I", _rid()).to_json()])
    stale = tx.endorse()
    contracts[BUYER].submit_transaction(
        "transfer", [protocol.Transfer(payer, payee, "USD", 100, "I", _rid()).to_json()]
    )
    status = stale.submit().get_status()
    assert not status.successful and status.code_name in CONFLICTS
