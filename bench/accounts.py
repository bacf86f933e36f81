"""Accounts a scenario pays between, opened and funded through BankOrg's gateway before it starts."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

PAYER_HOLDER = "PlatformOrg/buyer-us"
PAYEE_HOLDER = "PlatformOrg/seller-cn"
FUNDING = "100000.00"  # per payer, in the scenario's currency


@dataclass(frozen=True, slots=True)
class Accounts:
    payers: list[str]  # one per client
    payees: list[str]  # one per client (all the same account for a hot payee)


def _post(http: httpx.Client, key: str, path: str, body: dict[str, str]) -> None:
    r = http.post(path, json=body, headers={"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex})
    if r.status_code != 201:
        raise RuntimeError(f"setup {path} answered {r.status_code}: {r.text[:300]}")


def open_accounts(bank: tuple[str, str], clients: int, hot_payee: bool, currency: str, payees: int = 0) -> Accounts:
    """`clients` funded payers, and as many payees (one for a hot payee; `payees` when more are asked for,
    as a payout's lines are). Raises RuntimeError if the bank refuses."""
    url, key = bank
    tag = uuid.uuid4().hex[:8]
    payers = [f"bench-{tag}-payer-{i}" for i in range(clients)]
    wanted = max(clients, payees)
    payee_ids = [f"bench-{tag}-payee"] if hot_payee else [f"bench-{tag}-payee-{i}" for i in range(wanted)]
    with httpx.Client(base_url=url, timeout=60) as http:

        def open_payer(acct: str) -> None:
            _post(http, key, "/v1/accounts", {"id": acct, "holder": PAYER_HOLDER, "kyc_ref": "KYC-BENCH"})
            mint = {"account": acct, "currency": currency, "amount": FUNDING, "reserve_ref": f"RES-{uuid.uuid4().hex}"}
            _post(http, key, "/v1/mints", mint)

        def open_payee(acct: str) -> None:
            _post(http, key, "/v1/accounts", {"id": acct, "holder": PAYEE_HOLDER, "kyc_ref": "KYC-BENCH"})

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(open_payer, payers))
            list(pool.map(open_payee, payee_ids))
    return Accounts(payers, payee_ids * clients if hot_payee else payee_ids)
