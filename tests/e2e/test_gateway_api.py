"""Issue 4 on the live network: every endpoint, error codes, idempotency, auth, events."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from network.endpoints import gateway_name
from network.network import Network
from tests.e2e.conftest import Apis, new_id

BANK, COMPLIANCE = "BankOrg/issuer", "BankOrg/compliance"
OPERATOR, BUYER, SELLER, AUDITOR = (
    "PlatformOrg/operator",
    "PlatformOrg/buyer-us",
    "PlatformOrg/seller-cn",
    "AuditorOrg/auditor",
)


def open_account(apis: Apis, holder: str, prefix: str = "acct") -> str:
    acct = new_id(prefix)
    apis[BANK].ok("POST", "/v1/accounts", {"id": acct, "holder": holder, "kyc_ref": f"KYC-{acct}"})
    return acct


def mint(apis: Apis, acct: str, amount: str, currency: str = "USD") -> dict[str, Any]:
    return apis[BANK].ok(
        "POST", "/v1/mints", {"account": acct, "currency": currency, "amount": amount, "reserve_ref": new_id("RES")}
    )


def balances(apis: Apis, acct: str) -> dict[str, str]:
    """The auditor's view, once every peer has committed what the writers' peers have."""
    apis.sync()
    b: dict[str, str] = apis[AUDITOR].ok("GET", f"/v1/accounts/{acct}")["balances"]
    return b


@pytest.fixture(scope="module")
def funded(apis: Apis) -> tuple[str, str]:
    buyer, seller = open_account(apis, BUYER, "buyer"), open_account(apis, SELLER, "seller")
    mint(apis, buyer, "1000.00")
    return buyer, seller


def test_payment_flow_and_reads(apis: Apis, funded: tuple[str, str]) -> None:
    buyer, seller = funded
    r = apis[BUYER].ok(
        "POST",
        "/v1/transfers",
        {"from": buyer, "to": seller, "currency": "USD", "amount": "125.50", "reference": "INV-1"},
    )
    assert r["status"] == "committed" and r["block_number"] > 0 and len(r["tx_id"]) == 64
    assert balances(apis, seller)["USD"] == "125.50"
    acct = apis[SELLER].ok("GET", f"/v1/accounts/{seller}")
    assert acct["status"] == "active" and acct["holder_msp"] == "PlatformMSP"
    hist = apis[SELLER].ok("GET", f"/v1/accounts/{seller}/history")["entries"]
    assert [e["amount"] for e in hist] == ["125.50"]
    tx = apis[AUDITOR].ok("GET", f"/v1/transactions/{r['tx_id']}")
    assert tx == {
        "tx_id": r["tx_id"],
        "status": "committed",
        "validation_code": "VALID",
        "block_number": r["block_number"],
    }


def test_redemption_settle_and_reject(apis: Apis, funded: tuple[str, str]) -> None:
    buyer, _ = funded
    before = balances(apis, buyer)["USD"]
    red = apis[BUYER].ok("POST", "/v1/redemptions", {"account": buyer, "currency": "USD", "amount": "10.00"})
    assert apis[BUYER].ok("GET", f"/v1/redemptions/{red['redemption_id']}")["status"] == "pending"
    apis[BANK].ok("POST", f"/v1/redemptions/{red['redemption_id']}/settle", {"payout_ref": "WIRE-1"})
    assert apis[AUDITOR].ok("GET", f"/v1/redemptions/{red['redemption_id']}")["status"] == "settled"
    red2 = apis[BUYER].ok("POST", "/v1/redemptions", {"account": buyer, "currency": "USD", "amount": "5.00"})
    apis[BANK].ok("POST", f"/v1/redemptions/{red2['redemption_id']}/reject", {"reason": "wrong beneficiary"})
    assert apis[AUDITOR].ok("GET", f"/v1/redemptions/{red2['redemption_id']}")["status"] == "rejected"
    r = apis[BANK].post(f"/v1/redemptions/{red2['redemption_id']}/settle", {"payout_ref": "WIRE-2"})
    assert (r.status_code, r.json()["code"]) == (409, "INVALID_STATE")
    assert balances(apis, buyer)["USD"] == _sub(before, "10.00")


def _sub(a: str, b: str) -> str:
    return _cents(int(a.replace(".", "")) - int(b.replace(".", "")))


def test_freeze_blocks_both_directions_and_unfreeze_restores(apis: Apis, funded: tuple[str, str]) -> None:
    buyer, seller = funded
    apis[COMPLIANCE].ok("POST", f"/v1/accounts/{seller}/freeze", {"reason": "sanctions screening"})
    apis.sync()  # the buyer's transfer is endorsed on PlatformOrg's peer too: let it commit the freeze first
    r = apis[BUYER].post(
        "/v1/transfers", {"from": buyer, "to": seller, "currency": "USD", "amount": "1.00", "reference": "INV-F"}
    )
    assert (r.status_code, r.json()["code"]) == (422, "ACCOUNT_FROZEN")
    apis[COMPLIANCE].ok("POST", f"/v1/accounts/{seller}/unfreeze")
    apis.sync()
    apis[BUYER].ok(
        "POST",
        "/v1/transfers",
        {"from": buyer, "to": seller, "currency": "USD", "amount": "1.00", "reference": "INV-U"},
    )


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("0", "USD", "INVALID_AMOUNT"),
        ("-1.00", "USD", "INVALID_AMOUNT"),
        ("1.005", "USD", "INVALID_AMOUNT"),
        ("10000000000000.01", "USD", "INVALID_AMOUNT"),
        ("1e3", "USD", "INVALID_AMOUNT"),
        ("5.00", "XTS", "UNKNOWN_CURRENCY"),  # ISO 4217's code for testing: never registered
    ],
)
def test_bad_amounts_are_rejected_and_change_nothing(
    apis: Apis, funded: tuple[str, str], amount: str, currency: str, code: str
) -> None:
    buyer, seller = funded
    before = (balances(apis, buyer), balances(apis, seller))
    r = apis[BUYER].post(
        "/v1/transfers", {"from": buyer, "to": seller, "currency": currency, "amount": amount, "reference": "INV-BAD"}
    )
    assert r.status_code == 400 and r.json()["code"] == code
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (balances(apis, buyer), balances(apis, seller)) == before


@pytest.mark.parametrize(
    "body", [{}, {"from": "x"}, {"from": "a", "to": "b", "currency": "USD", "amount": 5, "reference": "r"}, [1, 2]]
)
def test_malformed_bodies_are_400_invalid_argument(apis: Apis, body: object) -> None:
    r = apis[BUYER].post("/v1/transfers", body)
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_ARGUMENT")


def test_insufficient_funds_and_unknown_account(apis: Apis, funded: tuple[str, str]) -> None:
    buyer, seller = funded
    r = apis[BUYER].post(
        "/v1/transfers", {"from": buyer, "to": seller, "currency": "USD", "amount": "999999.00", "reference": "INV-X"}
    )
    assert (r.status_code, r.json()["code"]) == (422, "INSUFFICIENT_FUNDS")
    r = apis[AUDITOR].get("/v1/accounts/no-such-account")
    assert (r.status_code, r.json()["code"]) == (404, "UNKNOWN_ACCOUNT")
    r = apis[BANK].post("/v1/accounts", {"id": buyer, "holder": BUYER, "kyc_ref": "K"})
    assert (r.status_code, r.json()["code"]) == (409, "ACCOUNT_EXISTS")
    r = apis[BANK].post("/v1/mints", {"account": buyer, "currency": "USD", "amount": "1.00", "reserve_ref": "R-dup"})
    assert r.status_code == 201
    r = apis[BANK].post("/v1/mints", {"account": buyer, "currency": "USD", "amount": "1.00", "reserve_ref": "R-dup"})
    assert (r.status_code, r.json()["code"]) == (409, "DUPLICATE_RESERVE_REF")


WRITES: list[tuple[str, str, set[str]]] = [
    ("/v1/accounts", "open", {BANK}),
    ("/v1/mints", "mint", {BANK}),
    ("/v1/transfers", "transfer", {BUYER, SELLER}),
    ("/v1/redemptions", "redeem", {BUYER, SELLER}),
    ("/v1/accounts/{acct}/freeze", "freeze", {COMPLIANCE}),
    ("/v1/accounts/{acct}/unfreeze", "freeze", {COMPLIANCE}),
    ("/v1/redemptions/{red}/settle", "settle", {BANK}),
    ("/v1/redemptions/{red}/reject", "reject", {BANK}),
]


def test_auth_missing_or_unknown_key_is_401(apis: Apis, funded: tuple[str, str]) -> None:
    buyer, _ = funded
    for auth in (None, "Bearer not-a-key", "Basic abc"):
        for path in ("/v1/supply", f"/v1/accounts/{buyer}", "/v1/transfers"):
            method = "POST" if path == "/v1/transfers" else "GET"
            r = apis[BUYER].request(method, path, {}, auth=auth)
            assert (r.status_code, r.json()["code"]) == (401, "UNAUTHENTICATED"), (auth, path)


def test_auth_matrix_forbidden_writes_change_nothing(apis: Apis, funded: tuple[str, str]) -> None:
    buyer, seller = funded
    bodies = {
        "open": {"id": new_id("x"), "holder": BUYER, "kyc_ref": "K"},
        "mint": {"account": buyer, "currency": "USD", "amount": "1.00", "reserve_ref": "R"},
        "transfer": {"from": buyer, "to": seller, "currency": "USD", "amount": "1.00", "reference": "I"},
        "redeem": {"account": buyer, "currency": "USD", "amount": "1.00"},
        "freeze": {"reason": "r"},
        "settle": {"payout_ref": "WIRE"},
        "reject": {"reason": "no"},
    }
    red = apis[BUYER].ok("POST", "/v1/redemptions", {"account": buyer, "currency": "USD", "amount": "1.00"})
    red_id = red["redemption_id"]
    before = (balances(apis, buyer), balances(apis, seller))
    apis.sync()
    supply_before = apis[AUDITOR].ok("GET", "/v1/supply")
    for path, name, allowed in WRITES:
        for ref, api in apis.items():
            if ref in allowed:
                continue
            r = api.post(path.format(acct=buyer, red=red_id), bodies[name])
            refused = {(403, "FORBIDDEN"), (403, "UNAUTHORIZED"), (404, "UNKNOWN_ACCOUNT")}
            assert (r.status_code, r.json()["code"]) in refused, (ref, name, r.text)
    # The seller may not see the buyer's account: the contract answers as if it did not exist (the gateway
    # lets holders try).
    r = apis[SELLER].post("/v1/transfers", bodies["transfer"])
    assert (r.status_code, r.json()["code"]) == (404, "UNKNOWN_ACCOUNT")
    assert (balances(apis, buyer), balances(apis, seller)) == before
    assert apis[AUDITOR].ok("GET", "/v1/supply") == supply_before
    assert apis[AUDITOR].ok("GET", f"/v1/accounts/{buyer}")["status"] == "active"
    assert apis[AUDITOR].ok("GET", f"/v1/redemptions/{red_id}")["status"] == "pending"
    # Reads a holder may not make: another holder's account, history and redemption, as if they did not exist.
    for path, code in (
        (f"/v1/accounts/{buyer}", "UNKNOWN_ACCOUNT"),
        (f"/v1/accounts/{buyer}/history", "UNKNOWN_ACCOUNT"),
        (f"/v1/redemptions/{red_id}", "UNKNOWN_REDEMPTION"),
    ):
        r = apis[SELLER].get(path)
        assert (r.status_code, r.json()["code"]) == (404, code), path


def test_idempotency_replay_mismatch_and_concurrent_duplicates(apis: Apis, funded: tuple[str, str]) -> None:
    buyer, seller = funded
    body = {"from": buyer, "to": seller, "currency": "USD", "amount": "2.00", "reference": "INV-IDEM"}
    before = balances(apis, seller)["USD"]
    first = apis[BUYER].post("/v1/transfers", body, key="idem-1")
    again = apis[BUYER].post("/v1/transfers", body, key="idem-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers.get("Idempotent-Replayed") == "true"
    other = apis[BUYER].post("/v1/transfers", {**body, "amount": "3.00"}, key="idem-1")
    assert (other.status_code, other.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: apis[BUYER].post("/v1/transfers", body, key="idem-race"), range(8)))
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["tx_id"] for r in results}) == 1
    assert balances(apis, seller)["USD"] == _add(before, "4.00")


def _add(a: str, b: str) -> str:
    return _cents(int(a.replace(".", "")) + int(b.replace(".", "")))


def _cents(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


def test_replay_after_gateway_restart_moves_nothing(network: Network, apis: Apis, funded: tuple[str, str]) -> None:
    buyer, seller = funded
    body = {"from": buyer, "to": seller, "currency": "USD", "amount": "1.25", "reference": "INV-RESTART"}
    first = apis[BUYER].post("/v1/transfers", body, key="restart-1")
    assert first.status_code == 201
    after_first = balances(apis, seller)["USD"]
    org = network.topology.org("PlatformOrg")
    network.runtime.stop(gateway_name(org))
    network.start_gateways()
    again = apis[BUYER].post("/v1/transfers", body, key="restart-1")
    assert again.status_code == 201 and again.json()["tx_id"] == first.json()["tx_id"]
    assert balances(apis, seller)["USD"] == after_first


def test_hot_account_concurrent_credits_all_commit(apis: Apis) -> None:
    hot = open_account(apis, SELLER, "hot")
    with ThreadPoolExecutor(25) as pool:
        results = list(
            pool.map(
                lambda i: apis[BANK].post(
                    "/v1/mints", {"account": hot, "currency": "EUR", "amount": "1.00", "reserve_ref": new_id(f"HOT{i}")}
                ),
                range(50),
            )
        )
    assert [r.status_code for r in results] == [201] * 50, [r.text for r in results if r.status_code != 201][:3]
    assert balances(apis, hot)["EUR"] == "50.00"


def test_events_deliver_each_change_once_and_resume(apis: Apis, funded: tuple[str, str]) -> None:
    buyer, seller = funded
    seen: list[dict[str, Any]] = []
    ids: list[str] = []
    connected = threading.Event()

    def follow(headers: dict[str, str], params: dict[str, str], limit: int) -> None:
        h = {"Authorization": f"Bearer {apis[SELLER].api_key}", **headers}
        with (
            httpx.Client(base_url=apis[SELLER].url, timeout=30) as http,
            http.stream("GET", "/v1/events", headers=h, params=params) as r,
        ):
            connected.set()
            event_id = None
            for line in r.iter_lines():
                if line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("data: ") and event_id:
                    ids.append(event_id)
                    seen.append(json.loads(line[6:]))
                    if len(seen) >= limit:
                        return

    t = threading.Thread(target=follow, args=({}, {}, 3), daemon=True)
    t.start()
    assert connected.wait(10)
    txs = [
        apis[BUYER].ok(
            "POST",
            "/v1/transfers",
            {"from": buyer, "to": seller, "currency": "USD", "amount": "0.10", "reference": f"INV-EV-{i}"},
        )["tx_id"]
        for i in range(3)
    ]
    t.join(30)
    assert [e["tx_id"] for e in seen] == txs
    assert all(e["type"] == "Transferred" for e in seen)
    # Resume after the first: exactly the other two, once each.
    first_id = ids[0]
    seen.clear()
    ids.clear()
    t = threading.Thread(target=follow, args=({"Last-Event-ID": first_id}, {}, 2), daemon=True)
    t.start()
    t.join(30)
    assert [e["tx_id"] for e in seen] == txs[1:]


def test_supply_invariant_holds_at_the_end(apis: Apis) -> None:
    apis.sync()
    supply = apis[AUDITOR].ok("GET", "/v1/supply")
    registered = {c["code"] for c in apis[AUDITOR].ok("GET", "/v1/currencies")}
    assert set(supply) == registered
    for figures in supply.values():
        assert figures["invariant_holds"] is True
        # Every figure is written with its currency's digits, so the decimal point lines the minor units up.
        minor = {k: int(figures[k].replace(".", "")) for k in ("minted", "fx_in", "redeemed", "fx_out", "outstanding")}
        assert minor["minted"] + minor["fx_in"] - minor["redeemed"] - minor["fx_out"] == minor["outstanding"]


def test_openapi_docs_health_and_metrics(apis: Apis) -> None:
    http = apis[AUDITOR].http
    assert "/v1/transfers" in http.get("/openapi.json").json()["paths"]
    assert http.get("/docs").status_code == 200
    assert http.get("/healthz").json()["status"] == "ok"
    assert "gateway_requests_total" in http.get("/metrics").text


def _step_counts(text: str) -> dict[str, float]:
    prefix = "gateway_fabric_step_seconds_count{step="
    return {
        line[len(prefix) + 1 : line.index('"}')]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def test_metrics_split_each_write_into_its_fabric_steps(apis: Apis) -> None:
    http = apis[BANK].http
    before = _step_counts(http.get("/metrics").text)
    open_account(apis, BUYER, "steps")
    after = _step_counts(http.get("/metrics").text)
    assert {step: after[step] - before[step] for step in ("endorse", "submit", "commit")} == {
        "endorse": 1,
        "submit": 1,
        "commit": 1,
    }


def test_unknown_things_are_404_or_400(apis: Apis) -> None:
    r = apis[AUDITOR].get("/v1/transactions/" + "ab" * 32)
    assert (r.status_code, r.json()["code"]) == (404, "UNKNOWN_TRANSACTION")
    r = apis[AUDITOR].get("/v1/transactions/not-a-tx-id")
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_ARGUMENT")
    r = apis[AUDITOR].get("/v1/redemptions/" + "cd" * 32)
    assert (r.status_code, r.json()["code"]) == (404, "UNKNOWN_REDEMPTION")
    r = apis[BANK].post("/v1/redemptions/" + "cd" * 32 + "/settle", {"payout_ref": "W"})
    assert (r.status_code, r.json()["code"]) == (404, "UNKNOWN_REDEMPTION")
    r = apis[BANK].post("/v1/accounts", {"id": new_id("h"), "holder": "PlatformOrg/nobody", "kyc_ref": "K"})
    assert (r.status_code, r.json()["code"]) == (422, "UNKNOWN_HOLDER")
    r = apis[AUDITOR].get("/v1/no-such-endpoint")
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")
