"""The API contract: what the OpenAPI document declares, and schemathesis finding nothing against it.

The fuzz run is bounded (about 1,000 requests in all, a few seconds per caller): every dev identity and
two callers without a valid key, each with every schemathesis phase and check, the coverage phase split
between them (`tests.api_contract.covered_by`). `scripts/api_fuzz.py` runs the same at 5,000+ per caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST

from chaincode import domain
from chaincode.access import Role
from chaincode.domain import AccountStatus, RedemptionStatus
from chaincode.errors import ContractError
from gateway.api.events import parse_event_id
from gateway.api.problems import PROBLEM
from gateway.api.schemas import amount_pattern
from gateway.errors import BadRequest
from network.layout import Layout
from network.topology import load_topology
from tests.api_contract import ANONYMOUS, WRONG_KEY, Caller, RefusalsChangeNothing, fuzz_app
from tests.unit.gateway.fake_gateways import FakeGateways, dev_layout

# Per caller: about 1,000 requests over the eight callers, ~15 s in all.
BOUNDED_EXAMPLES = 2
SEED = 20261201


def callers(keys: dict[str, str]) -> list[Caller]:
    roles = {f"{org.name}/{i.name}": i.role for org in load_topology().orgs for i in org.identities}
    return [
        *(Caller(ref, role, f"Bearer {keys[ref]}") for ref, role in roles.items()),
        Caller(ANONYMOUS, None, None),
        Caller(WRONG_KEY, None, "Bearer dev-not-a-key"),
    ]


CALLER_NAMES = [
    *(f"{org.name}/{i.name}" for org in load_topology().orgs for i in org.identities),
    ANONYMOUS,
    WRONG_KEY,
]


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return dev_layout(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def gateways(layout: Layout, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGateways]:
    # One ledger for the whole module: later callers find what earlier ones opened and minted.
    gws = FakeGateways(layout, tmp_path_factory.mktemp("state"))
    yield gws
    gws.close()


@pytest.fixture(scope="module")
def doc(gateways: FakeGateways) -> dict[str, Any]:
    with TestClient(gateways.apps["BankOrg"]) as client:
        data: dict[str, Any] = client.get("/openapi.json").json()
    return data


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


@pytest.mark.parametrize("name", CALLER_NAMES)
def test_schemathesis_finds_nothing(gateways: FakeGateways, name: str) -> None:
    caller = next(c for c in callers(gateways.keys) if c.name == name)
    app = gateways.app_of(name) if "/" in name else gateways.apps["PlatformOrg"]
    result = fuzz_app(
        app,
        caller,
        max_examples=BOUNDED_EXAMPLES,
        seed=SEED,
        split_coverage=True,
        ledger_height=lambda: gateways.ledger.world.height,
    )
    assert result.requests > 0
    assert result.ok, result.report()


def test_the_watcher_catches_a_refusal_that_changed_the_ledger() -> None:
    height = [0]

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        height[0] += 1  # "wrote", then refuses
        await send({"type": "http.response.start", "status": 409, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    watched = RefusalsChangeNothing(broken, lambda: height[0])
    TestClient(watched).post("/v1/mints")
    assert watched.violations == ["POST /v1/mints answered 409 and changed the ledger"]


def test_every_error_response_is_problem_json_naming_its_codes(doc: dict[str, Any]) -> None:
    for name, op in _operations(doc):
        errors = {s: r for s, r in op["responses"].items() if s.startswith(("4", "5"))}
        if op.get("security"):
            assert "401" in errors, name
        for status, response in errors.items():
            assert list(response["content"]) == [PROBLEM], (name, status)
            schema = response["content"][PROBLEM]["schema"]
            assert schema["allOf"] == [{"$ref": "#/components/schemas/Problem"}]
            assert schema["properties"]["status"] == {"const": int(status)}
            assert schema["properties"]["code"]["enum"], (name, status)
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "code", "detail"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_writes_declare_every_way_a_write_fails(doc: dict[str, Any]) -> None:
    transfer = doc["paths"]["/v1/transfers"]["post"]
    codes = {
        s: set(r["content"][PROBLEM]["schema"]["properties"]["code"]["enum"])
        for s, r in transfer["responses"].items()
        if s >= "4"
    }
    assert codes == {
        "400": {"INVALID_ARGUMENT", "INVALID_AMOUNT", "UNKNOWN_CURRENCY"},
        "401": {"UNAUTHENTICATED"},
        "403": {"FORBIDDEN", "UNAUTHORIZED"},
        "404": {"UNKNOWN_ACCOUNT", "UNKNOWN_QUOTE"},  # a payment versus payment names a quote
        "408": {"REQUEST_TIMEOUT"},
        "409": {"DUPLICATE_REQUEST", "CONFLICT_RETRIES_EXHAUSTED", "QUOTE_EXHAUSTED", "QUOTE_EXPIRED"},
        "413": {"BODY_TOO_LARGE"},
        "422": {"ACCOUNT_FROZEN", "IDEMPOTENCY_KEY_REUSED", "INSUFFICIENT_FUNDS", "SIGNING_MODE"},
        "429": {"RATE_LIMITED"},
        "500": {"TX_INVALID"},
        "502": {"LEDGER_ERROR"},
        "503": {"LEDGER_UNAVAILABLE", "LEDGER_BEHIND", "OVERLOADED"},  # LEDGER_BEHIND: a `Min-Block` not reached
        "504": {"COMMIT_STATUS_UNKNOWN"},
    }
    for status in ("429", "503"):
        assert transfer["responses"][status]["headers"]["Retry-After"]["required"] is True
    assert transfer["security"] == [{"ApiKey": ["holder"]}]


def test_currencies_roles_and_statuses_are_enums_from_their_one_home(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    # The currencies are the ledger's registry (GET /v1/currencies): the schema states only their shape.
    code = f"^{domain.CURRENCY_CODE_PATTERN.pattern}$"
    assert schemas["MintCreate"]["properties"]["currency"]["pattern"] == code
    assert schemas["Role"]["enum"] == [r.value for r in Role]
    assert schemas["AccountStatus"]["enum"] == [s.value for s in AccountStatus]
    assert schemas["RedemptionStatus"]["enum"] == [s.value for s in RedemptionStatus]
    assert schemas["TxOutcome"]["enum"] == ["committed", "invalid"]
    # Members join at runtime: `holder` is a pattern, not a list; the roles BankOrg enrolls are its own.
    assert "enum" not in schemas["AccountCreate"]["properties"]["holder"]
    assert schemas["MemberCreate"]["properties"]["role"]["enum"] == ["compliance", "fx_desk", "issuer"]


def test_metrics_is_prometheus_text_and_405_names_the_allowed_methods(
    gateways: FakeGateways, doc: dict[str, Any]
) -> None:
    media_types = list(doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"])
    assert media_types == [CONTENT_TYPE_LATEST] and CONTENT_TYPE_LATEST.startswith("text/plain;")
    with TestClient(gateways.apps["BankOrg"]) as client:
        r = client.delete("/v1/supply", headers={"Authorization": f"Bearer {gateways.keys['BankOrg/issuer']}"})
        assert r.status_code == 405 and r.headers["allow"] == "GET"
        assert r.headers["content-type"] == PROBLEM and r.json()["code"] == "METHOD_NOT_ALLOWED"
        r = client.post("/v1/mints", content=b"\xff not json", headers={"Authorization": "Bearer x"})
        assert (r.status_code, r.json()["code"]) == (401, "UNAUTHENTICATED")
        assert r.headers["www-authenticate"] == "Bearer"


# Headers are Latin-1 on the wire, whose superscripts pass `str.isdigit` but not `int`. (The in-process client
# re-encodes header values as UTF-8, so only a real server delivers them: test the parser itself.)
@pytest.mark.parametrize("digits", ["\u00b2", "1\u00b3", "\u00b9"])
def test_an_event_id_with_odd_digits_is_a_bad_request_not_a_crash(digits: str) -> None:
    with pytest.raises(BadRequest):
        parse_event_id(f"{digits}:{'ab' * 32}")
    assert parse_event_id(f"12:{'ab' * 32}") == (12, "ab" * 32)


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "0.01",
        "0.1",
        "0.10",
        "1.5",
        "125000.50",
        "9999999999999.99",
        "10000000000000",
        "10000000000000.0",
        "10000000000000.00",
        "0",
        "0.0",
        "0.00",
        "00.10",
        "01",
        "1.",
        ".5",
        "1.001",
        "-1",
        "+1",
        "1e3",
        " 1",
        "10000000000000.01",
        "10000000000001",
        "99999999999999",
        "\uff11",  # a fullwidth digit one
        "1_000",
    ],
)
def test_the_amount_pattern_is_exactly_the_domain_rule(text: str) -> None:
    usd = domain.Currency("USD", 2)
    try:
        domain.Amount.parse(text, usd)
        accepted = True
    except ContractError:
        accepted = False
    pattern = amount_pattern({usd.minor_digits})
    assert (re.fullmatch(pattern, text) is not None) == accepted


def test_the_amount_pattern_follows_the_minor_digits() -> None:
    none, three = amount_pattern({0}), amount_pattern({3})
    assert re.fullmatch(none, "1000000000000000") and not re.fullmatch(none, "1.0")
    assert re.fullmatch(three, "0.001") and not re.fullmatch(three, "0.0001")
    assert not re.fullmatch(three, "1000000000000.001")
