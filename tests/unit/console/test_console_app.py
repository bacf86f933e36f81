"""The console over the fake ledger (the real contract in memory): sign-in, CSRF, confirmation with an
idempotency key, and what each identity may open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.api.front_door import TokenBucket
from network.layout import Layout
from tests.unit.gateway.fake_gateways import FakeGateways, dev_layout


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return dev_layout(tmp_path_factory.mktemp("data"))


@pytest.fixture
def gateways(layout: Layout, tmp_path: Path) -> Iterator[FakeGateways]:
    gws = FakeGateways(layout, tmp_path)
    yield gws
    for client in _open:
        client.__exit__(None, None, None)
    _open.clear()
    gws.close()


_open: list[TestClient] = []  # signed-in clients (their app's lifespan runs), closed by the fixture


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def signed_in(gws: FakeGateways, ref: str) -> TestClient:
    client = TestClient(gws.app_of(ref), follow_redirects=False)
    client.__enter__()
    _open.append(client)
    page = client.get("/console/sign-in")
    r = client.post("/console/sign-in", data={"csrf_token": csrf(page.text), "api_key": gws.keys[ref]})
    assert r.status_code == 303, r.text
    return client


def api(gws: FakeGateways, ref: str, method: str, path: str, body: object = None) -> object:
    r = TestClient(gws.app_of(ref)).request(
        method, path, json=body, headers={"Authorization": f"Bearer {gws.keys[ref]}"}
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture
def funded(gateways: FakeGateways) -> FakeGateways:
    for account, holder in (("acme", "PlatformOrg/buyer-us"), ("shen", "PlatformOrg/seller-cn")):
        api(gateways, "BankOrg/issuer", "POST", "/v1/accounts", {"id": account, "holder": holder, "kyc_ref": "K"})
    mint = {"account": "acme", "currency": "USD", "amount": "1234567.89", "reserve_ref": "R1"}
    api(gateways, "BankOrg/issuer", "POST", "/v1/mints", mint)
    return gateways


def test_cookie_is_httponly_strict_and_the_key_is_nowhere_in_pages(gateways: FakeGateways) -> None:
    key = gateways.keys["PlatformOrg/buyer-us"]
    with TestClient(gateways.app_of("PlatformOrg/buyer-us"), follow_redirects=False) as client:
        page = client.get("/console/sign-in")
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        r = client.post("/console/sign-in", data={"csrf_token": csrf(page.text), "api_key": key})
        assert r.status_code == 303 and key not in r.headers["set-cookie"] and key not in r.headers["location"]
        home = client.get("/console/member")
        assert home.status_code == 200 and key not in home.text
        assert "default-src 'self'" in home.headers["content-security-policy"]


def test_a_wrong_key_and_a_post_without_csrf_are_refused(gateways: FakeGateways) -> None:
    with TestClient(gateways.app_of("AuditorOrg/auditor"), follow_redirects=False) as client:
        page = client.get("/console/sign-in")
        wrong = client.post("/console/sign-in", data={"csrf_token": csrf(page.text), "api_key": "nope"})
        assert wrong.status_code == 401 and 'data-code="UNAUTHENTICATED"' in wrong.text
        forged = client.post("/console/sign-in", data={"api_key": gateways.keys["AuditorOrg/auditor"]})
        assert forged.status_code == 403 and 'data-code="CSRF"' in forged.text
        assert client.get("/console/auditor").status_code == 303  # still not signed in


def test_failed_sign_ins_are_slowed_down(gateways: FakeGateways) -> None:
    app = gateways.app_of("AuditorOrg/auditor")
    app.state.console.failed_sign_ins = TokenBucket(5, 10, clock=lambda: 0)  # a stopped clock: no refill
    with TestClient(app, follow_redirects=False) as client:
        token = csrf(client.get("/console/sign-in").text)
        codes = [
            client.post("/console/sign-in", data={"csrf_token": token, "api_key": "x"}).status_code for _ in range(11)
        ]
        assert codes == [401] * 10 + [429]
        key = gateways.keys["AuditorOrg/auditor"]
        assert client.post("/console/sign-in", data={"csrf_token": token, "api_key": key}).status_code == 303


def test_pay_is_confirmed_and_moves_money_once_however_often_it_is_sent(funded: FakeGateways) -> None:
    buyer = signed_in(funded, "PlatformOrg/buyer-us")
    token = csrf(buyer.get("/console/member").text)
    form = {"csrf_token": token, "from": "acme", "to": "shen", "currency": "USD", "amount": "1000.5",
            "reference": "INV-7"}  # fmt: skip
    review = buyer.post("/console/actions/pay/review", data=form)
    assert review.status_code == 200 and "1,000.50" in review.text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', review.text)
    assert key is not None
    sent = {**form, "csrf_token": csrf(review.text), "idempotency_key": key.group(1)}
    first = buyer.post("/console/actions/pay", data=sent)
    second = buyer.post("/console/actions/pay", data=sent)  # the double click
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    shen = api(funded, "PlatformOrg/seller-cn", "GET", "/v1/accounts/shen")
    assert shen["balances"]["USD"] == "1000.50"  # type: ignore[index]
    no_csrf = buyer.post("/console/actions/pay", data={k: v for k, v in sent.items() if k != "csrf_token"})
    assert no_csrf.status_code == 403


def test_a_holder_cannot_open_another_holders_account(funded: FakeGateways) -> None:
    seller = signed_in(funded, "PlatformOrg/seller-cn")
    page = seller.get("/console/accounts/acme")
    assert page.status_code == 403 and "1,234,567.89" not in page.text and "buyer" not in page.text.lower()
    missing = seller.get("/console/accounts/no-such")
    assert missing.status_code == 403  # the same answer as for an account that exists
    assert seller.get("/console/accounts/shen").status_code == 200


def test_the_auditor_sees_the_api_s_supply_report(funded: FakeGateways) -> None:
    auditor = signed_in(funded, "AuditorOrg/auditor")
    page = auditor.get("/console/auditor")
    assert page.status_code == 200, page.text
    report = api(funded, "AuditorOrg/auditor", "GET", "/v1/supply")
    assert isinstance(report, dict)
    for field in report["USD"]:
        assert f'data-field="{field}"' in page.text
    assert 'data-field="minted" class="num">1,234,567.89<' in page.text
