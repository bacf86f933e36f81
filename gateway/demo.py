"""`deposits demo`: the story this system exists for, told step by step against the running gateways."""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class Actor:
    label: str
    url: str
    api_key: str


class DemoError(RuntimeError):
    pass


def actors_from_status(gateways: list[dict[str, Any]]) -> dict[str, Actor]:
    """`Org/name` → Actor, from `deposits network status --json`'s `gateways`."""
    out = {}
    for gw in gateways:
        for ident in gw["identities"]:
            out[ident["ref"]] = Actor(ident["ref"], gw["url"], ident["api_key"])
    return out


class Client:
    def __init__(self) -> None:
        self.http = httpx.Client(timeout=30)

    def call(self, actor: Actor, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {actor.api_key}"}
        if method == "POST":
            headers["Idempotency-Key"] = secrets.token_hex(16)
        r = self.http.request(method, actor.url + path, json=body, headers=headers)
        if r.status_code >= 400:
            raise DemoError(f"{actor.label} {method} {path} → {r.status_code} {r.text}")
        data: dict[str, Any] = r.json()
        return data


def watch_events(actor: Actor, sink: queue.Queue[dict[str, Any]], ready: threading.Event) -> None:
    """Follow the gateway's event stream (SSE) and put each event's data into sink."""
    headers = {"Authorization": f"Bearer {actor.api_key}"}
    with httpx.Client(timeout=None) as http, http.stream("GET", actor.url + "/v1/events", headers=headers) as r:
        ready.set()
        for line in r.iter_lines():
            if line.startswith("data: "):
                sink.put(json.loads(line[6:]))


def books_story(c: Client, a: dict[str, Actor], core_url: str, run: str, say: Callable[[str], None]) -> None:
    """The bank's books: a funding booked in the core becomes tokens, a redemption is paid back into the DDA, a
    conversion is booked in the core, and the reconciliation compares the two sets of books. Raises DemoError."""
    bank, buyer = a["BankOrg/issuer"], a["PlatformOrg/buyer-us"]
    dda, account = f"DDA-DEMO-{run}", f"acme-dda-{run}"

    def core(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = c.http.post(core_url + path, json=body, headers={"Idempotency-Key": secrets.token_hex(16)})
        if r.status_code >= 400:
            raise DemoError(f"core POST {path} → {r.status_code} {r.text}")
        data: dict[str, Any] = r.json()
        return data

    core("/admin/ddas", {"dda": dda, "currency": "USD", "balance": "1000000.00"})
    c.call(bank, "POST", "/v1/accounts", {"id": account, "holder": buyer.label, "kyc_ref": f"KYC-{run}", "dda": dda})
    funded = core("/admin/fundings", {"dda": dda, "amount": "250000.00"})
    ref = funded["entries"][0]["reference"]
    say(f"8. The core books a funding of 250000.00 USD from DDA {dda} (booking {ref}) and sends its camt.054")
    deadline = time.monotonic() + 30
    while c.call(bank, "GET", f"/v1/accounts/{account}")["balances"]["USD"] != "250000.00":
        if time.monotonic() > deadline:
            raise DemoError(f"the funding {ref} was not minted within 30 s")
        time.sleep(0.25)
    say(f"   the books connector mints it to {account} (reserve_ref {ref}, as BankOrg treasury)")
    red = c.call(buyer, "POST", "/v1/redemptions", {"account": account, "currency": "USD", "amount": "50000.00"})
    rid = red["redemption_id"]
    while (state := c.call(bank, "GET", f"/v1/redemptions/{rid}"))["status"] == "pending":
        if time.monotonic() > deadline + 30:
            raise DemoError(f"redemption {rid} was not paid within 60 s")
        time.sleep(0.25)
    say(
        f"   a redemption of 50000.00 goes back to the DDA by pacs.008: {state['status']}, payout {state['payout_ref']}"
    )
    euro_liability = _core_balance(c, core_url, "TOKEN-LIABILITY-EUR")
    desk = a["BankOrg/fx-desk"]
    valid_until = time.time_ns() // 1_000_000_000 + 600
    q = c.call(
        desk,
        "POST",
        "/v1/fx/quotes",
        {"base": "USD", "quote": "EUR", "rate": "0.925", "valid_until": valid_until, "max_base_amount": "20000.00"},
    )["quote"]
    body = {"account": account, "quote_id": q["id"], "sell_currency": "USD", "sell_amount": "20000.00"}
    sold = c.call(buyer, "POST", "/v1/conversions", body)
    while _core_balance(c, core_url, "TOKEN-LIABILITY-EUR") == euro_liability:
        if time.monotonic() > deadline + 60:
            raise DemoError("the conversion was not booked in the core within 90 s")
        time.sleep(0.25)
    say(
        f"   the buyer converts 20000.00 USD to {sold['bought_amount']} EUR at the fx desk's 0.925; the connector "
        f"books it in the core by one pacs.009 (TOKEN-LIABILITY-EUR now "
        f"{_core_balance(c, core_url, 'TOKEN-LIABILITY-EUR')})"
    )
    time.sleep(2)  # the connector reconciles once a second
    report = c.call(bank, "GET", "/v1/reconciliation")
    kinds: dict[str, int] = {}
    for b in report["breaks"]:
        kinds[b["kind"]] = kinds.get(b["kind"], 0) + 1
    figures = "; ".join(
        f"{code} ledger {f['ledger']}, books {f['books']}, difference {f['difference']}"
        for code, f in report["currencies"].items()
    )
    say(f"9. Reconciliation as of block {report['as_of_block']}: {figures}")
    say(
        f"   breaks {kinds or 'none'}: the direct mints of step 2 are against reserves the core never booked "
        f"(unbacked_mint), the settlements of step 5 by a payout the core never made (settlement_without_payout), "
        f"and so the ledger is above the books by exactly those; the core's funding, payout and conversion agree"
    )


def _core_balance(c: Client, core_url: str, account: str) -> str:
    """An account's balance in the reference core ("0" before the account exists)."""
    r = c.http.get(core_url + "/admin/balances")
    if r.status_code >= 400:
        raise DemoError(f"core GET /admin/balances → {r.status_code} {r.text}")
    return str(next((x["balance"] for x in r.json()["accounts"] if x["account"] == account), "0"))


def run_demo(
    gateways: list[dict[str, Any]], say: Callable[[str], None] = print, core_url: str | None = None
) -> dict[str, Any]:
    """Run the story; returns the auditor's final supply report. Raises DemoError on any failed step.
    With `core_url` (the bank's reference core), also the books' story."""
    a = actors_from_status(gateways)
    bank = a["BankOrg/issuer"]
    buyer, seller, auditor = a["PlatformOrg/buyer-us"], a["PlatformOrg/seller-cn"], a["AuditorOrg/auditor"]
    c = Client()
    run = secrets.token_hex(3)
    buyer_acct, seller_acct = f"acme-us-{run}", f"shenzhen-cn-{run}"

    events: queue.Queue[dict[str, Any]] = queue.Queue()
    ready = threading.Event()
    threading.Thread(target=watch_events, args=(seller, events, ready), daemon=True).start()
    ready.wait(10)

    say(f"1. BankOrg opens accounts for a US buyer ({buyer_acct}) and a Chinese supplier ({seller_acct})")
    c.call(bank, "POST", "/v1/accounts", {"id": buyer_acct, "holder": buyer.label, "kyc_ref": f"KYC-US-{run}"})
    c.call(bank, "POST", "/v1/accounts", {"id": seller_acct, "holder": seller.label, "kyc_ref": f"KYC-CN-{run}"})

    for cur, mint_amt, pay_amt, redeem_amt in (
        ("USD", "1000000.00", "125000.50", "25000.00"),
        ("EUR", "500000.00", "80000.25", "10000.00"),
    ):
        r = c.call(
            bank,
            "POST",
            "/v1/mints",
            {"account": buyer_acct, "currency": cur, "amount": mint_amt, "reserve_ref": f"RESERVE-{cur}-{run}"},
        )
        say(
            f"2. BankOrg mints {mint_amt} {cur} to {buyer_acct} against reserve RESERVE-{cur}-{run} "
            f"(tx {r['tx_id'][:12]}…, block {r['block_number']})"
        )
        invoice = f"INV-2026-001-{cur}-{run}"
        started = time.monotonic()
        r = c.call(
            buyer,
            "POST",
            "/v1/transfers",
            {"from": buyer_acct, "to": seller_acct, "currency": cur, "amount": pay_amt, "reference": invoice},
        )
        say(f"3. The buyer pays {pay_amt} {cur} for invoice {invoice} (committed in block {r['block_number']})")
        deadline = time.monotonic() + 15
        while True:
            try:
                ev = events.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise DemoError(f"the supplier saw no payment event for {invoice} within 15 s") from None
            if ev["tx_id"] == r["tx_id"]:
                break
        say(
            f"4. The supplier sees the payment arrive from the event stream after {time.monotonic() - started:.2f}s: "
            f"{ev['type']} {json.dumps(ev['payload'], sort_keys=True)}"
        )
        bal = c.call(seller, "GET", f"/v1/accounts/{seller_acct}")["balances"]
        say(f"   supplier balance: {bal}")
        red = c.call(seller, "POST", "/v1/redemptions", {"account": seller_acct, "currency": cur, "amount": redeem_amt})
        say(f"5. The supplier redeems {redeem_amt} {cur} (redemption {red['redemption_id']}, pending)")
        c.call(bank, "POST", f"/v1/redemptions/{red['redemption_id']}/settle", {"payout_ref": f"WIRE-{cur}-{run}"})
        state = c.call(seller, "GET", f"/v1/redemptions/{red['redemption_id']}")
        say(f"   BankOrg settles it with payout WIRE-{cur}-{run}: redemption is {state['status']}")

    operator = a["PlatformOrg/operator"]
    order_id = f"PO-2026-7-{run}"
    ship_by = time.time_ns() // 1_000_000_000 + 7 * 24 * 3600
    milestones = [{"on": "shipment", "amount": "15000.00"}, {"on": "acceptance", "amount": "35000.00"}]
    order: dict[str, Any] = {
        "id": order_id,
        "buyer_account": buyer_acct,
        "seller_account": seller_acct,
        "currency": "USD",
    }
    order |= {"amount": "50000.00", "ship_by": ship_by, "inspection_seconds": 3 * 24 * 3600, "milestones": milestones}
    r = c.call(buyer, "POST", "/v1/orders", order)
    say(f"6. The buyer places order {order_id} with trade assurance: 50000.00 USD into escrow "
        f"(held {r['order']['held']}; 15000.00 on shipment, 35000.00 on acceptance)")  # fmt: skip
    r = c.call(operator, "POST", f"/v1/orders/{order_id}/shipment", {"carrier": "COSCO", "tracking_ref": f"TRK-{run}"})
    say(f"   the marketplace records shipment: {r['moved']} released to the supplier, {r['order']['held']} held")
    r = c.call(operator, "POST", f"/v1/orders/{order_id}/delivery")
    say(f"   the marketplace records delivery: still {r['order']['held']} held until the buyer accepts")
    mid = c.call(auditor, "GET", "/v1/supply")["USD"]
    say(
        f"   the auditor sees {mid['escrowed']} USD escrowed; "
        f"invariant {'holds' if mid['invariant_holds'] else 'BROKEN'}"
    )
    r = c.call(buyer, "POST", f"/v1/orders/{order_id}/accept")
    say(f"   the buyer accepts the goods: {r['moved']} released; the order is {r['order']['status']}")

    supply = c.call(auditor, "GET", "/v1/supply")
    say("7. The auditor's supply report:")
    for cur, f in supply.items():
        say(
            f"   {cur}: minted {f['minted']}, redeemed {f['redeemed']}, outstanding {f['outstanding']} = "
            f"balances {f['balances_total']} + pending redemptions {f['pending_redemptions']} "
            f"+ escrowed {f['escrowed']} "
            f"→ {'holds' if f['invariant_holds'] else 'BROKEN'}"
        )
        if not f["invariant_holds"]:
            raise DemoError(f"supply invariant broken for {cur}")
    if core_url is not None:
        books_story(c, a, core_url, run, say)
    return supply
