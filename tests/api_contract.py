"""Schemathesis over the gateway's own OpenAPI document, as one caller at a time.

The one harness behind the bounded unit run (`tests/unit/gateway/test_api_contract.py`), the live run
(`tests/e2e/test_api_contract.py`) and `scripts/api_fuzz.py`. It drives schemathesis's own engine —
what `schemathesis run --checks all` runs: the examples, coverage, fuzzing and stateful phases, every
check — and counts what happened: requests sent, statuses answered, check failures, errors.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from fastapi import FastAPI
from schemathesis import Case, HookContext
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.schemas import BaseSchema

from chaincode import domain
from chaincode.errors import ContractError

# Callers without a valid key, beside the dev identities: every /v1 route must refuse them with a 401.
ANONYMOUS = "anonymous"
WRONG_KEY = "wrong-key"
PHASES = ("examples", "coverage", "fuzzing", "stateful")
EVENTS = "GET /v1/events"
INBOUND = "POST /v1/books/inbound"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a run sends as: a dev identity (`Org/name` and its role), ANONYMOUS or WRONG_KEY."""

    name: str
    role: str | None
    authorization: str | None


@dataclass
class Result:
    """What one caller's run found. `ok` means schemathesis found nothing."""

    caller: str
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)  # requests per schemathesis phase
    failures: dict[str, str] = field(default_factory=dict)  # "operation · check · title" → one reproduction
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors

    def add(self, other: Result) -> None:
        self.requests += other.requests
        self.statuses.update(other.statuses)
        self.phases.update(other.phases)
        for k, v in other.failures.items():
            self.failures.setdefault(k, v)
        self.errors += other.errors
        self.seconds += other.seconds

    def line(self) -> str:
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(self.statuses.items()))
        phases = " ".join(f"{p}:{n}" for p, n in sorted(self.phases.items()))
        verdict = "ok" if self.ok else f"{len(self.failures)} failures, {len(self.errors)} errors"
        return (
            f"{self.caller:<22} {self.requests:>6} requests {self.seconds:6.1f} s  {verdict}  [{statuses}] [{phases}]"
        )

    def report(self) -> str:
        lines = [self.line()]
        lines += [f"  FAIL {k}\n    {v}" for k, v in sorted(self.failures.items())]
        lines += [f"  ERROR {e}" for e in self.errors]
        return "\n".join(lines)


def covered_by(doc: dict[str, Any], caller: Caller) -> set[str]:
    """The operations whose coverage phase `caller` runs when the phase is split between callers.

    The coverage phase is systematic (boundaries, every kind of wrong value, every undeclared method:
    some 30 requests per operation, whatever the budget). Split, each operation gets it once, from the
    caller that gets furthest into it: a role its security names (`ApiKey: [issuer]`), the auditor for
    what any key may read, an anonymous caller for what needs no key.
    """
    out = set()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            requirements = operation.get("security") or []
            scopes = {scope for requirement in requirements for names in requirement.values() for scope in names}
            if not requirements:
                mine = caller.name == ANONYMOUS
            elif scopes:
                mine = caller.role in scopes
            else:
                mine = caller.role == "auditor"
            if mine:
                out.add(f"{method.upper()} {path}")
    return out


def config(
    authorization: str | None,
    *,
    max_examples: int,
    seed: int,
    phases: tuple[str, ...] = PHASES,
    no_coverage: frozenset[str] | set[str] = frozenset(),
    request_timeout: float | None = None,
    stream_seconds: float,
) -> SchemathesisConfig:
    """The run's configuration, built here rather than discovered from a schemathesis.toml in the cwd.
    `stream_seconds`: how long an event stream is read (a live one with nothing new stays open)."""
    project: dict[str, Any] = {
        "seed": seed,
        "workers": 1,  # one request at a time, in the seed's order
        "cache": {"enabled": False},  # schemathesis's own; hypothesis keeps a `.hypothesis/` that ignores itself
        "generation": {"max-examples": max_examples, "database": "none"},
        "phases": {name: {"enabled": name in phases} for name in PHASES},
        "checks": {
            "enabled": True,
            # schemathesis's default, plus 422: this API's "well-formed, but the ledger's state refuses it"
            # (INSUFFICIENT_FUNDS, ACCOUNT_FROZEN, IDEMPOTENCY_KEY_REUSED), which a schema-valid request may get.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
            },
        },
        # An event stream never ends by itself: read what is there, then move on.
        "max-stream-events": 20,
    }
    per_operation: dict[str, dict[str, Any]] = {
        # The body is an ISO 20022 document: its XML Schema is not one JSON Schema can state, so a string the
        # OpenAPI allows may still be 400 INVALID_MESSAGE.
        INBOUND: {
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
                }
            }
        }
    }
    if "coverage" in phases:
        for name in no_coverage:
            per_operation.setdefault(name, {})["phases"] = {"coverage": {"enabled": False}}
    per_operation.setdefault(EVENTS, {})["request-timeout"] = stream_seconds
    if per_operation:
        project["operations"] = [{"include-name": name, **cfg} for name, cfg in sorted(per_operation.items())]
    if authorization is not None:
        project["headers"] = {"Authorization": authorization}
    if request_timeout is not None:
        project["request-timeout"] = request_timeout
    return SchemathesisConfig.from_dict(project)


def _generate(context: HookContext, case: Case[Any]) -> bool:
    """Which generated cases to send. Drops two kinds:

    - a transfer from an account to itself: the one rule of a well-formed request that JSON Schema cannot
      state (TransferCreate says it in words; the contract answers 400 INVALID_ARGUMENT);
    - an enrollment whose `csr` the schema allows (PEM armour around base64) but is no PKCS#10 request:
      what the DER inside must hold, JSON Schema cannot state (the API answers 400 INVALID_CSR);
    - an order that breaks one of the three rules of a well-formed order that JSON Schema cannot state
      (OrderCreate says them in words; the contract answers 400): buyer and seller differ, the milestones
      sum to the amount, ship_by is in the future;
    - a currency the schema allows (any ISO 4217 shape) that the test ledger does not register (it has USD
      and EUR: the registry is the ledger's, so the API answers 400 UNKNOWN_CURRENCY), or an amount with
      more decimals than those two currencies have (400 INVALID_AMOUNT); an `issuer` the schema allows (any
      MSP ID shape) that the ledger's issuer registry does not name (400 UNKNOWN_CURRENCY: the test ledgers
      know only BankMSP);
    - a quote whose base equals its quote, whose rate is zero, or whose valid_until has passed; a transfer
      with only one of receive_currency and quote_id, or receiving its own currency; a payout paying the
      payer or one payee twice (the API and the contract answer 400 for each, as their schemas say in words);
    - a positive currency registration (permanent ledger state; see the comment below);
    - a case labelled positive that carries a negative part: schemathesis 4.32.5's coverage phase builds
      some (a near-boundary `from_block` next to a `Last-Event-ID` that breaks its pattern) and then
      expects the 400 to be a 2xx.
    """
    meta = case.meta
    mixed = meta is not None and any(not part.mode.is_positive for part in meta.components.values())
    if meta is not None and meta.generation.mode.is_positive and mixed:
        return False
    body = case.body
    if (
        context.operation is not None
        and context.operation.path == "/v1/members"
        and isinstance(body, dict)
        and body.get("csr") is not None
        and meta is not None
        and meta.generation.mode.is_positive
    ):
        return False
    if isinstance(body, dict) and not (_registered(body) and _within_digits(body)):
        return False
    path = context.operation.path if context.operation is not None else None
    method = context.operation.method.upper() if context.operation is not None else None
    if path == "/v1/currencies" and method == "POST" and (meta is None or meta.generation.mode.is_positive):
        # A registration is permanent ledger state: on the live network every later test would meet the
        # fuzzer's currencies (one of them the tests' "unregistered" CHF). tests/e2e/test_fx.py registers live.
        return False
    if path == "/v1/fx/quotes" and isinstance(body, dict):
        return _well_formed_quote(body)
    if path == "/v1/payouts" and isinstance(body, dict) and isinstance(body.get("lines"), list):
        payees = [repr(line.get("to")) for line in body["lines"] if isinstance(line, dict)]
        return len(set(payees)) == len(payees) and repr(body.get("from")) not in payees
    if path == "/v1/transfers" and isinstance(body, dict):
        pvp = (body.get("receive_currency") is None) == (body.get("quote_id") is None)
        own = body.get("receive_currency") is not None and body.get("receive_currency") == body.get("currency")
        return ("from" not in body or body.get("from") != body.get("to")) and pvp and not own
    if context.operation is not None and context.operation.path == "/v1/orders" and isinstance(body, dict):
        return _well_formed_order(body)
    return True


_CURRENCY_FIELDS = ("currency", "base", "quote", "sell_currency", "receive_currency")


def _registered(body: dict[str, Any]) -> bool:
    currencies = all(body.get(f) in (None, "EUR", "USD") for f in _CURRENCY_FIELDS)
    return currencies and body.get("issuer") in (None, "BankMSP")  # the issuer registry is ledger state too


def _within_digits(body: object) -> bool:
    """No amount with more decimals than the test ledgers' currencies have (two): the schema allows up to
    four, the most any ISO 4217 currency uses, and the registry decides per currency (400 INVALID_AMOUNT)."""
    if isinstance(body, dict):
        return all(
            _within_digits(v) if isinstance(v, dict | list) else not (k.endswith("amount") and _decimals(v) > 2)
            for k, v in body.items()
        )
    if isinstance(body, list):
        return all(_within_digits(v) for v in body)
    return True


def _decimals(value: object) -> int:
    return len(value.partition(".")[2]) if isinstance(value, str) else 0


def _well_formed_quote(body: dict[str, Any]) -> bool:
    valid_until, rate = body.get("valid_until"), body.get("rate")
    if isinstance(valid_until, int | float) and valid_until <= max(time.time_ns() // 1_000_000_000 + 60, 1_900_000_000):
        return False
    if isinstance(rate, str) and not rate.strip("0."):
        return False
    return body.get("base") is None or body.get("base") != body.get("quote")


def _well_formed_order(body: dict[str, Any]) -> bool:
    if "buyer_account" in body and body.get("buyer_account") == body.get("seller_account"):
        return False
    ship_by = body.get("ship_by")
    # After both the live ledger's time (the wall clock) and the unit fake's proposal timestamps (1.8e9 + n).
    if isinstance(ship_by, int) and ship_by <= max(time.time_ns() // 1_000_000_000 + 60, 1_900_000_000):
        return False
    milestones, amount, currency = body.get("milestones"), body.get("amount"), body.get("currency")
    # The currencies every test ledger registers (USD and EUR, two minor digits).
    if isinstance(milestones, list) and isinstance(amount, str) and currency in ("EUR", "USD"):
        registered = domain.Currency(currency, 2)
        try:
            parts = [domain.Amount.parse(m["amount"], registered).minor for m in milestones]
            return sum(parts) == domain.Amount.parse(amount, registered).minor
        except (ContractError, KeyError, TypeError):
            return True  # not well-formed anyway: the API refuses it with a 4xx of its own
    return True


def run(caller: str, schema: BaseSchema) -> Result:
    """Run the engine over `schema` and tally it. Raises whatever stops the engine outright."""
    schema.hook("filter_case")(_generate)
    result = Result(caller)
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _tally(result, event.recorder, event.phase.value)
        elif isinstance(event, events.FuzzScenarioFinished):
            _tally(result, event.recorder, "fuzzing")
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    result.seconds = time.monotonic() - started
    return result


def _tally(result: Result, recorder: Any, phase: str) -> None:
    for interaction in recorder.interactions.values():
        result.requests += 1
        result.phases[phase] += 1
        if interaction.response is not None:
            result.statuses[interaction.response.status_code] += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            info = check.failure_info
            if info is None:
                continue
            key = f"{recorder.label} · {check.name} · {info.failure.title}"
            interaction = recorder.interactions.get(case_id)
            answer = interaction.response.content[:300] if interaction and interaction.response else b""
            first_line = str(info.failure.message).splitlines()[0] if info.failure.message else ""
            result.failures.setdefault(key, f"{first_line}\n    {info.code_sample}\n    → {answer!r}")


class RefusalsChangeNothing:
    """An ASGI wrapper for in-process runs: a request answered with an error must leave the ledger as it was.

    Schemathesis checks what a response says; this checks what the request did. It sees every request,
    including those the checks send themselves, and compares the ledger's height before and after.
    """

    def __init__(self, app: Any, height: Callable[[], int]) -> None:
        self._app = app
        self._height = height
        self.violations: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        before = self._height()
        status = 0

        async def watch(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self._app(scope, receive, watch)
        if status >= 400 and self._height() != before:
            self.violations.append(f"{scope['method']} {scope['path']} answered {status} and changed the ledger")


def operations(doc: dict[str, Any]) -> set[str]:
    return {f"{method.upper()} {path}" for path, item in doc["paths"].items() for method in item}


def _config_for(doc: dict[str, Any], caller: Caller, split_coverage: bool, **options: Any) -> SchemathesisConfig:
    """`config` for this caller; with `split_coverage`, the coverage phase only on its share of operations."""
    skip = operations(doc) - covered_by(doc, caller) if split_coverage else set()
    return config(caller.authorization, no_coverage=skip, **options)


def fuzz_app(
    app: FastAPI,
    caller: Caller,
    *,
    max_examples: int,
    seed: int,
    phases: tuple[str, ...] = PHASES,
    split_coverage: bool = False,
    ledger_height: Callable[[], int] | None = None,
    stream_seconds: float = 0.5,
) -> Result:
    """Fuzz an ASGI app in-process (no sockets). With `ledger_height`, a refused request that changed the
    ledger is a failure too (`RefusalsChangeNothing`). `stream_seconds`: how long an event stream is read
    (in-process, what is committed already arrives at once; schemathesis would otherwise wait 10 s)."""
    cfg = _config_for(
        app.openapi(),
        caller,
        split_coverage,
        max_examples=max_examples,
        seed=seed,
        phases=phases,
        stream_seconds=stream_seconds,
    )
    watched = RefusalsChangeNothing(app, ledger_height) if ledger_height is not None else None
    result = run(caller.name, schemathesis.openapi.from_asgi("/openapi.json", watched or app, config=cfg))
    for violation in watched.violations if watched is not None else []:
        result.failures.setdefault(f"{violation.split(' answered')[0]} · refusals change nothing", violation)
    return result


def fuzz_url(
    base_url: str,
    caller: Caller,
    *,
    max_examples: int,
    seed: int,
    split_coverage: bool = False,
    request_timeout: float = 10.0,
) -> Result:
    """Fuzz a running gateway over HTTP."""
    doc = httpx.get(f"{base_url}/openapi.json", timeout=request_timeout).json()
    cfg = _config_for(
        doc,
        caller,
        split_coverage,
        max_examples=max_examples,
        seed=seed,
        request_timeout=request_timeout,
        stream_seconds=1,
    )
    return run(caller.name, schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=cfg))
