"""`make bench`: the figures in the README's Performance section, written to bench/results.json."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from offload.bench.p1_p2 import measure_p1_p2
from offload.bench.settings import Echo, Settings


def measure_p3_p4(echo: Echo) -> dict[str, float]:
    """One demo run in its own process; it reports through a JSON line on stdout."""
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "offload.bench.demo_figures"], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"demo run failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    echo(f"P3/P4: demo run in {time.monotonic() - began:.0f} s")
    return figures


def run(settings: Settings, echo: Echo, out: Path) -> dict[str, float]:
    results = {**measure_p1_p2(settings, echo), **measure_p3_p4(echo)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({k: round(v, 3) for k, v in results.items()}, indent=2) + "\n")
    return results


def table(r: dict[str, float]) -> str:
    rows = [
        ("P1 worker as shipped", f"{r['p1_rows_per_s']:,.0f} rows/s", f"{r['p1_rtt_ms']:.0f} ms RTT"),
        (
            "P1 workshop algorithm",
            f"{r['p1_seed_rows_per_s']:,.0f} rows/s",
            f"shipped is {r['p1_rows_per_s'] / r['p1_seed_rows_per_s']:.1f}x",
        ),
        (
            "P1 twin ceiling (raw)",
            f"{r['p1_twin_ceiling_rows_per_s']:,.0f} rows/s",
            f"shipped = {r['p1_ceiling_ratio']:.2f} x ceiling",
        ),
        (
            "P1 ideal at concurrency",
            f"{r['p1_ideal_rows_per_s']:,.0f} rows/s",
            f"shipped = {r['p1_ideal_ratio']:.2f} x ideal",
        ),
        (f"P2 peak RSS {r['p2_mb_small']:.0f} MB", f"{r['p2_rss_mb_small']:.0f} MB", ""),
        (
            f"P2 peak RSS {r['p2_mb_large']:.0f} MB",
            f"{r['p2_rss_mb_large']:.0f} MB",
            f"large/small {r['p2_large_small_ratio']:.2f}",
        ),
        ("P3 drop -> output", f"{r['p3_drop_to_output_s']:.2f} s", ""),
        ("P3 whole demo", f"{r['p3_demo_s']:.1f} s", ""),
        ("P4 RunTask per file", f"{r['p4_runtask_per_file']:.2f}", ""),
        ("P4 RunTask per duplicate event", f"{r['p4_runtask_per_duplicate']:.2f}", ""),
        ("P4 records per invocation", f"{r['p4_records_per_invocation']:.2f}", ""),
    ]
    return "\n".join(f"{a:<32} {b:>16}  {c}".rstrip() for a, b, c in rows)
