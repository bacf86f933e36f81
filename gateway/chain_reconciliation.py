"""Reconciliation from the chain alone (what an auditor can check without the bank's core): each attestation
the bank's treasury recorded, against the chain's outstanding supply at the attestation's block, summed from
the committed Minted and RedemptionSettled events and the conversions and PvP payments (fx_in - fx_out)
(`chaincode.domain.books.attestation_disagreements`). The events are read once: `SupplyTally` keeps the
moves, and a check reads only the blocks committed since the last one."""

from __future__ import annotations

import bisect
import json
import threading
from typing import Any

from chaincode import domain, protocol
from chaincode.domain.books import Attestation, SupplyMove, attestation_disagreements, outstanding_at
from chaincode.errors import ContractError
from chaincode.protocol import EventType
from gateway.currencies import CurrencyRegistry
from gateway.directory import Caller
from gateway.ledger import Ledger


def at_attested_blocks(moves: list[SupplyMove], attested: list[Attestation]) -> list[SupplyMove]:
    """The moves summed, per currency, into the first attested block at or after theirs (those after every
    attested block dropped): the supply at each attested block is the same, from a move per attestation
    and currency instead of one per event."""
    marks = sorted({a.as_of_block for a in attested})
    sums: dict[tuple[int, str], int] = {}
    for m in moves:
        at = bisect.bisect_left(marks, m.block)
        if at < len(marks):
            sums[(marks[at], m.currency)] = sums.get((marks[at], m.currency), 0) + m.minor
    return [SupplyMove(block, currency, minor) for (block, currency), minor in sums.items()]


def chain_report(
    ledger: Ledger, caller: Caller, reader: Caller, currencies: CurrencyRegistry, tally: SupplyTally | None = None
) -> dict[str, Any]:
    """`{as_of_block, currencies: {CODE: {ledger, books, difference}}, breaks}` where `books` is the latest
    attested balance. The attestations are read as `caller` (the contract decides who may); the events as the
    gateway's `reader`, continuing `tally` (None: from block 0). Raises ChaincodeRejected (UNAUTHORIZED),
    LedgerUnavailable."""
    args = protocol.ListAttestations()
    raw = json.loads(ledger.evaluate(caller, args.FUNCTION.value, [args.to_json()]))
    attested = [Attestation(**a) for a in raw["attestations"]]
    read = (tally or SupplyTally()).moves_until(ledger, reader, {a.tx_id for a in attested})
    moves = at_attested_blocks(read, attested)
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


class SupplyTally:
    """The chain's supply moves read so far, from block 0 on: a check reads only the blocks committed since
    the last one (the gateway keeps one for its life; the first check reads the chain from the start)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._moves: list[SupplyMove] = []
        self._attested: set[str] = set()  # the attestations' transactions read
        self._position: tuple[int, str] | None = None  # the last event read
        self.events_read = 0

    def moves_until(self, ledger: Ledger, reader: Caller, attestation_txs: set[str]) -> list[SupplyMove]:
        """Every supply move until the events of all the given attestations were read (each attestation
        commits after the block it is as of, so its moves are all read by then)."""
        with self._lock:
            if attestation_txs - self._attested:
                self._read(ledger, reader, attestation_txs)
            return list(self._moves)

    def _read(self, ledger: Ledger, reader: Caller, attestation_txs: set[str]) -> None:
        start, after = self._position if self._position is not None else (0, None)
        stream = ledger.events(reader, start, after)
        try:
            for e in stream:
                self._position = (e.block_number, e.tx_id)
                self.events_read += 1
                try:
                    event = protocol.Event.from_json(e.payload)
                except ContractError:
                    continue
                if event.type is EventType.BALANCE_ATTESTED:
                    self._attested.add(e.tx_id)
                elif event.currency is not None and event.amount is not None:
                    if event.type is EventType.MINTED:
                        self._moves.append(SupplyMove(e.block_number, event.currency, event.amount))
                    elif event.type is EventType.REDEMPTION_SETTLED:
                        self._moves.append(SupplyMove(e.block_number, event.currency, -event.amount))
                    elif (fx := event.exchanged()) is not None:
                        self._moves.append(SupplyMove(e.block_number, fx[0], -fx[1]))
                        self._moves.append(SupplyMove(e.block_number, fx[2], fx[3]))
                if not attestation_txs - self._attested:
                    break
        finally:
            stream.close()
