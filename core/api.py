"""The core's HTTP surface: the ISO 20022 endpoint, the operator's JSON API under /admin, /healthz.

`create_app(components)` wires it; every expected failure is JSON `{code, detail}` (plus `path` for a
message that breaks the schema's rules) with a 4xx status, and nothing changes.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from fastapi import FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from core.errors import CoreError
from core.outbox import Deliverer, next_attempt_at
from core.schemas import (
    BalancesPublic,
    CloseDayPublic,
    DdaCreate,
    DdaPublic,
    FundingCreate,
    FundingItem,
    FundingPublic,
    Health,
    LinePublic,
    OutboxList,
    OutboxPublic,
    PostingsPublic,
)
from core.service import CoreService, from_ms
from iso_messages import MessageError

XML_TYPES = ("application/xml", "text/xml")


@dataclass(frozen=True, slots=True)
class Components:
    service: CoreService
    deliverer: Deliverer
    # Seconds between automatic statements; 0: none.
    statement_interval: int = 0


def _problem(status: int, code: str, detail: str, path: str | None = None) -> JSONResponse:
    body: dict[str, str] = {"code": code, "detail": detail}
    if path is not None:
        body["path"] = path
    return JSONResponse(body, status_code=status)


def create_app(components: Components) -> FastAPI:
    service, deliverer = components.service, components.deliverer
    stop = threading.Event()

    def statements() -> None:
        while not stop.wait(components.statement_interval):
            service.close_day()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        deliverer.start()
        timer = None
        if components.statement_interval > 0:
            timer = threading.Thread(target=statements, name="core-statements", daemon=True)
            timer.start()
        try:
            yield
        finally:
            stop.set()
            if timer is not None:
                timer.join(timeout=15)
            deliverer.stop()

    app = FastAPI(title="Reference core banking system", version="1", lifespan=lifespan)

    @app.exception_handler(CoreError)
    async def _core_error(_: Request, exc: CoreError) -> JSONResponse:
        return _problem(exc.http_status, exc.code, exc.detail)

    @app.exception_handler(MessageError)
    async def _message_error(_: Request, exc: MessageError) -> JSONResponse:
        return _problem(400, "INVALID_MESSAGE", exc.reason, exc.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = "/".join(str(p) for p in first.get("loc", ()))
        return _problem(400, "INVALID_ARGUMENT", f"{where}: {first.get('msg', 'invalid request')}")

    @app.get("/healthz")
    def healthz() -> Health:
        with service.store.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return Health(status="OK", database=service.store.dialect)

    @app.post("/iso20022", response_class=Response)
    async def iso20022(request: Request) -> Response:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in XML_TYPES:
            return _problem(415, "UNSUPPORTED_MEDIA_TYPE", "send application/xml")
        body = await request.body()
        # The booking is synchronous database work: run it off the event loop.
        answer = await run_in_threadpool(service.answer, body)
        return Response(answer, media_type="application/xml")

    @app.post("/admin/ddas", status_code=201)
    def open_dda(
        body: DdaCreate, idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None
    ) -> DdaPublic:
        return service.open_dda(body.dda, body.currency, body.balance, idempotency_key)

    @app.post("/admin/ddas/{dda}/close")
    def close_dda(dda: str) -> DdaPublic:
        return service.close_dda(dda)

    @app.post("/admin/fundings", status_code=201)
    def fund(
        body: FundingCreate, idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None
    ) -> FundingPublic:
        items = list(body.fundings)
        if body.dda is not None or body.amount is not None:
            if body.dda is None or body.amount is None:
                raise CoreError("INVALID_AMOUNT", "a funding needs both dda and amount")
            items.insert(0, FundingItem(dda=body.dda, amount=body.amount))
        return service.fund(items, idempotency_key)

    @app.post("/admin/close-day")
    def close_day() -> CloseDayPublic:
        return service.close_day()

    @app.get("/admin/balances")
    def balances() -> BalancesPublic:
        return service.balances()

    @app.get("/admin/postings")
    def lines(
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        account: str | None = None,
    ) -> PostingsPublic:
        fmt = service.currencies.format
        return PostingsPublic(
            lines=[
                LinePublic(
                    line_id=b.line_id,
                    posting_id=b.posting_id,
                    reference=b.reference,
                    kind=b.kind,
                    account=b.account,
                    currency=b.currency,
                    amount=fmt(b.amount, b.currency),
                    booked_at=from_ms(b.booked_ms).isoformat(),
                    business_date=b.business_date,
                    end_to_end_id=b.end_to_end_id,
                    uetr=b.uetr,
                )
                for b in service.store.lines(after=after, limit=limit, account=account)
            ]
        )

    @app.get("/admin/outbox")
    def outbox(status: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> OutboxList:
        return OutboxList(
            messages=[
                OutboxPublic(
                    id=m.id,
                    message_id=m.msg_id,
                    kind=m.kind,
                    status=m.status,
                    attempts=m.attempts,
                    last_error=m.last_error,
                    created_at=from_ms(m.created_ms).isoformat(),
                    next_attempt_at=next_attempt_at(m),
                    delivered_at=None if m.delivered_ms is None else from_ms(m.delivered_ms).isoformat(),
                )
                for m in service.store.outbox(status, limit)
            ]
        )

    @app.post("/admin/outbox/{outbox_id}/retry")
    def retry(outbox_id: int) -> OutboxList:
        if not service.store.requeue(outbox_id, deliverer.clock_ms()):
            raise CoreError("NOT_FOUND", f"no failed outbox message {outbox_id}")
        deliverer.wake()
        return outbox(None, 1000)

    return app
