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
_COLOURS = ("#1f5fa8", "#b5471b", "#2e7d32", "#6a3d9a", "#8c6d1f", "#00838f")
WIDTH, HEIGHT, PAD_LEFT, PAD = 640, 240, 96, 24


@dataclass(frozen=True, slots=True)
class Series:
    currency: str
    points: tuple[tuple[int, int], ...]  # (block, outstanding minor units after it), in block order

    @property
    def last(self) -> int:
        return self.points[-1][1] if self.points else 0


def outstanding_series(events: Iterable[tuple[int, Event]]) -> list[Series]:
    """Per currency, the outstanding supply after each block that changed it, from (block, event) pairs."""
    totals: dict[str, int] = {}
    points: dict[str, list[tuple[int, int]]] = {}
    for block, event in events:
        sign = OUTSTANDING_DELTA.get(event.type)
        if sign is None or event.currency is None or event.amount is None:
            continue
        totals[event.currency] = totals.get(event.currency, 0) + sign * event.amount
        series = points.setdefault(event.currency, [])
        if series and series[-1][0] == block:
            series[-1] = (block, totals[event.currency])
        else:
            series.append((block, totals[event.currency]))
    return [Series(cur, tuple(points[cur])) for cur in sorted(points)]


def svg(series: list[Series]) -> str:
    """A step chart of the series (block on x, outstanding on y, each currency on its own scale's share of
    the height: one axis per currency would not fit a phone, so each line is scaled to its own maximum)."""
    if not series:
        return ""
    first = min(s.points[0][0] for s in series)
    last = max(s.points[-1][0] for s in series)
    span = max(1, last - first)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD, HEIGHT - 2 * PAD
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Outstanding supply per currency over block height</title>',
        f'<line x1="{PAD_LEFT}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>',
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 6}" font-size="12">block {first}</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" font-size="12" text-anchor="end">block {last}</text>',
    ]
    for i, s in enumerate(series):
        colour = _COLOURS[i % len(_COLOURS)]
        top = max(1, max(v for _, v in s.points))
        coords: list[str] = []
        y_prev: int | None = None
        for block, value in s.points:
            x = PAD_LEFT + (block - first) * plot_w // span
            y = PAD + plot_h - max(0, value) * plot_h // top
            if y_prev is not None:
                coords.append(f"{x},{y_prev}")  # a step: the value holds until the next block changes it
            coords.append(f"{x},{y}")
            y_prev = y
        coords.append(f"{WIDTH - PAD},{y_prev}")
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(coords)}" '
            f'data-currency="{s.currency}"/>'
        )
        parts.append(
            f'<text x="4" y="{PAD + 14 + 16 * i}" font-size="12" fill="{colour}">'
            f"{s.currency} {amount(s.last, s.currency)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
