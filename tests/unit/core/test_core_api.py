"""The core's HTTP surface: /iso20022 (XML in, pacs.002 out; JSON {code, detail} for what it cannot read),
the admin API's statuses and codes, /healthz."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core import CoreSettings, build, create_app
from core.money import Currencies
from core.reports import Booking, debit_notification
from iso_messages import Kind, parse, to_xml
from tests.unit.core.messages import pacs008


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    components = build(CoreSettings(data_dir=tmp_path))
    with TestClient(create_app(components)) as c:
        yield c
    components.service.store.close()


XML = {"Content-Type": "application/xml"}


def test_health_names_the_database(client: TestClient, tmp_path: Path) -> None:
    assert client.get("/healthz").json() == {"status": "OK", "database": "sqlite"}
    assert (tmp_path / "core" / "core.sqlite").exists()


def test_operator_flow_and_its_refusals(client: TestClient) -> None:
    r = client.post("/admin/ddas", json={"dda": "acme-usd", "currency": "USD", "balance": "1000.00"})
    assert r.status_code == 201 and r.json()["balance"] == "1000.00"
    for body, status, code in [
        ({"dda": "acme-usd", "currency": "USD", "balance": "1"}, 409, "DDA_EXISTS"),
        ({"dda": "x", "currency": "USD", "balance": 1}, 400, "INVALID_ARGUMENT"),  # a number, not a string
        ({"dda": "x", "currency": "USD", "balance": "1.234"}, 400, "INVALID_AMOUNT"),
        ({"dda": "x", "currency": "XXX", "balance": "1"}, 400, "UNKNOWN_CURRENCY"),
    ]:
        r = client.post("/admin/ddas", json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), body
    r = client.post("/admin/fundings", json={"dda": "acme-usd", "amount": "250.00"}, headers={"Idempotency-Key": "f1"})
    assert r.status_code == 201
    funding = r.json()
    again = client.post(
        "/admin/fundings", json={"dda": "acme-usd", "amount": "250.00"}, headers={"Idempotency-Key": "f1"}
    )
    assert again.json() == funding
    for body, status, code in [
        ({"dda": "nobody", "amount": "1"}, 404, "UNKNOWN_ACCOUNT"),
        ({"dda": "acme-usd", "amount": "5000"}, 409, "INSUFFICIENT_FUNDS"),
        ({"dda": "acme-usd"}, 400, "INVALID_AMOUNT"),
    ]:
        r = client.post("/admin/fundings", json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), body
    balances = {a["account"]: a["balance"] for a in client.get("/admin/balances").json()["accounts"]}
    assert balances["acme-usd"] == "750.00" and balances["TOKEN-LIABILITY-USD"] == "250.00"
    lines = client.get("/admin/postings", params={"account": "TOKEN-LIABILITY-USD"}).json()["lines"]
    assert [(ln["amount"], ln["reference"]) for ln in lines] == [("250.00", funding["entries"][0]["reference"])]
    day = client.post("/admin/close-day").json()
    assert day["statements"][0]["closing"] == "250.00"
    outbox = client.get("/admin/outbox").json()["messages"]
    assert [(m["kind"], m["status"]) for m in outbox] == [
        ("camt.054.001.08", "pending"),
        ("camt.053.001.08", "pending"),
    ]
    assert client.post("/admin/outbox/1/retry").json()["code"] == "NOT_FOUND"  # only a failed one is requeued


def test_iso_endpoint_answers_pacs002_and_replays_it(client: TestClient) -> None:
    client.post("/admin/ddas", json={"dda": "acme-usd", "currency": "USD", "balance": "100.00"})
    client.post("/admin/fundings", json={"dda": "acme-usd", "amount": "100.00"})
    xml = pacs008("M-1", "RED-1", "40.00", "USD", dda="acme-usd")
    r = client.post("/iso20022", content=xml, headers=XML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    (status,) = parse(r.content, Kind.PACS_002).document.fito_fipmt_sts_rpt.tx_inf_and_sts
    assert status.tx_sts == "ACSC"
    assert client.post("/iso20022", content=xml, headers=XML).content == r.content


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"<Document><unclosed></Document>", XML, 400, "INVALID_MESSAGE"),
        (b'<Document xmlns="urn:example:other"/>', XML, 400, "INVALID_MESSAGE"),
        (b"{}", {"Content-Type": "application/json"}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_what_the_core_cannot_read_is_a_4xx_with_a_code(
    client: TestClient, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    r = client.post("/iso20022", content=body, headers=headers)
    assert (r.status_code, r.json()["code"]) == (status, code)
    if code == "INVALID_MESSAGE":
        assert r.json()["path"].startswith("/")


def test_a_pacs008_that_breaks_the_schema_is_invalid_with_the_path_of_the_first_error(client: TestClient) -> None:
    xml = pacs008("M-S", "RED-S", "1.00", "USD", dda="acme-usd", uetr="0e9b3c5a-1d2e-4f60-8a7b-9c0d1e2f3a4b")
    broken = xml.replace(b"0e9b3c5a-1d2e-4f60-8a7b-9c0d1e2f3a4b", b"not-a-uuid")
    r = client.post("/iso20022", content=broken, headers=XML)
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_MESSAGE")
    assert r.json()["path"].endswith("/PmtId/UETR")
    missing = xml.replace(b"<EndToEndId>RED-S</EndToEndId>", b"")
    assert missing != xml
    r = client.post("/iso20022", content=missing, headers=XML)
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_MESSAGE")
    assert client.get("/admin/postings").json()["lines"] == []


def test_a_message_that_is_not_a_payment_is_refused(client: TestClient) -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    booking = Booking("BK-1", -100, "USD", now, now.date())
    camt054 = to_xml(debit_notification("C054-1", now, [("acme-usd", booking)], Currencies({"USD": 2})))
    r = client.post("/iso20022", content=camt054, headers=XML)
    assert (r.status_code, r.json()["code"]) == (400, "UNSUPPORTED_MESSAGE")


def test_the_statement_timer_sends_camt053_on_its_interval(tmp_path: Path) -> None:
    components = build(CoreSettings(data_dir=tmp_path, statement_interval=1))
    with TestClient(create_app(components)) as c:
        c.post("/admin/ddas", json={"dda": "acme-usd", "currency": "USD", "balance": "10.00"})
        c.post("/admin/fundings", json={"dda": "acme-usd", "amount": "1"})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            kinds = [m["kind"] for m in c.get("/admin/outbox").json()["messages"]]
            if "camt.053.001.08" in kinds:
                break
            time.sleep(0.05)
    components.service.store.close()
    assert kinds[:2] == ["camt.054.001.08", "camt.053.001.08"]
