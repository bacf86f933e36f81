"""/v1/supply and /v1/transactions/{tx_id}."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path

from chaincode import access, protocol
from chaincode.errors import ContractError
from gateway.api.deps import CallerDep, ComponentsDep
from gateway.api.money import to_decimal
from gateway.api.problems import AUTHENTICATED, INPUT, READ, problem_responses
from gateway.api.results import read
from gateway.api.schemas import TX_ID_PATTERN, CurrencyCode, CurrencySupplyPublic, TransactionPublic, TxOutcome
from gateway.errors import CommitUnknown, UnknownTransaction

router = APIRouter(tags=["ledger"])

# A committed transaction answers at once; an unknown id would otherwise wait for a commit that never comes.
STATUS_WAIT_SECONDS = 2
_SUPPLY_FIELDS = (
    "minted",
    "redeemed",
    "outstanding",
    "balances_total",
    "pending_redemptions",
    "escrowed",
    "fx_in",
    "fx_out",
)


@router.get("/v1/supply", responses=problem_responses(READ))
def supply(caller: CallerDep, c: ComponentsDep) -> dict[CurrencyCode, CurrencySupplyPublic]:
    """Per currency (every one the ledger issues): the counters, and the same figures summed from holdings."""
    raw = read(c, caller, protocol.GetSupply())
    out: dict[str, CurrencySupplyPublic] = {}
    for cur, figures in sorted(raw.items()):
        amounts = {f: to_decimal(c, int(figures[f]), cur) for f in _SUPPLY_FIELDS}
        held = sum(int(figures[f]) for f in ("balances_total", "pending_redemptions", "escrowed"))
        holds = int(figures["outstanding"]) == held
        out[cur] = CurrencySupplyPublic(**amounts, invariant_holds=holds)
    return out


@router.get("/v1/transactions/{tx_id}", responses=problem_responses(AUTHENTICATED, INPUT, (UnknownTransaction,)))
def transaction(
    tx_id: Annotated[str, Path(pattern=TX_ID_PATTERN)], caller: CallerDep, c: ComponentsDep
) -> TransactionPublic:
    # Read as the gateway's service identity (members may not read the ledger directly); the visibility
    # rule then decides, from the event the transaction set, whether this caller may know it exists.
    started = time.monotonic_ns()
    try:
        s = c.ledger.status(c.directory.service, tx_id, wait=STATUS_WAIT_SECONDS)
    except CommitUnknown as exc:
        raise UnknownTransaction(f"no committed transaction {tx_id}") from exc
    committed = c.ledger.transaction(c.directory.service, tx_id)
    if not access.may_see_transaction(c.directory.viewer(caller), _event(committed.event_payload)):
        # An unknown id answers after the status wait; a hidden one must not answer sooner.
        left = STATUS_WAIT_SECONDS * 1_000_000_000 - (time.monotonic_ns() - started)
        time.sleep(max(0, left) / 1_000_000_000)
        raise UnknownTransaction(f"no committed transaction {tx_id}")  # not yours = not there
    return TransactionPublic(
        tx_id=tx_id,
        status=TxOutcome.COMMITTED if s.valid else TxOutcome.INVALID,
        validation_code=s.validation_code,
        block_number=s.block_number,
    )


def _event(payload: bytes | None) -> protocol.Event | None:
    if payload is None:
        return None
    try:
        return protocol.Event.from_json(payload)
    except ContractError:
        return None  # not one of this contract's events: the rule treats it as having no parties
