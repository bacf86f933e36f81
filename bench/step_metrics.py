"""A write's latency split by Fabric step, from the gateway's `gateway_fabric_step_seconds` histogram:
the difference between two scrapes is what one scenario's writes spent in each step."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

STEPS = ("endorse", "submit", "commit")
_NAME = "gateway_fabric_step_seconds"


@dataclass(frozen=True, slots=True)
class Scrape:
    buckets: dict[str, dict[str, int]]  # step → upper bound (text) → cumulative count
    sums: dict[str, str]  # step → seconds (the exposition's text)
    conflict_retries: int  # writes the gateway re-endorsed so far


def scrape(gateway_url: str) -> Scrape:
    text = httpx.get(f"{gateway_url}/metrics", timeout=10).text
    buckets: dict[str, dict[str, int]] = {s: {} for s in STEPS}
    sums: dict[str, str] = {}
    retries = 0
    for line in text.splitlines():
        if line.startswith("gateway_conflict_retries "):
            retries = int(line.split()[1].split(".")[0])
        if not line.startswith(_NAME):
            continue
        series, value = line.rsplit(" ", 1)
        labels = dict(part.split("=", 1) for part in series[series.index("{") + 1 : -1].split(","))
        step = labels["step"].strip('"')
        if series.startswith(f"{_NAME}_bucket"):
            buckets[step][labels["le"].strip('"')] = int(value.split(".")[0])
        elif series.startswith(f"{_NAME}_sum"):
            sums[step] = value
    return Scrape(buckets, sums, retries)


def _ms(seconds_text: str) -> int:
    """Whole milliseconds of a decimal seconds text, without making a float of it."""
    whole, _, frac = seconds_text.partition(".")
    if "e" in seconds_text.lower():  # the exposition may write tiny sums in exponent form
        return 0
    return int(whole) * 1000 + int((frac + "000")[:3])


def split(before: Scrape, after: Scrape) -> dict[str, dict[str, int | str]]:
    """Per step: writes counted, mean ms, and p50 as the bucket bound that holds the median (`≤ N ms`)."""
    out: dict[str, dict[str, int | str]] = {}
    for step in STEPS:
        a, b = after.buckets.get(step, {}), before.buckets.get(step, {})
        delta = {le: a[le] - b.get(le, 0) for le in a}
        count = delta.get("+Inf", 0)
        if count == 0:
            continue
        mean = (_ms(after.sums.get(step, "0")) - _ms(before.sums.get(step, "0"))) // count
        p50 = next(le for le, n in delta.items() if n * 2 >= count)
        out[step] = {"count": count, "mean_ms": mean, "p50_ms": "> 30000" if p50 == "+Inf" else f"<= {_ms(p50)}"}
    return out
