"""What an add-org test checks, on one host (tests/e2e_addorg) and across hosts (tests/e2e_hosts).

- EuroBankOrg joins under a load of transfers through PlatformOrg's gateway, and no request is lost: each has
  one final 201, its own transaction, replays answer the same, and every peer (the new one included) holds
  balances moved by exactly the committed amounts.
- The new bank's EUR is committed with its own peer among the endorsers; a mint of an instrument endorsed
  without its issuing bank's peer is refused at validation (ENDORSEMENT_POLICY_FAILURE) and changes nothing.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from dataclasses import dataclass

import pytest

from chaincode import protocol
from gateway import fabric
from network.clients import connect_as
from network.network import Network
from tests.e2e.conftest import Api, deposits, new_id
from tests.e2e.load import Request, Summary, TransferLoad, summarise

JOINING = "EuroBankOrg"
EUROBANK_EUR = "EUR@EuroBankMSP"
PAYER = "PlatformOrg/buyer-us"
FUNDING = 500_000  # minor units of USD each payer starts with


def apis_of(net: Network) -> dict[str, Api]:
    """An HTTP client per dev identity of every org's gateway in net's view (close their `http` after use)."""
    return {i["ref"]: Api(i["ref"], gw["url"], i["api_key"]) for gw in net.gateways_status() for i in gw["identities"]}


def contract_of(net: Network, gw: fabric.Gateway) -> fabric.Contract:
    return gw.get_network(net.topology.channel).get_contract(net.topology.chaincode.name)


def balances(reader: fabric.Contract, account: str) -> dict[str, int]:
    """account's balances by instrument code, in minor units, as reader's peer holds them."""
    q = protocol.GetAccount(account)
    raw = reader.evaluate_transaction(q.FUNCTION.value, [q.to_json()])
    return {code: int(minor) for code, minor in json.loads(raw)["balances"].items()}


@dataclass
class JoinUnderLoad:
    """One `deposits network add-org` run under load: what the command said and every request the load sent."""

    result: subprocess.CompletedProcess[str]
    requests: list[Request]
    summary: Summary
    took: float  # seconds the command ran
    payers: list[str]
    payee: str


def _open_and_fund(bank: Api, workers: int) -> tuple[list[str], str]:
    """`workers` payers holding FUNDING each and one payee, opened by the founding bank's issuer."""
    payers = [new_id("join-payer") for _ in range(workers)]
    payee = new_id("join-payee")
    for acct, holder in [*((p, PAYER) for p in payers), (payee, "PlatformOrg/seller-cn")]:
        bank.ok("POST", "/v1/accounts", {"id": acct, "holder": holder, "kyc_ref": f"KYC-{acct}"})
    funding = f"{FUNDING // 100}.{FUNDING % 100:02d}"
    for p in payers:
        bank.ok("POST", "/v1/mints", {"account": p, "currency": "USD", "amount": funding, "reserve_ref": new_id("R")})
    return payers, payee


def join_under_load(founders: Network, workers: int, *, give_up_after: float = 120.0) -> JoinUnderLoad:
    """Fund `workers` payers, have them pay one payee through PlatformOrg's gateway, run add-org EuroBankOrg
    meanwhile, then stop the load once every request sent has its final answer."""
    apis = apis_of(founders)
    try:
        payers, payee = _open_and_fund(apis["BankOrg/issuer"], workers)
        buyer = apis[PAYER]
        url, key = buyer.url, buyer.api_key
    finally:
        for api in apis.values():
            api.http.close()
    founders.wait_peers_in_sync()
    load = TransferLoad(url, key, payers, payee, give_up_after=give_up_after).start()
    try:
        time.sleep(2.0)
        started = load.now()
        result = deposits(founders.layout.root, "network", "add-org", JOINING, check=False)
        took = load.now() - started
        time.sleep(2.0)  # writes after the join, with the new definition in force
    finally:
        requests = load.stop()
    return JoinUnderLoad(result, requests, summarise(requests, started), took, payers, payee)


def assert_joined(run: JoinUnderLoad) -> None:
    assert run.result.returncode == 0 and "Traceback" not in run.result.stderr, run.result.stderr[-4000:]
    print(f"\n[add-org] took {run.took:.1f} s under load: {run.summary.line()}\n{run.result.stderr}")


def assert_no_request_lost(joined: Network, run: JoinUnderLoad) -> None:
    """Each request has one final answer, 201, and its own transaction, and replays answer the same; every
    peer moved exactly what committed."""
    apis = apis_of(joined)
    try:
        _assert_each_request_committed_once(run, apis[PAYER])
    finally:
        for api in apis.values():
            api.http.close()
    _assert_every_peer_moved_exactly_what_committed(joined, run)


def _assert_each_request_committed_once(run: JoinUnderLoad, payer: Api) -> None:
    """Each request has one final answer, 201, and its own transaction; replays (a sample, sent again with
    their keys through payer's gateway) answer the same transaction."""
    unsettled = [r for r in run.requests if r.status != 201]
    assert not unsettled, [(r.key, r.status, r.body, [a.outcome for a in r.attempts]) for r in unsettled[:5]]
    tx_ids = [str((r.body or {})["tx_id"]) for r in run.requests]
    assert len(set(tx_ids)) == len(tx_ids)
    assert run.summary.committed >= 2 * len(run.payers), run.summary.line()
    for r in run.requests[:: max(1, len(run.requests) // 20)]:
        body = {"from": r.payer, "to": r.payee, "currency": "USD", "amount": r.amount, "reference": "INV-LOAD"}
        again = payer.post("/v1/transfers", body, key=r.key)
        assert again.status_code == 201 and again.json()["tx_id"] == (r.body or {})["tx_id"], again.text


def _assert_every_peer_moved_exactly_what_committed(joined: Network, run: JoinUnderLoad) -> None:
    """Read as the auditor through every org's peer (the new one replayed the ledger): each payer lost, and the
    payee gained, exactly what committed."""
    joined.wait_peers_in_sync(60)
    paid = {p: sum(r.minor for r in run.requests if r.payer == p) for p in run.payers}
    auditor = joined.topology.org("AuditorOrg")
    for peer_org in joined.topology.orgs:
        gw = connect_as(joined.layout, auditor, "auditor", peer_org)
        try:
            reader = contract_of(joined, gw)
            for p in run.payers:
                assert balances(reader, p)["USD"] == FUNDING - paid[p], f"{p} on {peer_org.peer.id}"
            assert balances(reader, run.payee)["USD"] == sum(paid.values()), f"payee on {peer_org.peer.id}"
        finally:
            gw.close()


def eur_mint(issuer: str, account: str, minor: int) -> protocol.Mint:
    """A mint of issuer's EUR (issuer: its bank's MSP ID) into account."""
    rid = uuid.uuid4().hex
    return protocol.Mint(account, "EUR", minor, f"RES-{rid[:12]}", rid, issuer=issuer)


def assert_endorsed_by(net: Network, tx_id: str, msp_id: str) -> None:
    """The transaction committed VALID with msp_id's peer among its endorsers (as that org's admin reads it)."""
    gw = connect_as(net.layout, net.topology.org(msp_id), "admin")
    try:
        committed = gw.get_network(net.topology.channel).get_transaction(tx_id)
    finally:
        gw.close()
    assert committed.code_name == "VALID"
    assert msp_id in committed.endorsers, committed.endorsers


def assert_refused_without_the_issuers_peer(
    net: Network, minter: fabric.Contract, reader: fabric.Contract, issuer: str, endorsers: list[str], account: str
) -> None:
    """A mint of issuer's EUR by issuer's own issuer (minter), endorsed by `endorsers` only: both peers run the
    contract and sign, and the chaincode's policy (a bank's peer and a non-bank's) is met; the key-level policy
    on the bank's issuance key refuses it at validation, and no balance changes."""
    net.wait_peers_in_sync(60)
    before = balances(reader, account)
    mint = eur_mint(issuer, account, 500)
    with pytest.raises(fabric.CommitError) as info:
        minter.submit_transaction(mint.FUNCTION.value, [mint.to_json()], endorsing_organizations=endorsers)
    assert info.value.code_name == "ENDORSEMENT_POLICY_FAILURE"
    net.wait_peers_in_sync(60)
    assert balances(reader, account) == before
