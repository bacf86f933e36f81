"""The bench's result as a table a person reads (the JSON form is the result itself)."""

from __future__ import annotations

from typing import Any


def _cell(row: dict[str, Any], step: str) -> str:
    s = row["steps"].get(step)
    return f"{s['mean_ms']}" if s else "-"


def format_table(result: dict[str, Any]) -> str:
    rows = result["scenarios"]
    kinds = sorted({k for r in rows for k in r["cpu_ms_per_tx"]} - {"total"})
    head = [
        "scenario",
        "clients",
        "committed",
        "tx/s",
        "payments/s",
        "p50 ms",
        "p95 ms",
        "endorse",
        "submit",
        "commit",
        "CPU ms/tx",
        *kinds,
        "failures",
        "balances",
    ]
    lines = [head]
    for r in rows:
        failures = ", ".join(f"{k}: {v}" for k, v in r["failures"].items()) or "0"
        lines.append(
            [
                r["scenario"],
                str(r["clients"]),
                str(r["committed"]),
                f"{r['tx_per_s']}",
                f"{r['payments_per_s']}",
                str(r["p50_ms"]),
                str(r["p95_ms"]),
                _cell(r, "endorse"),
                _cell(r, "submit"),
                _cell(r, "commit"),
                r["cpu_ms_per_tx"]["total"],
                *(r["cpu_ms_per_tx"].get(k, "-") for k in kinds),
                failures,
                r["balances"],
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append("")
    out.append("endorse/submit/commit: the gateway's mean ms per write in each Fabric step (HTTP scenarios and the")
    out.append("direct ones alike read PlatformOrg's gateway; direct writes do not pass it, so they show '-').")
    out.append("payments/s: tx/s times the payments a transaction carries (a payout's lines; 1 for a transfer).")
    out.append("CPU ms/tx: CPU time of each process kind per committed transaction (client = the load client).")
    rss = {k: v for r in rows for k, v in r["rss_mib"].items()}
    out.append("resident memory at the end (largest per kind, MiB): " + ", ".join(f"{k} {v}" for k, v in rss.items()))
    if result["ratios"]:
        out.append("ratios: " + ", ".join(f"{k} {v}" for k, v in result["ratios"].items()))
    return "\n".join(out)
