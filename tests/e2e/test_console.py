"""Issue 12 in a real browser: the web console of each org's gateway, on the live network.

Headless Debian Chromium driven by Playwright. Screenshots go to the session's temporary directory
(printed at the end of the run with `-s`); README's come from there.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from gateway.console._format import decimal, to_minor
from network.network import Network
from tests.e2e.conftest import Apis, new_id

BANK, COMPLIANCE = "BankOrg/issuer", "BankOrg/compliance"
OPERATOR, BUYER, SELLER, AUDITOR = (
    "PlatformOrg/operator",
    "PlatformOrg/buyer-us",
    "PlatformOrg/seller-cn",
    "AuditorOrg/auditor",
)
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="scripts/setup.sh installs chromium")


@pytest.fixture(scope="module")
def browser(network: Network) -> Iterator[Browser]:
    # Chromium refuses some ports outright (10080 is on its list of "unsafe" ones); the suite's port
    # block may land on one, so the gateways' ports are allowed explicitly.
    ports = ",".join(str(org.gateway_port) for org in network.topology.orgs)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", f"--explicitly-allowed-ports={ports}"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("console-screenshots")


class Console:
    """Browser contexts signed in to the console as dev identities (one context = one browser profile)."""

    def __init__(self, browser: Browser, apis: Apis, shots: Path) -> None:
        self.browser, self.apis, self.shots = browser, apis, shots
        self.contexts: list[BrowserContext] = []

    def open(self, ref: str | None = None, viewport: dict[str, int] = DESKTOP, url: str | None = None) -> Page:
        context = self.browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        base = url or self.apis[ref or AUDITOR].url
        page.goto(f"{base}/console/sign-in")
        if ref is not None:
            page.get_by_label("API key").fill(self.apis[ref].api_key)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(re.compile(r"/console/(auditor|bank|member|operator)$"))
        return page

    def shot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def close(self) -> None:
        for c in self.contexts:
            c.close()


@pytest.fixture
def console(browser: Browser, apis: Apis, shots: Path) -> Iterator[Console]:
    c = Console(browser, apis, shots)
    yield c
    c.close()


@pytest.fixture(scope="module")
def accounts(apis: Apis) -> dict[str, str]:
    """A buyer and a seller account, the buyer's funded with 1,234,567.89 USD and 2,500.00 EUR."""
    out = {"buyer": new_id("buyer"), "seller": new_id("seller")}
    for acct, holder in ((out["buyer"], BUYER), (out["seller"], SELLER)):
        apis[BANK].ok("POST", "/v1/accounts", {"id": acct, "holder": holder, "kyc_ref": f"KYC-{acct}"})
    for cur, amount in (("USD", "1234567.89"), ("EUR", "2500")):
        mint = {"account": out["buyer"], "currency": cur, "amount": amount, "reserve_ref": new_id("RES")}
        apis[BANK].ok("POST", "/v1/mints", mint)
    apis.sync()
    return out


def cell(page: Page, account: str, currency: str) -> str:
    return page.locator(f'tr[data-account="{account}"] td[data-currency="{currency}"]').inner_text()


def test_each_role_sees_the_numbers_the_api_returns(console: Console, apis: Apis, accounts: dict[str, str]) -> None:
    buyer = accounts["buyer"]
    auditor = console.open(AUDITOR)
    supply: dict[str, dict[str, Any]] = apis[AUDITOR].ok("GET", "/v1/supply")
    listed = apis[AUDITOR].request("GET", "/v1/currencies").json()
    digits = {c["code"]: int(c["minor_digits"]) for c in (listed if isinstance(listed, list) else listed["currencies"])}
    for cur, figures in supply.items():
        row = auditor.locator(f'table.supply tr[data-currency="{cur}"]')
        for field, value in figures.items():
            shown = row.locator(f'td[data-field="{field}"]').inner_text()
            assert shown == (
                ("holds" if value else "BROKEN") if isinstance(value, bool) else decimal(value, digits[cur])
            )
    # The chart's last point per currency is the report's outstanding.
    for cur, figures in supply.items():
        series = auditor.locator(f'[data-series="{cur}"]')
        if series.count():
            assert int(series.get_attribute("data-last") or "") == to_minor(figures["outstanding"], digits[cur])
    console.shot(auditor, "auditor-start")

    api_balances = apis[BUYER].ok("GET", f"/v1/accounts/{buyer}")["balances"]
    assert api_balances["USD"] == "1234567.89"
    for ref, path in ((BUYER, "member"), (BANK, "bank"), (OPERATOR, "operator"), (AUDITOR, "auditor")):
        page = console.open(ref)
        assert page.url.endswith(f"/console/{path}")
        expect(page.locator("table").first).to_be_visible()
        # Other tests' accounts fill the home page's listing (a page at a time): the account's own page.
        page.goto(f"{apis[ref].url}/console/accounts/{buyer}")
        assert page.locator('dd[data-currency="USD"]').inner_text() == "1,234,567.89", ref
        assert page.locator('dd[data-currency="EUR"]').inner_text() == "2,500.00", ref


def test_member_pays_from_the_form_and_it_appears_live(console: Console, apis: Apis, accounts: dict[str, str]) -> None:
    auditor = console.open(AUDITOR)
    seller = console.open(SELLER)
    for page in (auditor, seller):
        expect(page.locator("tbody[data-feed]")).to_have_attribute("data-live", "open")

    buyer = console.open(BUYER)
    reference = new_id("INV")
    buyer.get_by_label("From account").fill(accounts["buyer"])
    buyer.get_by_label("To account").fill(accounts["seller"])
    buyer.get_by_label("Currency", exact=True).select_option("USD")
    buyer.get_by_label("Amount").fill("4321.5")
    buyer.get_by_label("Invoice reference").fill(reference)
    buyer.get_by_role("button", name="Review payment").click()
    expect(buyer.locator('dd[data-field="amount"]')).to_have_text("4,321.50")
    console.shot(buyer, "member-confirm")
    buyer.get_by_role("button", name="Send payment").click()
    expect(buyer.locator("[data-done=pay]")).to_be_visible()
    tx_id = buyer.locator('dd[data-field="tx_id"]').inner_text()
    assert buyer.locator('dd[data-field="validation_code"]').inner_text() == "VALID"
    assert "PlatformMSP" in buyer.locator('dd[data-field="endorsers"]').inner_text()

    # Without a reload: the row arrives over the feed on the auditor's page and the payee's.
    for page in (auditor, seller):
        row = page.locator(f'tbody[data-feed] tr[data-tx="{tx_id}"]')
        expect(row).to_contain_text(reference)
        expect(row).to_contain_text("4,321.50 USD")
    console.shot(auditor, "auditor-live-feed")

    apis.sync()
    assert apis[SELLER].ok("GET", f"/v1/accounts/{accounts['seller']}")["balances"]["USD"] == "4321.50"
    seller.goto(f"{apis[SELLER].url}/console/accounts/{accounts['seller']}")  # the listing may be full of others
    timeline = seller.locator(f'table.payments tr[data-tx="{tx_id}"] .timeline')
    expect(timeline).to_contain_text("submitted")
    expect(timeline).to_contain_text("committed")
    console.shot(seller, "member")

    # The transaction page, and the CSV export of its block.
    block = int(auditor.goto(f"{apis[AUDITOR].url}/console/transactions/{tx_id}") and
                auditor.locator('dd[data-field="block_number"]').inner_text())  # fmt: skip
    console.shot(auditor, "transaction")
    csv = auditor.context.request.get(f"{apis[AUDITOR].url}/console/export.csv?from={block}&to={block}")
    assert csv.status == 200 and tx_id in csv.text() and "432150,4321.50" in csv.text()


def test_a_confirmed_payment_sent_twice_moves_money_once(
    console: Console, apis: Apis, accounts: dict[str, str]
) -> None:
    buyer = console.open(BUYER)
    before = apis[BUYER].ok("GET", f"/v1/accounts/{accounts['buyer']}")["balances"]["EUR"]
    buyer.get_by_label("From account").fill(accounts["buyer"])
    buyer.get_by_label("To account").fill(accounts["seller"])
    buyer.get_by_label("Currency", exact=True).select_option("EUR")
    buyer.get_by_label("Amount").fill("10")
    buyer.get_by_label("Invoice reference").fill(new_id("INV"))
    buyer.get_by_role("button", name="Review payment").click()
    form = buyer.locator("form[data-confirm]")
    fields = form.evaluate("f => Object.fromEntries(new FormData(f))")
    url = f"{apis[BUYER].url}/console/actions/pay"
    first = buyer.context.request.post(url, form=fields, max_redirects=0)
    second = buyer.context.request.post(url, form=fields, max_redirects=0)
    assert first.status == second.status == 303 and first.headers["location"] == second.headers["location"]
    after = apis[BUYER].ok("GET", f"/v1/accounts/{accounts['buyer']}")["balances"]["EUR"]
    assert to_minor(before, 2) - to_minor(after, 2) == 1000

    no_csrf = {k: v for k, v in fields.items() if k != "csrf_token"}
    refused = buyer.context.request.post(url, form=no_csrf, max_redirects=0)
    assert refused.status == 403 and 'data-code="CSRF"' in refused.text()


def test_a_bank_operator_settles_a_redemption(console: Console, apis: Apis, accounts: dict[str, str]) -> None:
    redeemed = apis[BUYER].ok(
        "POST", "/v1/redemptions", {"account": accounts["buyer"], "currency": "USD", "amount": "1000.00"}
    )
    rid = redeemed["redemption_id"]
    apis.sync()
    bank = console.open(BANK)
    row = bank.locator(f'tr[data-redemption="{rid}"]')
    for _ in range(20):  # the console's index follows the chain: the request may be a moment behind
        if row.count():
            break
        bank.wait_for_timeout(500)
        bank.reload()
    expect(row).to_contain_text("1,000.00 USD")
    row.get_by_label("Payout reference").fill("FED-PAYOUT-1")
    console.shot(bank, "bank")
    row.get_by_role("button", name="Settle").click()
    expect(bank.locator('dd[data-field="payout_ref"]')).to_have_text("FED-PAYOUT-1")
    bank.get_by_role("button", name="Settle").click()
    expect(bank.locator("[data-done=settle]")).to_be_visible()
    apis.sync()
    assert apis[BANK].ok("GET", f"/v1/redemptions/{rid}")["status"] == "settled"
    bank.goto(f"{apis[BANK].url}/console/bank")
    expect(bank.locator(f'tr[data-redemption="{rid}"]')).to_have_count(0)


def test_a_wrong_key_is_refused(console: Console, apis: Apis) -> None:
    page = console.open(url=apis[AUDITOR].url)
    page.get_by_label("API key").fill("dev-auditororg-auditor-not-the-key")
    with page.expect_response(re.compile(r"/console/sign-in$")) as answer:
        page.keyboard.press("Enter")  # the keyboard alone signs in (or, here, is refused)
    assert answer.value.status == 401
    expect(page.locator('[data-code="UNAUTHENTICATED"]')).to_be_visible()
    assert page.goto(f"{apis[AUDITOR].url}/console/auditor") is not None
    assert page.url.endswith("/console/sign-in")
    console.shot(page, "sign-in-refused")


def test_a_holder_cannot_open_another_holders_account(console: Console, apis: Apis, accounts: dict[str, str]) -> None:
    seller = console.open(SELLER, viewport=PHONE)
    answer = seller.goto(f"{apis[SELLER].url}/console/accounts/{accounts['buyer']}")
    assert answer is not None and answer.status == 403
    text = seller.locator("main").inner_text()
    assert "1,234,567" not in text and "buyer" not in text.lower().replace(accounts["buyer"], "")
    own = seller.goto(f"{apis[SELLER].url}/console/accounts/{accounts['seller']}")
    assert own is not None and own.status == 200


def test_the_member_page_fits_a_phone_and_is_keyboard_navigable(
    console: Console, apis: Apis, accounts: dict[str, str]
) -> None:
    page = console.open(BUYER, viewport=PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    console.shot(page, "member-phone")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden]), select')]"
        ".filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"
    )
    assert unlabelled == []


def test_the_bank_mints_and_compliance_freezes_from_the_console(
    console: Console, apis: Apis, accounts: dict[str, str]
) -> None:
    seller = accounts["seller"]
    before = to_minor(apis[BANK].ok("GET", f"/v1/accounts/{seller}")["balances"]["EUR"], 2)
    bank = console.open(BANK)
    bank.get_by_label("Account", exact=True).fill(seller)
    bank.get_by_label("Currency").select_option("EUR")
    bank.get_by_label("Amount").fill("1000000")
    bank.get_by_label("Reserve reference").fill(new_id("ECB-RES"))
    bank.get_by_role("button", name="Review mint").click()
    expect(bank.locator('dd[data-field="amount"]')).to_have_text("1,000,000.00")
    bank.get_by_role("button", name="Mint").click()
    expect(bank.locator("[data-done=mint]")).to_be_visible()
    apis.sync()
    after = to_minor(apis[BANK].ok("GET", f"/v1/accounts/{seller}")["balances"]["EUR"], 2)
    assert after - before == 100_000_000

    compliance = console.open(COMPLIANCE)
    for verb, status in (("Freeze", "frozen"), ("Unfreeze", "active")):
        compliance.goto(f"{apis[COMPLIANCE].url}/console/accounts/{seller}")
        compliance.locator(f'tr[data-account="{seller}"]').get_by_role("button", name=verb).click()
        compliance.get_by_role("button", name=verb).click()
        expect(compliance.locator(f"[data-done={verb.lower()}]")).to_be_visible()
        apis.sync()
        assert apis[BANK].ok("GET", f"/v1/accounts/{seller}")["status"] == status
    console.shot(console.open(AUDITOR), "auditor")  # the supply after mints, payments and a settlement
