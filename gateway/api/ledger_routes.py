"""/v1/supply and /v1/transactions/{tx_id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from chaincode import protocol
from gateway.api.deps import CallerDep, ComponentsDep
from gateway.api.money import to_decimal
from gateway.api.results import read
from gateway.errors import CommitUnknown, ServiceError

router = APIRouter(tags=["ledger"])

# A committed transaction answers at once; an unknown id would otherwise wait for a commit that never comes.
STATUS_WAIT_SECONDS = 2
_SUPPLY_FIELDS = ("minted", "redeemed", "outstanding", "balances_total", "pending_redemptions")


@router.get("/v1/supply")
def supply(caller: CallerDep, c: ComponentsDep) -> dict[str, Any]:
    raw = read(c, caller, protocol.GetSupply())
    out: dict[str, Any] = {}
    for cur, figures in sorted(raw.items()):
        out[cur] = {f: to_decimal(int(figures[f]), cur) for f in _SUPPLY_FIELDS}
        out[cur]["invariant_holds"] = int(figures["outstanding"]) == int(figures["balances_total"]) + int(
            figures["pending_redemptions"]
        )
    return out


@router.get("/v1/transactions/{tx_id}")
def transaction(tx_id: str, caller: CallerDep, c: ComponentsDep) -> dict[str, Any]:
    if len(tx_id) != 64 or any(ch not in "0123456789abcdef" for ch in tx_id):
        raise ServiceError("a transaction id is 64 lowercase hex digits", code="INVALID_ARGUMENT", status=400)
    try:
        s = c.ledger.status(caller, tx_id, wait=STATUS_WAIT_SECONDS)
    except CommitUnknown as exc:
        raise ServiceError(f"no committed transaction {tx_id}", code="UNKNOWN_TRANSACTION", status=404) from exc
    return {
        "tx_id": tx_id,
        "status": "committed" if s.valid else "invalid",
        "validation_code": s.validation_code,
        "block_number": s.block_number,
    }
