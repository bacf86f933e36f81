"""Issue 16 on the live network: the visibility matrix, per-caller event streams, not yours = not there.

Every read endpoint and the event stream, for every identity (each role, plus two holders), on a resource
of each holder: visible exactly as `chaincode.access` says; an invisible one answers exactly like one that
does not exist (same status, code and body, the id aside).
"""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Apis, new_id

BANK, COMPLIANCE = "BankOrg/issuer", "BankOrg/compliance"
OPERATOR, BUYER, SELLER, AUDITOR = (
    "PlatformOrg/operator",
    "PlatformOrg/buyer-us",
    "PlatformOrg/seller-cn",
    "AuditorOrg/auditor",
)
IDENTITIES = (BANK, COMPLIANCE, OPERATOR, AUDITOR, BUYER, SELLER)
HOLDERS = (BUYER, SELLER)
# The rule as a table: who sees what a platform holder owns.
SEES = {holder: {BANK, COMPLIANCE, OPERATOR, AUDITOR, holder} for holder in HOLDERS}


class Owned:
    """One holder's resources: an account (funded, with history), a redemption and a transaction."""

    def __init__(self, apis: Apis, holder: str) -> None:
        self.account = new_id("vis")
        apis[BANK].ok("POST", "/v1/accounts", {"id": self.account, "holder": holder, "kyc_ref": "KYC-V"})
        apis[BANK].ok(
            "POST",
            "/v1/mints",
            {"account": self.account, "currency": "USD", "amount": "50.00", "reserve_ref": new_id("RES")},
        )
        red = apis[holder].ok("POST", "/v1/redemptions", {"account": self.account, "currency": "USD", "amount": "1.00"})
        self.redemption = str(red["redemption_id"])
        self.tx = str(red["tx_id"])


@pytest.fixture(scope="module")
def owned(apis: Apis) -> dict[str, Owned]:
    out = {holder: Owned(apis, holder) for holder in HOLDERS}
    apis.sync()
    return out


def paths(o: Owned) -> dict[str, str]:
    return {
        "account": f"/v1/accounts/{o.account}",
        "history": f"/v1/accounts/{o.account}/history",
        "redemption": f"/v1/redemptions/{o.redemption}",
        "transaction": f"/v1/transactions/{o.tx}",
    }


def missing_twin(kind: str, o: Owned) -> tuple[str, str, str]:
    """(path of a resource of that kind that does not exist, the id in the real path, the id in the twin)."""
    if kind in ("account", "history"):
        fake = "nx-" + uuid.uuid4().hex[:12]
        return paths(o)[kind].replace(o.account, fake), o.account, fake
    real = o.redemption if kind == "redemption" else o.tx
    fake = uuid.uuid4().hex + uuid.uuid4().hex
    return paths(o)[kind].replace(real, fake), real, fake


@pytest.mark.parametrize("kind", ["account", "history", "redemption", "transaction"])
@pytest.mark.parametrize("owner", HOLDERS)
@pytest.mark.parametrize("who", IDENTITIES)
def test_read_matrix(apis: Apis, owned: dict[str, Owned], who: str, owner: str, kind: str) -> None:
    o = owned[owner]
    r = apis[who].get(paths(o)[kind])
    if who in SEES[owner]:
        assert r.status_code == 200, (who, kind, r.text)
        return
    twin, real, fake = missing_twin(kind, o)
    m = apis[who].get(twin)
    assert r.status_code == m.status_code == 404, (who, kind, r.text, m.text)
    assert r.headers["content-type"] == m.headers["content-type"]
    assert r.json() == json.loads(m.text.replace(fake, real)), (r.text, m.text)


def _list_all(apis: Apis, who: str, holder: str | None = None) -> list[dict[str, Any]]:
    """Every page of the caller's listing (a holder may have more than a page: the escrow tests open many)."""
    listed: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": "100", **({"holder": holder} if holder else {}), **({"cursor": cursor} if cursor else {})}
        page = apis[who].ok("GET", "/v1/accounts?" + str(httpx.QueryParams(params)))
        listed += page["accounts"]
        cursor = page["next_cursor"]
        if cursor is None:
            return listed


@pytest.mark.parametrize("who", IDENTITIES)
def test_list_accounts_matrix(apis: Apis, owned: dict[str, Owned], who: str) -> None:
    # Filtered by each holder: listed exactly to those who may see it; a holder gets the answer for someone
    # with no accounts.
    for owner in HOLDERS:
        got = {a["id"] for a in _list_all(apis, who, owner)}
        assert (owned[owner].account in got) == (who in SEES[owner])
        if who in HOLDERS and who != owner:
            page = apis[who].ok("GET", f"/v1/accounts?holder={owner}&limit=100")
            assert page == {"accounts": [], "next_cursor": None}
    if who not in HOLDERS:
        # Unfiltered, a wide role lists every account the suite has opened (thousands by now): its paging is
        # test_list_accounts_pages's, its reach the filtered listings' above.
        return
    # A holder's whole listing: its own accounts, and nothing of anyone else's.
    listed = _list_all(apis, who)
    ids = {a["id"] for a in listed}
    for owner, o in owned.items():
        assert (o.account in ids) == (who in SEES[owner]), (who, owner)
    mine = owned[who].account
    assert all(a["holder_subject"] == next(x for x in listed if x["id"] == mine)["holder_subject"] for a in listed)
    assert next(a for a in listed if a["id"] == mine)["balances"]["USD"] == "49.00"


def test_list_accounts_pages(apis: Apis, owned: dict[str, Owned]) -> None:
    first = apis[AUDITOR].ok("GET", "/v1/accounts?limit=1")
    assert len(first["accounts"]) == 1 and first["next_cursor"]
    second = apis[AUDITOR].ok("GET", f"/v1/accounts?limit=1&cursor={first['next_cursor']}")
    assert second["accounts"][0]["id"] != first["accounts"][0]["id"]
    # Someone else's cursor never widens a holder's listing: it gets nothing, or (when the cursor points into
    # the holder's own accounts) a page of its own.
    r = apis[BUYER].ok("GET", f"/v1/accounts?limit=100&cursor={first['next_cursor']}")
    assert {a["id"] for a in r["accounts"]} <= _own_ids(apis, BUYER)


def _own_ids(apis: Apis, holder: str) -> set[str]:
    return {a["id"] for a in _list_all(apis, holder)}


def test_supply_is_public_to_every_role(apis: Apis) -> None:
    for who in IDENTITIES:
        assert "USD" in apis[who].ok("GET", "/v1/supply")


# --- events ---------------------------------------------------------------------------------------------


class Follower:
    """Reads one identity's /v1/events until an event with reference `until`, collecting every event."""

    def __init__(self, apis: Apis, who: str, until: str) -> None:
        self.who = who
        self.events: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self._until = until
        self._api = apis[who]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        h = {"Authorization": f"Bearer {self._api.api_key}"}
        with (
            httpx.Client(base_url=self._api.url, timeout=60) as http,
            http.stream("GET", "/v1/events", headers=h) as r,
        ):
            self.connected.set()
            for line in r.iter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    self.events.append(event)
                    if (event.get("payload") or {}).get("reference") == self._until:
                        return

    @property
    def tx_ids(self) -> set[str]:
        return {e["tx_id"] for e in self.events}


def test_two_holders_paying_concurrently_each_stream_holds_its_own(apis: Apis) -> None:
    accounts = {h: [new_id("ev"), new_id("ev")] for h in HOLDERS}
    for holder, (a, b) in accounts.items():
        for acct in (a, b):
            apis[BANK].ok("POST", "/v1/accounts", {"id": acct, "holder": holder, "kyc_ref": "KYC-E"})
        apis[BANK].ok(
            "POST", "/v1/mints", {"account": a, "currency": "USD", "amount": "10.00", "reserve_ref": new_id("RES")}
        )
    sentinel = new_id("END")
    followers = {who: Follower(apis, who, sentinel) for who in IDENTITIES}
    assert all(f.connected.wait(15) for f in followers.values())

    def pay(job: tuple[str, int]) -> tuple[str, str]:
        holder, i = job
        a, b = accounts[holder]
        body = {"from": a, "to": b, "currency": "USD", "amount": "0.10", "reference": f"INV-C-{i}"}
        return holder, str(apis[holder].ok("POST", "/v1/transfers", body)["tx_id"])

    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(pay, [(h, i) for i in range(5) for h in HOLDERS]))
    own = {h: {tx for holder, tx in done if holder == h} for h in HOLDERS}
    # One payment between the two: both see it. It also closes every stream (events come in block order).
    body = {"from": accounts[BUYER][0], "to": accounts[SELLER][0], "currency": "USD", "amount": "0.01"}
    cross = str(apis[BUYER].ok("POST", "/v1/transfers", {**body, "reference": sentinel})["tx_id"])
    for f in followers.values():
        f.thread.join(30)
        assert not f.thread.is_alive(), f"{f.who} never saw the last payment"
    everything = own[BUYER] | own[SELLER] | {cross}
    for who, f in followers.items():
        transfers = {e["tx_id"] for e in f.events if e["type"] == "Transferred"}
        if who in HOLDERS:
            assert transfers == own[who] | {cross}, who
            # ...and nothing else at all: every event it got names one of its own accounts.
            assert all(set(e["payload"]["accounts"]) & set(accounts[who]) for e in f.events), who
        else:
            assert transfers >= everything, who
            assert everything <= f.tx_ids
    seller_view = next(e for e in followers[SELLER].events if e["tx_id"] == cross)
    assert seller_view["payload"]["accounts"] == [accounts[BUYER][0], accounts[SELLER][0]]
