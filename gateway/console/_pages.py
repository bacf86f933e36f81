"""The console's pages: each one reads through the JSON API's own route functions, as the signed-in identity.

So a page shows exactly what the API answers that identity — which is what the chaincode lets it read —
and the numbers are the API's decimals, formatted for people (`_format`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chaincode import access
from chaincode.access import Role
from chaincode.errors import ErrorCode
from chaincode.protocol import Event, EventType
from gateway.api import accounts, ledger_routes, orders, redemptions
from gateway.api.events import seen_by
from gateway.api.money import to_decimal
from gateway.console import _chart
from gateway.console._sessions import Session
from gateway.console._web import Console, Refused
from gateway.directory import Caller
from gateway.errors import ServiceError
from gateway.event_hub import HubEvent

Page = Callable[[Session, Caller], Response]

HOME = {
    Role.AUDITOR: "/console/auditor",
    Role.ISSUER: "/console/bank",
    Role.COMPLIANCE: "/console/bank",
    Role.HOLDER: "/console/member",
    Role.OPERATOR: "/console/operator",
}
_TX_ID = re.compile(r"[0-9a-f]{64}")
_ESCROW = frozenset(t for t in EventType if t.name.startswith(("ESCROW_", "SHIPMENT_", "DELIVERY_", "DISPUTE_")))
MAX_EXPORT_BLOCKS = 100_000
PAGE = 20  # accounts per page (the member page reads each one's history)


def page(console: Console, request: Request, body: Page) -> Response:
    """Run a page for the signed-in identity; to the sign-in page without one; errors as an error page."""
    who = console.caller(request)
    if who is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    session, caller = who
    try:
        return body(session, caller)
    except Refused as exc:
        return console.error(session, caller, exc.status, exc.code, exc.message)
    except ServiceError as exc:
        return console.service_error(session, caller, exc)


def feed_row(item: HubEvent) -> dict[str, Any]:
    """What the feed shows of an event (already cut to the viewer's part)."""
    e: Event | None = item.event
    refs = {} if e is None else {k: v for k, v in e.references.items() if k not in ("holder_msp", "holder_subject")}
    return {
        "block": item.ledger.block_number,
        "tx_id": item.ledger.tx_id,
        "type": item.ledger.name,
        "accounts": [] if e is None else list(e.accounts),
        "currency": None if e is None else e.currency,
        "amount": None if e is None else e.amount,
        "reference": " · ".join(f"{v}" for v in refs.values()),
        "references": refs,
    }


def router(console: Console) -> APIRouter:
    r = APIRouter(prefix="/console", include_in_schema=False)
    c = console.c

    def viewer(caller: Caller) -> access.Caller:
        return c.directory.viewer(caller)

    @r.get("")
    def home(request: Request) -> Response:
        who = console.caller(request)
        if who is None:
            return RedirectResponse("/console/sign-in", status_code=303)
        return RedirectResponse(HOME.get(Role(who[1].role), "/console/sign-in"), status_code=303)

    @r.get("/auditor")
    def auditor(request: Request) -> Response:
        def body(session: Session, caller: Caller) -> Response:
            supply = ledger_routes.supply(caller, c)
            report = {cur: fig.model_dump() for cur, fig in supply.items()}
            seen = console.index.visible(viewer(caller))
            series = _chart.outstanding_series((i.ledger.block_number, i.event) for i in seen if i.event is not None)
            recent = [feed_row(i) for i in reversed(seen[-50:])]
            return console.render(
                "auditor.html",
                session,
                caller,
                report=report,
                charts=[(s, _chart.svg(s, console.digits(s.currency), console.index.height)) for s in series],
                series=series,
                recent=recent,
                height=console.index.height,
            )

        return page(console, request, body)

    @r.get("/transactions/{tx_id}")
    def transaction(request: Request, tx_id: str) -> Response:
        def body(session: Session, caller: Caller) -> Response:
            if _TX_ID.fullmatch(tx_id) is None:
                raise Refused(400, "INVALID_ARGUMENT", "a transaction id is 64 lowercase hex digits")
            status = ledger_routes.transaction(tx_id, caller, c)  # 404 alike when hidden from this caller
            committed = c.ledger.transaction(c.directory.service, tx_id)
            event = ledger_routes.event_of(committed.event_payload)
            shown = None if event is None else access.visible_event(viewer(caller), event)
            return console.render(
                "transaction.html",
                session,
                caller,
                tx=status,
                endorsers=committed.endorsers,
                event_name=committed.event_name,
                event=None if shown is None else shown.to_dict(),
                done=request.query_params.get("done"),
            )

        return page(console, request, body)

    @r.get("/export.csv")
    def export(request: Request) -> Response:
        def body(session: Session, caller: Caller) -> Response:
            try:
                first = int(request.query_params.get("from", "0"))
                last = int(request.query_params.get("to", str(console.index.height or 0)))
            except ValueError as exc:
                raise Refused(400, "INVALID_ARGUMENT", "from and to are block numbers") from exc
            if not 0 <= first <= last or last - first > MAX_EXPORT_BLOCKS:
                raise Refused(400, "INVALID_ARGUMENT", f"0 <= from <= to, at most {MAX_EXPORT_BLOCKS} blocks")
            out = io.StringIO()
            w = csv.writer(out, lineterminator="\n")
            w.writerow(["block", "tx_id", "type", "accounts", "currency", "amount_minor", "amount", "reference"])
            for item in console.index.visible(viewer(caller)):
                if not first <= item.ledger.block_number <= last:
                    continue
                row = feed_row(item)
                cur, minor = row["currency"], row["amount"]
                decimal = "" if cur is None or minor is None else to_decimal(c, minor, cur)
                w.writerow(
                    [
                        row["block"],
                        row["tx_id"],
                        row["type"],
                        " ".join(row["accounts"]),
                        cur or "",
                        "" if minor is None else minor,
                        decimal,
                        row["reference"],
                    ]
                )
            name = f"transactions-{first}-{last}.csv"
            return Response(
                out.getvalue(),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
            )

        return page(console, request, body)

    @r.get("/bank")
    def bank(request: Request) -> Response:
        def body(session: Session, caller: Caller) -> Response:
            listing = accounts.list_accounts(caller, c, None, request.query_params.get("cursor"), PAGE)
            queue = []
            closed = {EventType.REDEMPTION_SETTLED, EventType.REDEMPTION_REJECTED}
            seen = console.index.visible(viewer(caller))
            done = {i.event.references.get("redemption_id") for i in seen if i.event and i.event.type in closed}
            for item in seen:
                e = item.event
                if e is not None and e.type is EventType.REDEMPTION_REQUESTED and item.ledger.tx_id not in done:
                    queue.append(redemptions.get_redemption(item.ledger.tx_id, caller, c))  # the ledger's word
            pending = [q for q in queue if q.status == "pending"]
            return console.render(
                "bank.html", session, caller, accounts=listing.accounts, next_cursor=listing.next_cursor, queue=pending
            )

        return page(console, request, body)

    def history(caller: Caller, account_id: str) -> list[dict[str, Any]]:
        """The account's entries, newest first, each with its status timeline."""
        raw = accounts.get_history(account_id, caller, c)
        seen = console.index.visible(viewer(caller))
        out = []
        for entry in reversed(raw.entries):
            steps = [("submitted", entry.timestamp)]
            block = console.index.block_of(entry.tx_id)
            if block is not None:
                steps.append(("committed", f"block {block}"))
            if entry.type in _ESCROW and entry.reference:
                for item in seen:
                    e = item.event
                    if e is not None and entry.reference in e.references.values() and e.type in _ESCROW:
                        steps.append((str(e.type), f"block {item.ledger.block_number}"))
                try:
                    order = orders.get_order(entry.reference, caller, c)
                    steps.append(("order now", str(order.status)))
                except ServiceError:
                    pass
            out.append({"entry": entry, "block": block, "steps": steps})
        return out

    @r.get("/member")
    def member(request: Request) -> Response:
        def body(session: Session, caller: Caller) -> Response:
            listing = accounts.list_accounts(caller, c, None, request.query_params.get("cursor"), PAGE)
            own = listing.accounts if caller.role == Role.HOLDER else []  # the pay form's "from": its own
            payments = {a.id: history(caller, a.id) for a in listing.accounts}
            return console.render(
                "member.html",
                session,
                caller,
                accounts=listing.accounts,
                next_cursor=listing.next_cursor,
                payments=payments,
                own=own,
            )

        return page(console, request, body)

    @r.get("/accounts/{account_id}")
    def account(request: Request, account_id: str) -> Response:
        def body(session: Session, caller: Caller) -> Response:
            try:
                acct = accounts.get_account(account_id, caller, c)
            except ServiceError as exc:
                if exc.code in (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.INVALID_ARGUMENT):
                    # The same answer whether it does not exist or is not this identity's to see.
                    raise Refused(403, "FORBIDDEN", "this is not an account you may see") from exc
                raise
            return console.render(
                "account.html", session, caller, account=acct, accounts=[acct], payments=history(caller, acct.id)
            )

        return page(console, request, body)

    @r.get("/operator")
    def operator(request: Request) -> Response:
        def body(session: Session, caller: Caller) -> Response:
            listing = accounts.list_accounts(caller, c, None, request.query_params.get("cursor"), PAGE)
            by_ref: dict[str, list[dict[str, Any]]] = {}
            for item in console.index.visible(viewer(caller)):
                row = feed_row(item)
                if item.event is not None and item.event.currency is not None and row["reference"]:
                    by_ref.setdefault(row["reference"], []).append(row)
            return console.render(
                "operator.html",
                session,
                caller,
                accounts=listing.accounts,
                next_cursor=listing.next_cursor,
                by_ref=sorted(by_ref.items()),
            )

        return page(console, request, body)

    @r.get("/search")
    def search(request: Request) -> Response:
        def body(session: Session, caller: Caller) -> Response:
            q = request.query_params.get("q", "").strip()
            if _TX_ID.fullmatch(q):
                return RedirectResponse(f"/console/transactions/{q}", status_code=303)
            hits = []
            if q:
                for item in console.index.visible(viewer(caller)):
                    row = feed_row(item)
                    if q in row["accounts"] or q in row["references"].values():
                        hits.append(row)
            return console.render("search.html", session, caller, q=q, hits=list(reversed(hits)))

        return page(console, request, body)

    return r


def live_rows(console: Console, viewer: access.Caller, item: HubEvent) -> str | None:
    """The feed's HTML row for a live event, or None when the viewer may see none of it."""
    seen = seen_by(item, viewer)
    if seen is None:
        return None
    return console.templates.get_template("_row.html").render(row=feed_row(seen))


__all__ = ["HOME", "live_rows", "router"]
