"""The fault matrix (issue 8), on the live network: each fault strikes under a load of transfers whose client
retries 503/504 with the same Idempotency-Key until it has a final answer, then `deposits network up` heals it.

After each fault: every request has exactly one outcome and was committed at most once (its replay gives the
same transaction; the balances moved by exactly the committed amounts, on every peer); the supply invariant
holds; all peers reach the same height. What clients saw is written to `<data dir>/fault-matrix.jsonl` (and
the terminal with -s), from which the README's table is made.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chaincode import protocol
from gateway import fabric
from network.chaincode_deploy import chaincode_server_name
from network.endpoints import gateway_name
from network.health import poll
from network.network import Network
from tests.e2e.conftest import Apis, deposits, new_id
from tests.e2e.load import Request, TransferLoad, summarise

WORKERS = 6
BEFORE, HOLD, AFTER = 2.0, 4.0, 2.0  # seconds of load before the fault, with the node down, after healing
PAYER = "PlatformOrg/buyer-us"
# One reader per org, each asking its own org's peer.
READERS = ("BankOrg/issuer", "PlatformOrg/operator", "AuditorOrg/auditor")


@dataclass(frozen=True)
class Accounts:
    payers: list[str]
    payee: str


@pytest.fixture(scope="module")
def accounts(apis: Apis) -> Accounts:
    bank = apis["BankOrg/issuer"]
    payers = [new_id("fault-payer") for _ in range(WORKERS)]
    payee = new_id("fault-payee")
    for acct, holder in [*((p, PAYER) for p in payers), (payee, "PlatformOrg/seller-cn")]:
        bank.ok("POST", "/v1/accounts", {"id": acct, "holder": holder, "kyc_ref": f"KYC-{acct}"})
    for p in payers:
        bank.ok("POST", "/v1/mints", {"account": p, "currency": "USD", "amount": "5000.00", "reserve_ref": new_id("R")})
    return Accounts(payers, payee)


def kill(network: Network, name: str) -> None:
    pid = network.runtime.pid(name)
    assert pid is not None, f"{name} is not running"
    os.killpg(pid, signal.SIGKILL)
    assert poll(lambda: not network.runtime.running(name), 10), f"{name} survived SIGKILL"


def kill_leader(network: Network) -> list[str]:
    leader = network.wait_for_leader()
    kill(network, leader)
    return [leader]


def kill_follower(network: Network) -> list[str]:
    leader = network.wait_for_leader()
    follower = next(o.id for o in network.topology.orderers if o.id != leader)
    kill(network, follower)
    return [follower]


def kill_quorum(network: Network) -> list[str]:
    leader = network.wait_for_leader()
    follower = next(o.id for o in network.topology.orderers if o.id != leader)
    for name in (leader, follower):
        kill(network, name)
    return [leader, follower]


def kill_peer(org: str) -> Callable[[Network], list[str]]:
    def inject(network: Network) -> list[str]:
        name = network.topology.org(org).peer.id
        kill(network, name)
        return [name]

    return inject


def kill_chaincode_server(org: str) -> Callable[[Network], list[str]]:
    def inject(network: Network) -> list[str]:
        name = chaincode_server_name(network.topology.org(org))
        kill(network, name)
        return [name]

    return inject


def _in_flight(db: Path) -> dict[str, str]:
    """Requests the gateway has endorsed and recorded but not yet answered: {Idempotency-Key: tx_id}."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
        rows = conn.execute(
            "SELECT key, tx_id FROM requests WHERE envelope IS NOT NULL AND status IS NULL AND caller = ?", (PAYER,)
        ).fetchall()
    return dict(rows)


class GatewayKill:
    """SIGKILL PlatformOrg's gateway process while transfers wait for their commit status."""

    def __init__(self) -> None:
        self.in_flight: dict[str, str] = {}

    def __call__(self, network: Network) -> list[str]:
        org = network.topology.org("PlatformOrg")
        name = gateway_name(org)
        pid = network.runtime.pid(name)
        assert pid is not None
        db = network.layout.gateways / org.name / "idempotency.sqlite3"
        # Wait for a transfer that has just been recorded as endorsed, not one already waiting: the load's
        # workers commit in the same blocks, so those waiting may all get their answers within a millisecond
        # (once in CI the kill came just after, and the gateway held nothing). A fresh one has its submit and
        # the batch timeout ahead of it.
        waiting = set(_in_flight(db))

        def just_endorsed() -> bool:
            nonlocal waiting
            now = set(_in_flight(db))
            fresh, waiting = now - waiting, now
            return bool(fresh)

        assert poll(just_endorsed, 10, 0.002), "no transfer ever waited for its commit status"
        os.killpg(pid, signal.SIGKILL)
        self.in_flight = _in_flight(db)  # what it held when it died (read after the kill: nothing moves now)
        assert poll(lambda: not network.runtime.running(name), 10)
        return [name]


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[Network], list[str]]
    # Whether new writes cannot commit while the fault lasts: then one sent meanwhile must fail fast with 503.
    writes_stop: bool


GATEWAY_KILL = GatewayKill()
FAULTS = [
    Fault("SIGKILL of the Raft leader", kill_leader, writes_stop=False),
    Fault("SIGKILL of a follower orderer", kill_follower, writes_stop=False),
    Fault("loss of Raft quorum (two orderers)", kill_quorum, writes_stop=True),
    Fault("SIGKILL of BankOrg's peer (the required endorser)", kill_peer("BankOrg"), writes_stop=True),
    Fault("SIGKILL of PlatformOrg's peer (the gateway's own)", kill_peer("PlatformOrg"), writes_stop=True),
    Fault("SIGKILL of BankOrg's chaincode server", kill_chaincode_server("BankOrg"), writes_stop=True),
    # The gateway itself is gone: clients see connection errors, not a 503, until it is back.
    Fault("SIGKILL of PlatformOrg's gateway between submit and commit status", GATEWAY_KILL, writes_stop=False),
]


def peer_balances(contracts: dict[str, fabric.Contract], accounts: list[str]) -> dict[str, list[int]]:
    """Each account's USD balance in minor units, as each org's peer holds it."""
    out: dict[str, list[int]] = {}
    for acct in accounts:
        q = protocol.GetAccount(acct)
        out[acct] = [
            int(json.loads(contracts[r].evaluate_transaction(q.FUNCTION.value, [q.to_json()]))["balances"]["USD"])
            for r in READERS
        ]
    return out


@pytest.fixture
def report(data_dir: Path) -> Iterator[Callable[[dict[str, object]], None]]:
    def write(row: dict[str, object]) -> None:
        with open(data_dir / "fault-matrix.jsonl", "a") as f:
            f.write(json.dumps(row, sort_keys=True) + "\n")
        print(f"\n[fault matrix] {row['fault']}: {row['summary']}")

    yield write


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_a_fault_under_load_loses_nothing(
    fault: Fault,
    network: Network,
    apis: Apis,
    data_dir: Path,
    accounts: Accounts,
    contracts: dict[str, fabric.Contract],
    report: Callable[[dict[str, object]], None],
) -> None:
    touched = [*accounts.payers, accounts.payee]
    apis.sync()
    before = {acct: values[0] for acct, values in peer_balances(contracts, touched).items()}
    buyer = apis[PAYER]
    load = TransferLoad(buyer.url, buyer.api_key, accounts.payers, accounts.payee).start()
    try:
        time.sleep(BEFORE)
        fault_at = load.now()
        victims = fault.inject(network)
        time.sleep(1.0)
        probe = load.probe(accounts.payers[0]) if fault.writes_stop else None
        time.sleep(max(0.0, HOLD - 1.0 - (probe[2] if probe else 0.0)))
        healed_at = load.now()
        healed = deposits(data_dir, "network", "up", check=False)
        assert healed.returncode == 0 and "Traceback" not in healed.stderr, healed.stderr[-3000:]
        up_took = load.now() - healed_at
        assert all(network.runtime.running(v) for v in victims)
        if probe is not None:
            load.settle(probe[0])
        time.sleep(AFTER)
    finally:
        requests = load.stop()
    summary = summarise(requests, fault_at)
    row: dict[str, object] = {"fault": fault.name, "summary": summary.line(), "heal_seconds": round(up_took, 1)}
    if probe is not None:
        row["probe"] = f"{probe[1].status_code} {probe[1].json().get('code')} in {probe[2]:.2f} s"
    report({**row, **summary.__dict__})
    if probe is not None:
        # Fail fast: a write sent while it cannot commit is answered 503 with Retry-After, not left hanging.
        _, answer, took = probe
        assert answer.status_code == 503 and answer.headers.get("Retry-After"), answer.text
        assert took < 6.0, f"a write during the fault took {took:.1f} s to fail"

    # Every request has exactly one final outcome: committed.
    unsettled = [r for r in requests if r.status != 201]
    assert not unsettled, [(r.key, r.status, r.body, [a.outcome for a in r.attempts]) for r in unsettled[:5]]
    tx_ids = [str(_body(r)["tx_id"]) for r in requests]
    assert len(set(tx_ids)) == len(tx_ids), "two requests share one transaction"
    assert summary.committed >= 2 * WORKERS, summary.line()

    # Committed at most once: a replay gives the first answer, and the balances moved by exactly the amounts.
    _assert_replays(apis, requests)
    height = network.wait_peers_in_sync(60)
    after = peer_balances(contracts, touched)
    for acct in touched:
        assert len(set(after[acct])) == 1, f"peers disagree on {acct} at height {height}: {after[acct]}"
    paid = {p: sum(r.minor for r in requests if r.payer == p) for p in accounts.payers}
    for payer in accounts.payers:
        assert after[payer][0] == before[payer] - paid[payer]
    assert after[accounts.payee][0] == before[accounts.payee] + sum(paid.values())
    _assert_supply_invariant(contracts)

    if fault.inject is GATEWAY_KILL:
        # The retry through the new gateway process settled the very transactions the dead one had in flight.
        assert GATEWAY_KILL.in_flight, "the gateway held no transfer when it was killed"
        final = {r.key: _body(r)["tx_id"] for r in requests}
        assert {k: final[k] for k in GATEWAY_KILL.in_flight} == GATEWAY_KILL.in_flight


def _body(r: Request) -> dict[str, object]:
    assert r.body is not None
    return r.body


def _assert_replays(apis: Apis, requests: list[Request]) -> None:
    buyer = apis[PAYER]
    for r in requests:
        body = {"from": r.payer, "to": r.payee, "currency": "USD", "amount": r.amount, "reference": "INV-LOAD"}
        again = buyer.post("/v1/transfers", body, key=r.key)
        while again.status_code == 429:  # hundreds of fast replays outrun the key's rate: not an answer
            time.sleep(int(again.headers.get("Retry-After", "1")))
            again = buyer.post("/v1/transfers", body, key=r.key)
        assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true", again.text
        assert again.json()["tx_id"] == _body(r)["tx_id"]


def _assert_supply_invariant(contracts: dict[str, fabric.Contract]) -> None:
    q = protocol.GetSupply()
    supply = json.loads(contracts["AuditorOrg/auditor"].evaluate_transaction(q.FUNCTION.value, [q.to_json()]))
    for figures in supply.values():
        assert figures["outstanding"] == figures["minted"] + figures["fx_in"] - figures["redeemed"] - figures["fx_out"]
        assert (
            figures["outstanding"] == figures["balances_total"] + figures["pending_redemptions"] + figures["escrowed"]
        )
