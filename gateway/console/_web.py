"""The console's plumbing: its settings, the session cookie, CSRF, forms and rendering.

Pages are Jinja2 templates with autoescaping on; every form carries the session's CSRF token
(`csrf_field`), and `form()` refuses a POST whose token is not the session's (403 CSRF), whatever
SameSite does for the browser at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from gateway.api.deps import Components
from gateway.api.front_door import TokenBucket
from gateway.console import _format
from gateway.console._index import ChainIndex
from gateway.console._sessions import Session, Sessions, csrf_ok
from gateway.directory import Caller
from gateway.errors import ServiceError

_HERE = Path(__file__).parent
MAX_FORM_BYTES = 16 * 1024  # the largest console form (a payment) is well under 1 KB


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    """secure_cookies: mark the cookie `Secure` (and name it `__Host-…`): on whenever TLS fronts the gateway."""

    secure_cookies: bool = False
    idle_seconds: int = 15 * 60
    lifetime_seconds: int = 8 * 3600
    failed_sign_ins_per_second: int = 5  # across the gateway (a key is 192 random bits; this only slows noise)

    @property
    def cookie(self) -> str:
        # `__Host-`: the browser takes it only from a secure origin, for this host and path /, never a domain.
        return "__Host-console" if self.secure_cookies else "console"


class Refused(Exception):
    """A console request refused before any service call: rendered as an error page."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Console:
    """The wired console: the gateway's components, sessions, the chain index and the templates."""

    def __init__(self, components: Components, org: str, options: ConsoleOptions) -> None:
        self.c = components
        self.org = org
        self.options = options
        self.sessions = Sessions(idle=options.idle_seconds, lifetime=options.lifetime_seconds)
        self.index = ChainIndex(components.events)
        self.failed_sign_ins = TokenBucket(options.failed_sign_ins_per_second, 10 * options.failed_sign_ins_per_second)
        self.templates = Environment(
            loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
        )
        self.templates.filters["amount"] = lambda minor, cur: _format.amount(minor, self.digits(cur))
        self.templates.filters["decimal"] = lambda text, cur: _format.decimal(text, self.digits(cur))
        self.templates.filters["short"] = lambda tx: f"{tx[:10]}…" if isinstance(tx, str) and len(tx) > 12 else tx

    def digits(self, currency: str) -> int:
        """The currency's minor digits, from the ledger's registry. Raises ChaincodeRejected(UNKNOWN_CURRENCY)."""
        return self.c.currencies.get(currency).minor_digits

    # --- sessions -------------------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(self.options.cookie))

    def caller(self, request: Request) -> tuple[Session, Caller] | None:
        """The signed-in session and its identity, authenticated afresh from the key (a revoked key ends it)."""
        session = self.session(request)
        if session is None or session.api_key is None:
            return None
        caller = self.c.directory.authenticate(session.api_key)
        if caller is None:
            self.sessions.close(session.id)
            return None
        return session, caller

    def set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            self.options.cookie,
            session.id,
            httponly=True,
            samesite="strict",
            secure=self.options.secure_cookies,
            path="/",
        )

    async def form(self, request: Request, session: Session | None) -> dict[str, str]:
        """The urlencoded form of a POST, after its CSRF token matched the session's. Raises Refused."""
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise Refused(413, "BODY_TOO_LARGE", f"console forms are limited to {MAX_FORM_BYTES} bytes")
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=32)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Refused(400, "INVALID_ARGUMENT", "not a urlencoded form") from exc
        fields = {k: v[0] for k, v in parsed.items()}
        if not csrf_ok(session, fields.pop("csrf_token", None)):
            raise Refused(403, "CSRF", "the form's CSRF token is missing or not this session's; reload the page")
        return fields

    # --- rendering ------------------------------------------------------------------------------------

    def render(
        self,
        template: str,
        session: Session | None,
        caller: Caller | None = None,
        *,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        csrf = "" if session is None else session.csrf
        html = self.templates.get_template(template).render(
            org=self.org,
            caller=caller,
            currencies=[cur.code for cur in self.c.currencies.all()] if caller is not None else [],
            csrf_field=Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf),
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers=_HEADERS)
        if session is not None:
            self.set_cookie(response, session)
        return response

    def error(
        self, session: Session | None, caller: Caller | None, status: int, code: str, message: str
    ) -> HTMLResponse:
        return self.render("error.html", session, caller, status=status, code=code, message=message)

    def service_error(self, session: Session | None, caller: Caller | None, exc: ServiceError) -> HTMLResponse:
        return self.error(session, caller, exc.status, exc.code, exc.message)


# Pages are not to be framed, cached or sniffed; scripts and styles only from this origin (nothing inline).
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
