"""The reconciliation rules, pure: the chain's outstanding supply per currency against the token liability in
the bank's books, and each supply change on chain against exactly one core booking.

Books, per currency: the closing balance of the latest camt.053, plus the movements the core reported since
that its statements do not list yet (fundings from camt.054s; payouts and FX legs the core accepted, from
pacs.002s). Without a statement: those movements alone (the core's token liability starts at zero).
Ledger, per currency: minted minus settled redemptions, plus bought minus sold in conversions and PvP
payments (fx_in - fx_out), from the committed events up to `as_of_block`.

Breaks (`kind`, the `reference` it concerns):
    unbacked_mint          a Minted whose reserve_ref is no core booking, or differs from it (amount, account)
    funding_not_minted     a core booking with no mint: parked in the repair queue, or listed in a statement
                           and never notified
    duplicate_payout       a payment (end-to-end id) booked more than once in the core's statements
    settlement_without_payout  a RedemptionSettled whose payout_ref is no payment the core accepted for that
                           redemption, of its amount, currency and account
    fx_not_booked          a conversion or PvP payment on chain the core rejected (its pacs.009's reason code)
    attestation_mismatch   an attestation on chain that is not the chain's supply at its block
    balance_difference     ledger and books differ in a currency with nothing in flight
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from books.store import ChainRecord, Funding, FxRow, PayoutRow
from chaincode.domain.books import Attestation, SupplyMove, attestation_disagreements
from gateway.chain_reconciliation import at_attested_blocks

Digits = Mapping[str, int]  # the ledger's currency registry: code → minor digits


def _text(amount: Decimal, currency: str, digits: Digits) -> str:
    d = digits.get(currency)
    if d is not None and amount == amount.quantize(Decimal(1).scaleb(-d)):
        return f"{amount.quantize(Decimal(1).scaleb(-d)):f}"
    return f"{amount:f}"


def _minor_to_decimal(minor: int, currency: str, digits: Digits) -> Decimal:
    return Decimal(minor).scaleb(-digits.get(currency, 0))


def _money(minor: int, currency: str, digits: Digits) -> str:
    return _text(_minor_to_decimal(minor, currency, digits), currency, digits)


def fx_end_to_end_id(row: FxRow) -> str:
    return row.end_to_end_id or row.tx_id[-32:]


def supply_moves(chain: list[ChainRecord], fx: Sequence[FxRow] = ()) -> list[SupplyMove]:
    moves = []
    for c in fx:
        moves.append(SupplyMove(c.block, c.sold_currency, -c.sold_minor))
        moves.append(SupplyMove(c.block, c.bought_currency, c.bought_minor))
    for r in chain:
        if r.currency is None or r.minor is None:
            continue
        if r.type == "Minted":
            moves.append(SupplyMove(r.block, r.currency, r.minor))
        elif r.type == "RedemptionSettled":
            moves.append(SupplyMove(r.block, r.currency, -r.minor))
    return moves


def attestations(chain: list[ChainRecord]) -> list[Attestation]:
    return [
        Attestation(r.currency, r.minor, int(r.reference), None, r.tx_id, "")
        for r in chain
        if r.type == "BalanceAttested" and r.currency is not None and r.minor is not None and r.reference is not None
    ]


def attestation_breaks(moves: list[SupplyMove], attested: list[Attestation], digits: Digits) -> list[dict[str, str]]:
    moves = at_attested_blocks(moves, attested)
    return [
        {
            "kind": "attestation_mismatch",
            "reference": a.tx_id,
            "detail": f"attested {_money(a.balance, a.currency, digits)} {a.currency} as of block {a.as_of_block}; "
            f"the chain's supply then: {_money(supply, a.currency, digits)}",
        }
        for a, supply in attestation_disagreements(moves, attested)
    ]


def report(
    as_of_block: int,
    fundings: list[Funding],
    payouts: list[PayoutRow],
    statements: list[dict[str, Any]],
    chain: list[ChainRecord],
    digits: Digits,
    fx: list[FxRow] | None = None,
) -> dict[str, Any]:
    """`{as_of_block, currencies: {CODE: {ledger, books, difference}}, breaks, in_flight}` (decimal strings)."""
    breaks: list[dict[str, str]] = []
    chain = [r for r in chain if r.block <= as_of_block]
    conversions = [c for c in fx or [] if c.block <= as_of_block]
    moves = supply_moves(chain, conversions)
    supply: dict[str, int] = {}
    for m in moves:
        supply[m.currency] = supply.get(m.currency, 0) + m.minor
    ledger = {code: _minor_to_decimal(minor, code, digits) for code, minor in supply.items()}

    latest: dict[str, dict[str, Any]] = {}
    listed: dict[str, set[str]] = {}
    statement_credits: dict[str, dict[str, Any]] = {}
    paid_in_statements: Counter[tuple[str, str]] = Counter()
    for part in statements:  # oldest first
        latest[part["currency"]] = part
        for e in part["entries"]:
            listed.setdefault(part["currency"], set()).add(e["reference"])
            if e["end_to_end_id"]:
                listed[part["currency"]].add(e["end_to_end_id"])
            if e["credit"]:
                statement_credits[e["reference"]] = e
            elif e["end_to_end_id"]:
                paid_in_statements[(part["currency"], e["end_to_end_id"])] += 1

    books: dict[str, Decimal] = {c: Decimal(p["closing"]) for c, p in latest.items()}
    in_flight: Counter[str] = Counter()
    known_fundings = {f.reference: f for f in fundings}
    for f in fundings:
        if f.status == "pending":
            in_flight[f.currency] += 1
        if f.reference not in listed.get(f.currency, set()):
            books[f.currency] = books.get(f.currency, Decimal(0)) + Decimal(f.amount)
        if f.status == "parked":
            breaks.append({"kind": "funding_not_minted", "reference": f.reference, "detail": f"parked: {f.detail}"})
    accepted: dict[str, PayoutRow] = {}
    for p in payouts:
        if p.status in ("new", "sending") or (p.status == "answered"):
            in_flight[p.currency] += 1
        if p.accepted and p.uetr is not None:
            accepted[p.uetr] = p
            if p.end_to_end_id not in listed.get(p.currency, set()):
                books[p.currency] = books.get(p.currency, Decimal(0)) - _minor_to_decimal(p.minor, p.currency, digits)

    fx_ids = set()
    for c in conversions:
        e2e = fx_end_to_end_id(c)
        fx_ids.add(e2e)
        if c.status in ("new", "sending"):
            in_flight[c.sold_currency] += 1
            in_flight[c.bought_currency] += 1
        elif c.status == "booked":
            if e2e not in listed.get(c.sold_currency, set()):
                books[c.sold_currency] = books.get(c.sold_currency, Decimal(0)) - _minor_to_decimal(
                    c.sold_minor, c.sold_currency, digits
                )
            if e2e not in listed.get(c.bought_currency, set()):
                books[c.bought_currency] = books.get(c.bought_currency, Decimal(0)) + _minor_to_decimal(
                    c.bought_minor, c.bought_currency, digits
                )
        else:
            breaks.append(
                {
                    "kind": "fx_not_booked",
                    "reference": c.tx_id,
                    "detail": f"the core did not book the {c.type} of {_money(c.sold_minor, c.sold_currency, digits)} "
                    f"{c.sold_currency} for {_money(c.bought_minor, c.bought_currency, digits)} {c.bought_currency}: "
                    f"{c.reason or 'refused'}",
                }
            )

    minted_refs = set()
    for r in chain:
        if r.type == "Minted":
            minted_refs.add(r.reference)
            breaks += _mint_break(r, known_fundings, statement_credits)
        elif r.type == "RedemptionSettled":
            breaks += _settlement_break(r, accepted.get(r.reference or ""), digits)
    for ref, e in statement_credits.items():
        if ref not in minted_refs and ref not in known_fundings and e["end_to_end_id"] not in fx_ids:
            breaks.append(
                {
                    "kind": "funding_not_minted",
                    "reference": ref,
                    "detail": f"the core's statement books {e['amount']} {e['currency']} that was never notified",
                }
            )
    for (currency, e2e), n in sorted(paid_in_statements.items()):
        if n > 1:
            breaks.append({"kind": "duplicate_payout", "reference": e2e, "detail": f"booked {n} times in {currency}"})
    breaks += attestation_breaks(moves, attestations(chain), digits)

    currencies: dict[str, dict[str, str]] = {}
    for code in sorted(set(ledger) | set(books)):
        lv, bv = ledger.get(code, Decimal(0)), books.get(code, Decimal(0))
        currencies[code] = {
            "ledger": _text(lv, code, digits),
            "books": _text(bv, code, digits),
            "difference": _text(lv - bv, code, digits),
        }
        if lv != bv and not in_flight[code]:
            breaks.append(
                {
                    "kind": "balance_difference",
                    "reference": code,
                    "detail": f"ledger {_text(lv, code, digits)}, books {_text(bv, code, digits)}",
                }
            )
    return {
        "as_of_block": as_of_block,
        "currencies": currencies,
        "breaks": breaks,
        "in_flight": {c: n for c, n in sorted(in_flight.items()) if n},
    }


def _settlement_break(r: ChainRecord, paid: PayoutRow | None, digits: Digits) -> list[dict[str, str]]:
    """A settlement is backed by the one payment the core accepted for that redemption, of its amount."""
    if paid is None:
        detail = f"settled with payout_ref {r.reference}, a payment the core never accepted"
    elif (paid.redemption_id, paid.currency, paid.minor, paid.account_id) != (
        r.redemption_id,
        r.currency,
        r.minor,
        r.account_id,
    ):
        settled = _money(r.minor or 0, r.currency or "", digits)
        detail = (
            f"settled {settled} {r.currency} from {r.account_id} against payment {r.reference}, which paid "
            f"{_money(paid.minor, paid.currency, digits)} {paid.currency} for redemption {paid.redemption_id}"
        )
    else:
        return []
    return [{"kind": "settlement_without_payout", "reference": r.redemption_id or r.tx_id, "detail": detail}]


def _mint_break(
    r: ChainRecord, fundings: dict[str, Funding], credits: dict[str, dict[str, Any]]
) -> list[dict[str, str]]:
    ref = r.reference or ""
    funding = fundings.get(ref)
    if funding is not None:
        if (
            funding.currency != r.currency
            or (funding.minor is not None and funding.minor != r.minor)
            or (funding.account_id is not None and funding.account_id != r.account_id)
        ):
            return [
                {
                    "kind": "unbacked_mint",
                    "reference": ref,
                    "detail": f"minted {r.minor} {r.currency} to {r.account_id}; the core booked {funding.amount} "
                    f"{funding.currency} for {funding.account_id or funding.dda}",
                }
            ]
        return []
    if ref in credits:
        return []
    return [
        {
            "kind": "unbacked_mint",
            "reference": ref,
            "detail": f"tx {r.tx_id} minted against a reference the core never booked",
        }
    ]
