"""Sign-in, sign-out, the live feed, and the actions that write: each confirmed before it is sent.

An action is two POSTs, both CSRF-checked: `…/review` validates the form exactly as the API would and
renders a confirmation page carrying a fresh Idempotency-Key; confirming sends the write with that key
through the API's own route function. A double click, a reload or a resent form therefore replays the
first answer (`gateway.service.WriteService`): the money moves once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from chaincode.access import Role
from gateway.api import accounts, payments, redemptions
from gateway.api.deps import Components
from gateway.api.schemas import (
    FreezeRequest,
    MintCreate,
    Receipt,
    RedemptionCreate,
    RedemptionReject,
    RedemptionSettle,
    TransferCreate,
)
from gateway.console._pages import HOME, live_rows
from gateway.console._web import Console, Refused
from gateway.directory import Caller
from gateway.errors import ServiceError
from gateway.event_hub import LOST, HubEvent

_KEY = re.compile(r"[0-9a-f]{32}")
Run = Callable[[Components, Caller, dict[str, str], str], Receipt]


@dataclass(frozen=True, slots=True)
class Action:
    title: str
    verb: str  # the confirm button's label
    fields: tuple[tuple[str, str], ...]  # (form field, label)
    check: Callable[[dict[str, str]], BaseModel]  # the API's body model: refuses what the API refuses
    run: Run


def _target(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "")
    if not re.fullmatch(r"[0-9A-Za-z._-]{1,128}", value):
        raise Refused(400, "INVALID_ARGUMENT", f"{name}: not an id")
    return value


ACTIONS: dict[str, Action] = {
    "pay": Action(
        "Pay",
        "Send payment",
        (
            ("from", "From account"),
            ("to", "To account"),
            ("currency", "Currency"),
            ("amount", "Amount"),
            ("reference", "Invoice reference"),
        ),
        lambda f: TransferCreate.model_validate(f),
        lambda c, caller, f, key: payments.transfer(
            TransferCreate.model_validate(f), caller, c, Response(), key=key, signing=None
        ),
    ),
    "redeem": Action(
        "Redeem",
        "Request redemption",
        (("account", "Account"), ("currency", "Currency"), ("amount", "Amount")),
        lambda f: RedemptionCreate.model_validate(f),
        lambda c, caller, f, key: redemptions.redeem(RedemptionCreate.model_validate(f), caller, c, Response(), key),
    ),
    "mint": Action(
        "Mint",
        "Mint",
        (("account", "Account"), ("currency", "Currency"), ("amount", "Amount"), ("reserve_ref", "Reserve reference")),
        lambda f: MintCreate.model_validate(f),
        lambda c, caller, f, key: payments.mint(MintCreate.model_validate(f), caller, c, Response(), key),
    ),
    "settle": Action(
        "Settle redemption",
        "Settle",
        (("redemption_id", "Redemption"), ("payout_ref", "Payout reference")),
        lambda f: RedemptionSettle.model_validate({"payout_ref": f.get("payout_ref")}),
        lambda c, caller, f, key: redemptions.settle(
            _target(f, "redemption_id"),
            RedemptionSettle(payout_ref=f.get("payout_ref", "")),
            caller,
            c,
            Response(),
            key,
        ),
    ),
    "reject": Action(
        "Reject redemption",
        "Reject",
        (("redemption_id", "Redemption"), ("reason", "Reason")),
        lambda f: RedemptionReject.model_validate({"reason": f.get("reason")}),
        lambda c, caller, f, key: redemptions.reject(
            _target(f, "redemption_id"), RedemptionReject(reason=f.get("reason", "")), caller, c, Response(), key
        ),
    ),
    "freeze": Action(
        "Freeze account",
        "Freeze",
        (("account", "Account"), ("reason", "Reason")),
        lambda f: FreezeRequest.model_validate({"reason": f.get("reason")}),
        lambda c, caller, f, key: accounts.freeze(
            _target(f, "account"), caller, c, Response(), FreezeRequest(reason=f.get("reason", "")), key
        ),
    ),
    "unfreeze": Action(
        "Unfreeze account",
        "Unfreeze",
        (("account", "Account"), ("reason", "Reason")),
        lambda f: FreezeRequest.model_validate({"reason": f.get("reason")}),
        lambda c, caller, f, key: accounts.unfreeze(
            _target(f, "account"), caller, c, Response(), FreezeRequest(reason=f.get("reason", "")), key
        ),
    ),
}


def _invalid(exc: ValidationError) -> Refused:
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors())
    return Refused(400, "INVALID_ARGUMENT", where)


def router(console: Console) -> APIRouter:
    r = APIRouter(prefix="/console", include_in_schema=False)

    @r.get("/sign-in")
    def sign_in_form(request: Request) -> Response:
        session = console.session(request) or console.sessions.open()
        return console.render("sign_in.html", session)

    @r.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        session = console.session(request)
        try:
            fields = await console.form(request, session)
        except Refused as exc:
            return console.error(None, None, exc.status, exc.code, exc.message)
        assert session is not None  # form() refuses a POST without a session
        key = fields.get("api_key", "").strip()
        caller = console.c.directory.authenticate(key) if key else None
        if caller is None:
            if console.failed_sign_ins.take():  # guessing keys: slowed for everyone, not per session (free to make)
                return console.error(session, None, 429, "RATE_LIMITED", "too many failed sign-ins; wait a moment")
            return console.render("sign_in.html", session, status=401, failed=True)
        signed = console.sessions.sign_in(session, key)
        response = RedirectResponse(HOME.get(Role(caller.role), "/console"), status_code=303)
        console.set_cookie(response, signed)
        return response

    @r.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        session = console.session(request)
        try:
            await console.form(request, session)
        except Refused as exc:
            return console.error(None, None, exc.status, exc.code, exc.message)
        assert session is not None
        console.sessions.close(session.id)
        return RedirectResponse("/console/sign-in", status_code=303)

    async def _signed_in(request: Request) -> tuple[Any, Caller, dict[str, str]]:
        session = console.session(request)
        fields = await console.form(request, session)  # CSRF first: a forged POST learns nothing more
        who = console.caller(request)
        if who is None:
            raise Refused(401, "UNAUTHENTICATED", "sign in first")
        return who[0], who[1], fields

    @r.post("/actions/{name}/review")
    async def review(request: Request, name: str) -> Response:
        try:
            session, caller, fields = await _signed_in(request)
        except Refused as exc:
            return console.error(None, None, exc.status, exc.code, exc.message)
        action = ACTIONS.get(name)
        if action is None:
            return console.error(session, caller, 404, "NOT_FOUND", f"no action {name!r}")
        values = {f: fields.get(f, "") for f, _ in action.fields}
        try:
            action.check(values)
        except ValidationError as exc:
            bad = _invalid(exc)
            return console.error(session, caller, bad.status, bad.code, bad.message)
        return console.render(
            "confirm.html", session, caller, name=name, action=action, values=values, key=uuid.uuid4().hex
        )

    @r.post("/actions/{name}")
    async def confirm(request: Request, name: str) -> Response:
        try:
            session, caller, fields = await _signed_in(request)
        except Refused as exc:
            return console.error(None, None, exc.status, exc.code, exc.message)
        action = ACTIONS.get(name)
        key = fields.get("idempotency_key", "")
        if action is None or _KEY.fullmatch(key) is None:
            return console.error(session, caller, 400, "INVALID_ARGUMENT", "no such action, or no idempotency key")
        values = {f: fields.get(f, "") for f, _ in action.fields}
        try:
            receipt = await _threaded(lambda: action.run(console.c, caller, values, key))
        except ValidationError as exc:
            bad = _invalid(exc)
            return console.error(session, caller, bad.status, bad.code, bad.message)
        except Refused as exc:
            return console.error(session, caller, exc.status, exc.code, exc.message)
        except ServiceError as exc:
            return console.service_error(session, caller, exc)
        return RedirectResponse(f"/console/transactions/{receipt.tx_id}?done={name}", status_code=303)

    @r.get("/feed")
    async def feed(request: Request) -> Response:
        """Server-sent events: one HTML row per committed event the identity may see."""
        who = console.caller(request)
        if who is None:
            return Response("sign in first", status_code=401, media_type="text/plain")
        session, caller = who
        viewer = console.c.directory.viewer(caller)
        subscription = console.c.events.subscribe()

        async def body() -> AsyncIterator[str]:
            try:
                yield ": connected\n\n"
                async for item in subscription:
                    if item == LOST or console.sessions.get(session.id) is None:
                        return  # fell behind, or signed out: the browser reconnects (or is sent to sign in)
                    assert isinstance(item, HubEvent)
                    html = live_rows(console, viewer, item)
                    if html is not None:
                        data = "".join(f"data: {line}\n" for line in html.splitlines() if line.strip())
                        yield f"event: row\n{data}\n"
            finally:
                await subscription.aclose()

        return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    return r


async def _threaded(fn: Callable[[], Receipt]) -> Receipt:
    """A write blocks until its commit: run it off the event loop."""
    return await run_in_threadpool(fn)
