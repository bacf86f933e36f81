"""The HTTP API wired with `create_app` over the fake ledger (the real contract in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from network.layout import Layout
from tests.unit.gateway.fake_gateways import FakeGateways, dev_layout


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return dev_layout(tmp_path_factory.mktemp("data"))


class Clients:
    """A TestClient per org gateway (`FakeGateways`); `call(ref, …)` sends as that identity."""

    def __init__(self, layout: Layout, tmp: Path) -> None:
        self.gateways = FakeGateways(layout, tmp)
        self.ledger = self.gateways.ledger
        self.keys = self.gateways.keys
        self.clients = {org: TestClient(app) for org, app in self.gateways.apps.items()}

    def call(self, ref: str, method: str, path: str, body: object = None, key: str | None = None) -> object:
        headers = {"Authorization": f"Bearer {self.keys[ref]}"}
        if key:
            headers["Idempotency-Key"] = key
        return self.clients[ref.split("/")[0]].request(method, path, json=body, headers=headers)


@pytest.fixture
def api(layout: Layout, tmp_path: Path) -> Iterator[Clients]:
    clients = Clients(layout, tmp_path)
    yield clients
    for c in clients.clients.values():
        c.close()
    clients.gateways.close()


def _ok(r: object) -> dict[str, object]:
    assert hasattr(r, "status_code") and r.status_code in (200, 201), r.text  # type: ignore[attr-defined]
    data: dict[str, object] = r.json()  # type: ignore[attr-defined]
    return data


def test_open_mint_pay_and_read(api: Clients) -> None:
    _ok(
        api.call(
            "BankOrg/issuer", "POST", "/v1/accounts", {"id": "acme", "holder": "PlatformOrg/buyer-us", "kyc_ref": "K1"}
        )
    )
    _ok(
        api.call(
            "BankOrg/issuer", "POST", "/v1/accounts", {"id": "shen", "holder": "PlatformOrg/seller-cn", "kyc_ref": "K2"}
        )
    )
    _ok(
        api.call(
            "BankOrg/issuer",
            "POST",
            "/v1/mints",
            {"account": "acme", "currency": "USD", "amount": "100.00", "reserve_ref": "R1"},
        )
    )
    paid = _ok(
        api.call(
            "PlatformOrg/buyer-us",
            "POST",
            "/v1/transfers",
            {"from": "acme", "to": "shen", "currency": "USD", "amount": "12.50", "reference": "INV-1"},
            key="pay-1",
        )
    )
    assert paid["status"] == "committed" and paid["amount"] == "12.50"
    acct = _ok(api.call("AuditorOrg/auditor", "GET", "/v1/accounts/shen"))
    assert acct["balances"] == {"EUR": "0.00", "USD": "12.50"}
    supply = _ok(api.call("AuditorOrg/auditor", "GET", "/v1/supply"))
    assert supply["USD"] == {
        "minted": "100.00",
        "redeemed": "0.00",
        "outstanding": "100.00",  # type: ignore[index]
        "balances_total": "100.00",
        "pending_redemptions": "0.00",
        "escrowed": "0.00",
        "fx_in": "0.00",
        "fx_out": "0.00",
        "invariant_holds": True,
    }


def test_errors_are_problem_json_with_stable_codes(api: Clients) -> None:
    r = api.call(
        "BankOrg/issuer",
        "POST",
        "/v1/mints",
        {"account": "x", "currency": "USD", "amount": "1.001", "reserve_ref": "R"},
    )
    assert r.status_code == 400 and r.json()["code"] == "INVALID_AMOUNT"  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    r = api.call(
        "BankOrg/issuer",
        "POST",
        "/v1/mints",
        {"account": "nobody", "currency": "USD", "amount": "1.00", "reserve_ref": "R"},
    )
    assert (r.status_code, r.json()["code"]) == (404, "UNKNOWN_ACCOUNT")  # type: ignore[attr-defined]
    r = api.call(
        "AuditorOrg/auditor",
        "POST",
        "/v1/mints",
        {"account": "a", "currency": "USD", "amount": "1.00", "reserve_ref": "R"},
    )
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")  # type: ignore[attr-defined]
    r = api.clients["BankOrg"].get("/v1/supply")
    assert (r.status_code, r.json()["code"]) == (401, "UNAUTHENTICATED")


def test_a_repeat_with_the_same_key_is_answered_once(api: Clients) -> None:
    body = {"id": "idem", "holder": "PlatformOrg/buyer-us", "kyc_ref": "K"}
    first = _ok(api.call("BankOrg/issuer", "POST", "/v1/accounts", body, key="k"))
    r = api.call("BankOrg/issuer", "POST", "/v1/accounts", body, key="k")
    assert r.status_code == 201 and r.json() == first  # type: ignore[attr-defined]
    assert r.headers["Idempotent-Replayed"] == "true"  # type: ignore[attr-defined]
    r = api.call("BankOrg/issuer", "POST", "/v1/accounts", {**body, "kyc_ref": "other"}, key="k")
    assert (r.status_code, r.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")  # type: ignore[attr-defined]
    assert len(api.ledger.committed) == 1


def test_metrics_count_requests_and_conflict_retries(api: Clients) -> None:
    api.call("AuditorOrg/auditor", "GET", "/v1/supply")
    text = api.clients["AuditorOrg"].get("/metrics").text
    assert 'gateway_requests_total{method="GET",route="/v1/supply",status="200"} 1.0' in text
    assert "gateway_conflict_retries 0.0" in text


def test_metrics_name_the_route_template_and_its_status(api: Clients) -> None:
    api.call("AuditorOrg/auditor", "GET", "/v1/accounts/nobody-here")
    api.call("AuditorOrg/auditor", "GET", "/v1/no-such-route")
    text = api.clients["AuditorOrg"].get("/metrics").text
    assert 'gateway_requests_total{method="GET",route="/v1/accounts/{account_id}",status="404"} 1.0' in text
    assert 'gateway_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'gateway_request_seconds_count{method="GET",route="unmatched"} 1.0' in text


def _setup_two_holders(api: Clients) -> str:
    for account, holder in (("acme", "buyer-us"), ("shen", "seller-cn")):
        body = {"id": account, "holder": f"PlatformOrg/{holder}", "kyc_ref": "K"}
        _ok(api.call("BankOrg/issuer", "POST", "/v1/accounts", body))
    _ok(
        api.call(
            "BankOrg/issuer",
            "POST",
            "/v1/mints",
            {"account": "acme", "currency": "USD", "amount": "10.00", "reserve_ref": "R1"},
        )
    )
    return str(_ok(api.call("PlatformOrg/buyer-us", "GET", "/v1/accounts/acme"))["id"])


def test_list_accounts_per_caller(api: Clients) -> None:
    _setup_two_holders(api)
    everyone = {"acme", "shen"}
    for ref, expected in (
        ("BankOrg/issuer", everyone),
        ("AuditorOrg/auditor", everyone),
        ("PlatformOrg/operator", everyone),
        ("PlatformOrg/buyer-us", {"acme"}),
        ("PlatformOrg/seller-cn", {"shen"}),
    ):
        page = _ok(api.call(ref, "GET", "/v1/accounts"))
        assert {a["id"] for a in page["accounts"]} == expected, ref  # type: ignore[attr-defined]
    page = _ok(api.call("AuditorOrg/auditor", "GET", "/v1/accounts?limit=1"))
    assert len(page["accounts"]) == 1 and page["next_cursor"]  # type: ignore[arg-type]
    rest = _ok(api.call("AuditorOrg/auditor", "GET", f"/v1/accounts?limit=1&cursor={page['next_cursor']}"))
    assert {a["id"] for a in [*page["accounts"], *rest["accounts"]]} == everyone  # type: ignore[misc]
    by_seller = _ok(api.call("BankOrg/issuer", "GET", "/v1/accounts?holder=PlatformOrg/seller-cn"))
    assert [a["id"] for a in by_seller["accounts"]] == ["shen"]  # type: ignore[attr-defined]
    assert by_seller["accounts"][0]["balances"] == {"EUR": "0.00", "USD": "0.00"}  # type: ignore[index]
    none = {"accounts": [], "next_cursor": None}
    assert _ok(api.call("PlatformOrg/buyer-us", "GET", "/v1/accounts?holder=PlatformOrg/seller-cn")) == none
    assert _ok(api.call("BankOrg/issuer", "GET", "/v1/accounts?holder=PlatformOrg/nobody")) == none


def test_not_yours_answers_like_not_there(api: Clients) -> None:
    _setup_two_holders(api)
    for path in ("/v1/accounts/acme", "/v1/accounts/acme/history"):
        hidden = api.call("PlatformOrg/seller-cn", "GET", path)
        missing = api.call("PlatformOrg/seller-cn", "GET", path.replace("acme", "zzzz"))
        assert hidden.status_code == missing.status_code == 404  # type: ignore[attr-defined]
        assert hidden.json() == {**missing.json(), "detail": missing.json()["detail"].replace("zzzz", "acme")}  # type: ignore[attr-defined]


def test_a_transaction_is_seen_by_its_parties_only(api: Clients) -> None:
    _setup_two_holders(api)
    minted = next(t for t in api.ledger.committed.values() if t.block_number == 3).tx_id
    assert _ok(api.call("PlatformOrg/buyer-us", "GET", f"/v1/transactions/{minted}"))["status"] == "committed"
    assert _ok(api.call("AuditorOrg/auditor", "GET", f"/v1/transactions/{minted}"))["block_number"] == 3
    hidden = api.call("PlatformOrg/seller-cn", "GET", f"/v1/transactions/{minted}")
    missing = api.call("PlatformOrg/seller-cn", "GET", f"/v1/transactions/{'0' * 64}")
    assert hidden.status_code == missing.status_code == 404  # type: ignore[attr-defined]
    assert hidden.json()["code"] == missing.json()["code"] == "UNKNOWN_TRANSACTION"  # type: ignore[attr-defined]
