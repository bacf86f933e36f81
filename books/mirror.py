"""The connector's copy of the rows the reconciliation reads, kept in memory and refreshed from the rows the
store logged as changed since the last pass (`BooksStore.changed_since`): a pass reads what changed, not
every row again, and a pass over rows that did not change reuses the last report.

The report is the one `books.reconcile.report` makes over the store's rows in the store's order: the copy
keeps each table in that order (new rows come in block or message order, so they append; a row that would
not sorts the table once).
"""

from __future__ import annotations

from typing import Any

from books import reconcile
from books.store import RECONCILED, BooksStore, Row


def _key(table: str, row: Row) -> Any:
    """The row's primary key in its table."""
    if table == "statements":
        return (row["msg_id"], row["currency"])
    if table == "fundings":
        return row.reference
    if table == "payouts":
        return row.redemption_id
    return row.tx_id


class BooksMirror:
    def __init__(self, store: BooksStore) -> None:
        self._store = store
        self._rev: int | None = None
        self._rows: dict[str, dict[Any, tuple[tuple[Any, ...], Row]]] = {t: {} for t in RECONCILED}
        self._last: tuple[int, reconcile.Digits, dict[str, Any]] | None = None  # (as of, digits, report)
        self.rows_read = 0  # rows read from the store so far (what the tests and the benchmark watch)

    def refresh(self) -> bool:
        """Bring the copy up to date with the store; whether anything changed."""
        if self._rev is None:
            rev = self._store.revision()  # before reading: a change made meanwhile is read again next time
            for table in RECONCILED:
                rows = self._store.reconciled_rows(table)
                self.rows_read += len(rows)
                self._rows[table] = {_key(table, row): (order, row) for order, row in rows}
            self._rev = rev
            self._store.forget_changes(rev)
            return True
        rev, changed = self._store.changed_since(self._rev)
        if rev == self._rev:
            return False
        for table, row_ids in changed.items():
            rows = self._store.reconciled_rows(table, row_ids)
            self.rows_read += len(rows)
            self._apply(table, rows)
        self._rev = rev
        self._store.forget_changes(rev)
        return True

    def _apply(self, table: str, rows: list[tuple[tuple[Any, ...], Row]]) -> None:
        held = self._rows[table]
        tail = next(reversed(held.values()))[0] if held else None
        in_order = True
        for order, row in rows:  # in the table's order
            key = _key(table, row)
            if key not in held:
                in_order = in_order and (tail is None or order >= tail)
                tail = order
            held[key] = (order, row)
        if not in_order:
            self._rows[table] = dict(sorted(held.items(), key=lambda item: item[1][0]))

    def rows(self, table: str) -> list[Row]:
        return [row for _, row in self._rows[table].values()]

    def report(self, as_of_block: int, digits: reconcile.Digits) -> dict[str, Any]:
        """`books.reconcile.report` over the store's rows as of `as_of_block`."""
        changed = self.refresh()
        if not changed and self._last is not None:
            as_of, known, last = self._last
            # The same rows, none of them past the last report's block: the rules would answer the same.
            if known == digits and as_of <= as_of_block and self._newest_block() <= as_of:
                return {**last, "as_of_block": as_of_block}
        report = reconcile.report(
            as_of_block,
            self.rows("fundings"),
            self.rows("payouts"),
            self.rows("statements"),
            self.rows("chain"),
            digits,
            self.rows("fx"),
        )
        self._last = (as_of_block, dict(digits), report)
        return report

    def _newest_block(self) -> int:
        blocks = [next(reversed(self._rows[t].values()))[1].block for t in ("chain", "fx") if self._rows[t]]
        return max(blocks, default=0)
