"""The outstanding supply per currency over block height, as an SVG drawn here (no chart library).

Why server-side SVG: the page then needs no script to show it, prints and screenshots as it is, scales to a
phone, and the numbers are computed once with integers in Python, from the same events the feed shows.
A chart library would be a second vendored dependency for one step line.

Outstanding moves only with mints (+) and settled redemptions (-) (`domain.supply`: outstanding = minted -
redeemed); `OUTSTANDING_DELTA` is the one place that says so for the chart. The last point of each series
is checked against the supply report in the browser test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chaincode.protocol import Event, EventType
from gateway.console._format import amount

OUTSTANDING_DELTA = {EventType.MINTED: 1, EventType.REDEMPTION_SETTLED: -1}
WIDTH, HEIGHT, PAD_LEFT, PAD = 640, 180, 120, 20


@dataclass(frozen=True, slots=True)
class Series:
    currency: str
    points: tuple[tuple[int, int], ...]  # (block, outstanding minor units after it), in block order

    @property
    def last(self) -> int:
        return self.points[-1][1] if self.points else 0


def _deltas(event: Event) -> list[tuple[str, int]]:
    """How an event moves outstanding supply per currency: a mint or a settled redemption its own currency,
    a conversion or PvP payment both (the sold amount leaves supply, the bought one enters)."""
    sign = OUTSTANDING_DELTA.get(event.type)
    if sign is not None and event.currency is not None and event.amount is not None:
        return [(event.currency, sign * event.amount)]
    exchanged = event.exchanged()
    if exchanged is None:
        return []
    sold_currency, sold, bought_currency, bought = exchanged
    return [(sold_currency, -sold), (bought_currency, bought)]


def outstanding_series(events: Iterable[tuple[int, Event]]) -> list[Series]:
    """Per currency, the outstanding supply after each block that changed it, from (block, event) pairs."""
    totals: dict[str, int] = {}
    points: dict[str, list[tuple[int, int]]] = {}
    for block, event in events:
        for currency, delta in _deltas(event):
            totals[currency] = totals.get(currency, 0) + delta
            series = points.setdefault(currency, [])
            if series and series[-1][0] == block:
                series[-1] = (block, totals[currency])
            else:
                series.append((block, totals[currency]))
    return [Series(cur, tuple(points[cur])) for cur in sorted(points)]


def svg(series: Series, digits: int, height: int | None = None) -> str:
    """A step chart of one currency: block on x (the series' own range), outstanding on y from 0 to its
    maximum, drawn on to block `height` (the chain's, when newer). One small chart per currency: currencies
    differ by orders of magnitude, one axis cannot fit them all."""
    if not series.points:
        return ""
    first, last = series.points[0][0], max(series.points[-1][0], height or 0)
    span = max(1, last - first)
    top = max(1, max(v for _, v in series.points))
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD, HEIGHT - 2 * PAD
    coords: list[str] = []
    y_prev: int | None = None
    for block, value in series.points:
        x = PAD_LEFT + (block - first) * plot_w // span
        y = PAD + plot_h - max(0, value) * plot_h // top
        if y_prev is not None:
            coords.append(f"{x},{y_prev}")  # a step: the value holds until the next block that changes it
        coords.append(f"{x},{y}")
        y_prev = y
    coords.append(f"{WIDTH - PAD},{y_prev}")
    cur, bottom = series.currency, HEIGHT - PAD
    return "".join(
        [
            f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-{cur}" '
            'xmlns="http://www.w3.org/2000/svg">',
            f'<title id="chart-{cur}">{cur} outstanding from block {first} to {last}: now '
            f"{amount(series.last, digits)}</title>",
            f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - PAD}" y2="{bottom}" stroke="#888"/>',
            f'<line x1="{PAD_LEFT}" y1="{PAD}" x2="{PAD_LEFT}" y2="{bottom}" stroke="#888"/>',
            f'<text x="{PAD_LEFT - 6}" y="{PAD + 4}" font-size="12" text-anchor="end">{amount(top, digits)}</text>',
            f'<text x="{PAD_LEFT - 6}" y="{bottom}" font-size="12" text-anchor="end">0</text>',
            f'<text x="{PAD_LEFT}" y="{HEIGHT - 6}" font-size="12">block {first}</text>',
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" font-size="12" text-anchor="end">block {last}</text>',
            f'<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="{" ".join(coords)}"/>',
            "</svg>",
        ]
    )
