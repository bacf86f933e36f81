"""The books connector against the real reference core (`core/`, started by `network up` when the topology
gives BankOrg a `core_port`): a funding booked in the core becomes tokens, redemptions are paid back into the
DDA or out of the bank, a payment to a closed DDA is rejected (AC04), a conversion is booked by one pacs.009 in
both currencies, and the two sets of books agree: on SQLite, then again with the core on PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from network.endpoints import core_name
from network.network import Network
from tests.e2e.conftest import Apis
from tests.e2e.test_books import HOLDER, balance, mentioned, open_account, redeem, redemption, wait_until
from tests.e2e.test_fx import quote
from tests.postgres import running_postgres

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def core(network: Network, request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """The reference core `network up` started (SQLite), then the same core restarted on a throwaway
    PostgreSQL cluster (and back to SQLite afterwards): the same flows against both databases."""
    org = network.topology.org("BankOrg")
    port = getattr(org, "core_port", None)
    if port is None:
        pytest.skip("this topology runs no reference core")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        if request.param == "sqlite":
            yield http
            return
        with running_postgres() as url, pytest.MonkeyPatch.context() as env:
            env.setenv("DEPOSITS_CORE_DATABASE_URL", url)
            restart_core(network, http)
            try:
                yield http
            finally:
                env.delenv("DEPOSITS_CORE_DATABASE_URL")
                restart_core(network, http)  # as `network up` left it


def restart_core(network: Network, http: httpx.Client) -> None:
    org = network.topology.org("BankOrg")
    network.runtime.stop(core_name(org))
    network.runtime.start(network.core_service(org))

    def answers() -> bool:
        try:
            return http.get("/admin/balances").status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answers, what=lambda: "the core does not answer")


def admin(core: httpx.Client, path: str, body: dict[str, Any] | None = None) -> Any:
    r = core.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code in (200, 201), r.text
    return r.json()


def core_balance(core: httpx.Client, account: str, default: str | None = None) -> str:
    accounts = core.get("/admin/balances").json()["accounts"]
    found = next((a["balance"] for a in accounts if a["account"] == account), default)
    assert found is not None, f"no account {account} in the core"
    return str(found)


def settled(apis: Apis, rid: str) -> None:
    wait_until(lambda: redemption(apis, rid)["status"] == "settled", what=lambda: redemption(apis, rid))


def test_fund_from_the_core_and_pay_back(core: httpx.Client, apis: Apis) -> None:
    dda, closed = f"DDA-{uuid.uuid4().hex[:12]}", f"DDA-{uuid.uuid4().hex[:12]}"
    admin(core, "/admin/ddas", {"dda": dda, "currency": "USD", "balance": "1000.00"})
    admin(core, "/admin/ddas", {"dda": closed, "currency": "USD", "balance": "100.00"})
    account, other = open_account(apis, dda), open_account(apis, closed)
    funded = admin(core, "/admin/fundings", {"dda": dda, "amount": "250.00"})
    admin(core, "/admin/fundings", {"dda": closed, "amount": "10.00"})
    reference = funded["entries"][0]["reference"]
    wait_until(lambda: balance(apis, account) == "250.00", what=lambda: balance(apis, account))
    wait_until(lambda: balance(apis, other) == "10.00")
    book = redeem(apis, account, "100.00")
    external = redeem(apis, account, "50.00", {"iban": "DE89370400440532013000"})
    admin(core, f"/admin/ddas/{closed}/close")
    refused = redeem(apis, other, "10.00")
    for rid in (book, external):
        settled(apis, rid)
    wait_until(lambda: redemption(apis, refused)["status"] == "rejected", what=lambda: redemption(apis, refused))
    assert redemption(apis, refused)["reason"] == "AC04"
    assert core_balance(core, dda) == "850.00"  # 1000.00 - 250.00 funded + 100.00 paid back
    assert balance(apis, account) == "100.00" and balance(apis, other) == "10.00"
    report = apis["BankOrg/issuer"].ok("GET", "/v1/reconciliation")
    assert mentioned(report, reference, book, external, refused) == []


def differences(apis: Apis, *codes: str) -> dict[str, str]:
    """Ledger minus books per currency, once the connector has nothing in flight in those currencies."""
    found: dict[str, Any] = {}
    time.sleep(2.5)  # a full pass of the connector over what was sent so far (it reports once a second)

    def quiet() -> bool:
        found.update(apis["BankOrg/issuer"].ok("GET", "/v1/reconciliation"))
        return not any(found["in_flight"].get(c) for c in codes)

    wait_until(quiet, what=lambda: found)
    return {c: found["currencies"].get(c, {}).get("difference", "0.00") for c in codes}


def test_a_conversion_is_booked_in_the_core_in_both_currencies(core: httpx.Client, apis: Apis) -> None:
    dda = f"DDA-{uuid.uuid4().hex[:12]}"
    admin(core, "/admin/ddas", {"dda": dda, "currency": "USD", "balance": "500.00"})
    account = open_account(apis, dda)
    admin(core, "/admin/fundings", {"dda": dda, "amount": "200.00"})
    wait_until(lambda: balance(apis, account) == "200.00", what=lambda: balance(apis, account))
    # The session's other modules mint without the core: compare against the differences before.
    before = differences(apis, "USD", "EUR")
    liability = {c: Decimal(core_balance(core, f"TOKEN-LIABILITY-{c}", "0")) for c in ("USD", "EUR")}
    q = quote(apis, "USD", "EUR", "0.925", "100.00")
    sold = apis[HOLDER].ok(
        "POST",
        "/v1/conversions",
        {"account": account, "quote_id": q["id"], "sell_currency": "USD", "sell_amount": "80.00"},
    )
    assert (sold["bought_currency"], sold["bought_amount"]) == ("EUR", "74.00")
    # One pacs.009, both legs: the token liability moves out of USD and into EUR through FX-POSITION.
    wait_until(
        lambda: Decimal(core_balance(core, "TOKEN-LIABILITY-EUR", "0")) == liability["EUR"] + Decimal("74.00"),
        what=lambda: core.get("/admin/balances").json(),
    )
    assert Decimal(core_balance(core, "TOKEN-LIABILITY-USD")) == liability["USD"] - Decimal("80.00")
    assert differences(apis, "USD", "EUR") == before
    report = apis["BankOrg/issuer"].ok("GET", "/v1/reconciliation")
    assert [b for b in report["breaks"] if b["kind"] == "fx_not_booked"] == []
