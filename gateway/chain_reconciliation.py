"""Reconciliation from the chain alone (what an auditor can check without the bank's core): each attestation
the bank's treasury recorded, against the chain's outstanding supply at the attestation's block, summed from
the committed Minted and RedemptionSettled events and the conversions and PvP payments (fx_in - fx_out)
(`chaincode.domain.books.attestation_disagreements`)."""

from __future__ import annotations

import json
from typing import Any

from chaincode import domain, protocol
from chaincode.domain.books import Attestation, SupplyMove, attestation_disagreements, outstanding_at
from chaincode.errors import ContractError
from chaincode.protocol import EventType
from gateway.currencies import CurrencyRegistry
from gateway.directory import Caller
from gateway.ledger import Ledger


def chain_report(ledger: Ledger, caller: Caller, reader: Caller, currencies: CurrencyRegistry) -> dict[str, Any]:
    """`{as_of_block, currencies: {CODE: {ledger, books, difference}}, breaks}` where `books` is the latest
    attested balance. The attestations are read as `caller` (the contract decides who may); the events as the
    gateway's `reader`. Raises ChaincodeRejected (UNAUTHORIZED), LedgerUnavailable."""
    args = protocol.ListAttestations()
    raw = json.loads(ledger.evaluate(caller, args.FUNCTION.value, [args.to_json()]))
    attested = [Attestation(**a) for a in raw["attestations"]]
    moves = _moves_until(ledger, reader, {a.tx_id for a in attested})
    latest: dict[str, Attestation] = {}
    for a in attested:
        if a.currency not in latest or a.as_of_block >= latest[a.currency].as_of_block:
            latest[a.currency] = a

    def money(minor: int, code: str) -> str:
        return domain.format_units(minor, currencies.get(code))

    figures = {}
    for code, a in sorted(latest.items()):
        supply = outstanding_at(moves, a.as_of_block).get(code, 0)
        figures[code] = {
            "ledger": money(supply, code),
            "books": money(a.balance, code),
            "difference": money(supply - a.balance, code),
        }
    breaks = [
        {
            "kind": "attestation_mismatch",
            "reference": a.tx_id,
            "detail": f"attested {money(a.balance, a.currency)} {a.currency} as of block "
            f"{a.as_of_block}; the chain's supply then: {money(supply, a.currency)}",
        }
        for a, supply in attestation_disagreements(moves, attested)
    ]
    as_of = max((a.as_of_block for a in attested), default=0)
    return {"as_of_block": as_of, "currencies": figures, "breaks": breaks}


def _moves_until(ledger: Ledger, reader: Caller, attestation_txs: set[str]) -> list[SupplyMove]:
    """Every supply move from block 0 until the events of all the given attestations were read (each
    attestation commits after the block it is as of, so its moves are all read by then)."""
    moves: list[SupplyMove] = []
    if not attestation_txs:
        return moves
    waiting = set(attestation_txs)
    stream = ledger.events(reader, 0, None)
    try:
        for e in stream:
            try:
                event = protocol.Event.from_json(e.payload)
            except ContractError:
                continue
            if event.currency is not None and event.amount is not None:
                if event.type is EventType.MINTED:
                    moves.append(SupplyMove(e.block_number, event.currency, event.amount))
                elif event.type is EventType.REDEMPTION_SETTLED:
                    moves.append(SupplyMove(e.block_number, event.currency, -event.amount))
                elif (fx := event.exchanged()) is not None:
                    moves.append(SupplyMove(e.block_number, fx[0], -fx[1]))
                    moves.append(SupplyMove(e.block_number, fx[2], fx[3]))
            waiting.discard(e.tx_id)
            if not waiting:
                break
    finally:
        stream.close()
    return moves
