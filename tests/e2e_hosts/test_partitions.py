"""A host cut off under load, then healed. The endorsement policy is AND(Bank, OR(Platform, Auditor)):

- without the bank's host no write can be endorsed: writes fail fast with 503, reads on the other hosts go on;
- without the platform's host the bank and the auditor still endorse: writes go on.

Before each cut, the cut org's orderer is made the Raft leader, so the cut always moves the leadership. After
the heal every request has exactly one outcome, every peer has the same height and balances, and the supply
invariant holds.
"""

from __future__ import annotations

import time
import uuid

from network.health import metric, poll
from network.netns import NetnsRuntime
from network.network import Network
from network.topology import Org
from tests.e2e.conftest import Api, deposits
from tests.e2e.load import Request, TransferLoad, summarise

FAIL_FAST = 5.0  # seconds: the peer's Gateway gives up on an endorser after 3 s (network.nodes)
# A write without the platform: the bank's peer may first try the cut orderer (3 s), and take its blocks from
# another orderer once keepalive declares its own silent (4 s); measured 8 s.
WITHOUT_PLATFORM = 20.0
GOSSIP_EXPIRY = 6.0  # after this a cut peer is known dead, and a write that needs it is refused at once


class MintLoad(TransferLoad):
    """Mints by the bank's issuer into one account, each against its own reserve reference."""

    path = "/v1/mints"

    def body(self, req: Request) -> dict[str, str]:
        return {"account": req.payee, "currency": "USD", "amount": req.amount, "reserve_ref": f"RES-{req.key}"}


def _leader(network: Network, orgs: list[Org]) -> str | None:
    for org in orgs:
        v = metric(org.orderer.ops_port, "consensus_etcdraft_is_leader", {"channel": network.topology.channel})
        if v is not None and v.startswith("1"):
            return org.orderer.id
    return None


def _wait_leader(network: Network, orgs: list[Org], timeout: float = 30.0) -> str:
    found: list[str | None] = [None]

    def elected() -> bool:
        found[0] = _leader(network, orgs)
        return found[0] is not None

    assert poll(elected, timeout, 0.2) and found[0] is not None, f"no Raft leader among {[o.name for o in orgs]}"
    return found[0]


def _make_leader(network: Network, netns: NetnsRuntime, target: Org) -> None:
    """Cut whoever leads until target's orderer does (each cut hands the leadership to one of the others).

    Each cut is a coin toss between the two that remain, so tries are many: 6 missed once in CI (1 in 64);
    20 miss about once in a million, and the expected number of cuts is still two."""
    orgs = list(network.topology.orgs)
    for _ in range(20):
        leader = _wait_leader(network, orgs)
        if leader == target.orderer.id:
            return
        cut = next(o for o in orgs if o.orderer.id == leader)
        netns.partition(cut.name)
        try:
            _wait_leader(network, [o for o in orgs if o is not cut])
        finally:
            netns.heal(cut.name)
        network.wait_peers_in_sync(60)
    raise AssertionError(f"{target.orderer.id} never became the Raft leader")


def _open(apis: dict[str, Api], holder: str, run: str, fund: str | None = None) -> str:
    account = f"{holder.split('/')[1]}-{run}-{uuid.uuid4().hex[:4]}"
    bank = apis["BankOrg/issuer"]
    bank.ok("POST", "/v1/accounts", {"id": account, "holder": holder, "kyc_ref": f"KYC-{run}"})
    if fund is not None:
        mint = {"account": account, "currency": "USD", "amount": fund, "reserve_ref": f"RES-{account}"}
        bank.ok("POST", "/v1/mints", mint)
    return account


def _minor(balance: str) -> int:
    whole, _, cents = balance.partition(".")
    return int(whole) * 100 + int(cents or 0)


def _balances(network: Network, apis: dict[str, Api], readers: list[str], accounts: list[str]) -> list[list[int]]:
    """Each reader's view (each reads its own org's peer) of the accounts' USD balances, once peers agree."""
    network.wait_peers_in_sync(60)
    return [[_minor(apis[r].ok("GET", f"/v1/accounts/{a}")["balances"]["USD"]) for a in accounts] for r in readers]


def _orderers_agree(network: Network, timeout: float = 30.0) -> None:
    """Every orderer at one height (the healed one replicates what the others ordered meanwhile)."""
    heights: set[int | None] = set()

    def same() -> bool:
        heights.clear()
        heights.update(network.orderer_height(o) for o in network.topology.orgs)
        return len(heights) == 1 and None not in heights

    assert poll(same, timeout, 0.5), f"orderers' heights differ after {timeout:.0f}s: {heights}"


def _read_fast(api: Api, account: str) -> None:
    started = time.monotonic()
    r = api.get(f"/v1/accounts/{account}")
    took = time.monotonic() - started
    assert r.status_code == 200 and took < 3.0, f"{api.ref} read {r.status_code} in {took:.1f}s: {r.text[:200]}"


def _settled(requests: list[Request]) -> None:
    unfinished = [(r.key, [a.outcome for a in r.attempts]) for r in requests if r.status != 201]
    assert not unfinished, f"requests without a 201: {unfinished[:5]}"


def _assert_invariant(apis: dict[str, Api]) -> None:
    supply = apis["AuditorOrg/auditor"].ok("GET", "/v1/supply")
    assert all(f["invariant_holds"] for f in supply.values()), supply


READERS = ["BankOrg/issuer", "PlatformOrg/operator", "AuditorOrg/auditor"]  # one per org's peer


def test_the_bank_cut_off_writes_fail_fast_reads_go_on_and_all_catch_up(
    network: Network, netns_runtime: NetnsRuntime, apis: dict[str, Api]
) -> None:
    bank, others = network.topology.org("BankOrg"), [network.topology.org(n) for n in ("PlatformOrg", "AuditorOrg")]
    run = uuid.uuid4().hex[:6]
    payers = [_open(apis, "PlatformOrg/buyer-us", run, fund="1000.00") for _ in range(2)]
    payee = _open(apis, "PlatformOrg/seller-cn", run)
    before = _balances(network, apis, READERS, [*payers, payee])[0]
    _make_leader(network, netns_runtime, bank)

    buyer = apis["PlatformOrg/buyer-us"]
    load = TransferLoad(buyer.url, buyer.api_key, payers, payee, give_up_after=90).start()
    probes: list[Request] = []
    try:
        time.sleep(2)
        deposits(network.layout.root, "network", "partition", "BankOrg")
        cut_at, fault_at = time.monotonic(), load.now()
        assert netns_runtime.cut_off() == {"BankOrg"}
        try:
            req, r, took = load.probe(payers[0])
            probes.append(req)
            assert r.status_code == 503 and took < FAIL_FAST, f"write during the cut: {r.status_code} in {took:.1f}s"
            _read_fast(apis["PlatformOrg/operator"], payee)
            _read_fast(apis["AuditorOrg/auditor"], payee)
            leader = _wait_leader(network, others, timeout=20)
            print(f"bank cut: a write 503 in {took:.1f}s; {leader} leads {time.monotonic() - cut_at:.1f}s after")
            time.sleep(max(0.0, cut_at + GOSSIP_EXPIRY + 1 - time.monotonic()))
            req, r, took = load.probe(payers[1])
            probes.append(req)
            assert r.status_code == 503 and r.json()["code"] == "LEDGER_UNAVAILABLE"
            assert took < 1.0, f"once the bank's peer is known gone, a write is refused at once (took {took:.1f}s)"
            _read_fast(apis["AuditorOrg/auditor"], payers[1])
        finally:
            deposits(network.layout.root, "network", "heal", "BankOrg")
            healed_at = time.monotonic()
        assert netns_runtime.cut_off() == set()
        for req in probes:
            load.settle(req)  # their clients retry with the same key, as any client of a 503 does
    finally:
        requests = load.stop()
    _settled(requests)
    assert len(requests) > len(probes), "the load sent nothing"
    views = _balances(network, apis, READERS, [*payers, payee])
    caught_up = time.monotonic() - healed_at
    print(f"bank healed: peers agree {caught_up:.1f}s after; {summarise(requests, fault_at).line()}")
    assert views[0] == views[1] == views[2], f"peers disagree: {views}"
    # Exactly once: the payee gained what the requests paid, the payers lost it.
    paid = sum(r.minor for r in requests)
    assert views[0][2] - before[2] == paid
    assert sum(before[:2]) - sum(views[0][:2]) == paid
    _orderers_agree(network)
    _assert_invariant(apis)


def test_the_platform_cut_off_the_bank_and_auditor_still_endorse_and_all_catch_up(
    network: Network, netns_runtime: NetnsRuntime, apis: dict[str, Api]
) -> None:
    platform = network.topology.org("PlatformOrg")
    others = [network.topology.org(n) for n in ("BankOrg", "AuditorOrg")]
    run = uuid.uuid4().hex[:6]
    account = _open(apis, "PlatformOrg/buyer-us", run)
    before = _balances(network, apis, READERS, [account])[0]
    _make_leader(network, netns_runtime, platform)

    issuer = apis["BankOrg/issuer"]
    load = MintLoad(issuer.url, issuer.api_key, [account, account], account, give_up_after=90).start()
    try:
        time.sleep(2)
        netns_runtime.partition("PlatformOrg")
        cut_at, fault_at = time.monotonic(), load.now()
        try:
            _read_fast(apis["BankOrg/issuer"], account)
            _read_fast(apis["AuditorOrg/auditor"], account)
            leader = _wait_leader(network, others, timeout=20)
            print(f"platform cut: {leader} leads {time.monotonic() - cut_at:.1f}s after")
            time.sleep(max(0.0, cut_at + GOSSIP_EXPIRY + 1 - time.monotonic()))
            req, r, took = load.probe(account)
            assert r.status_code == 201, f"a mint with the platform cut off: {r.status_code} {r.text[:200]}"
            assert took < WITHOUT_PLATFORM, f"a mint endorsed by the bank and the auditor took {took:.1f}s"
            print(f"platform cut: a mint endorsed by the bank and the auditor committed in {took:.1f}s")
            load.settle(req)  # the same key again: the same answer, nothing minted twice
            committed_during = [q for q in load.requests if q.status == 201 and (q.finished_at or 0) > load.now() - 3]
            assert committed_during, "no write committed with the platform cut off"
        finally:
            netns_runtime.heal("PlatformOrg")
            healed_at = time.monotonic()
        time.sleep(2)  # writes after the heal, with the platform back among the endorsers
    finally:
        requests = load.stop()
    _settled(requests)
    views = _balances(network, apis, READERS, [account])
    caught_up = time.monotonic() - healed_at
    print(f"platform healed: peers agree {caught_up:.1f}s after; {summarise(requests, fault_at).line()}")
    assert views[0] == views[1] == views[2], f"peers disagree: {views}"
    assert views[0][0] - before[0] == sum(r.minor for r in requests)
    _orderers_agree(network)
    _assert_invariant(apis)
