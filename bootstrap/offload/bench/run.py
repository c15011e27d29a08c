"""`make bench`: the figures in the README's Performance section, written to bench/results.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from offload.bench.p1 import measure_p1
from offload.bench.p2 import measure_p2
from offload.bench.p5 import measure_p5
from offload.bench.p7 import measure_p7
from offload.bench.p7 import table_rows as p7_rows
from offload.bench.settings import Echo, Settings
from offload.bench.worker_process import BUCKET, REGION
from offload.twin import credentials


def measure_p3_p4_p6(settings: Settings, echo: Echo) -> dict[str, float]:
    """One demo run, then P6's burst on its stack, in its own process; it reports through a JSON line on stdout."""
    began = time.monotonic()
    command = [sys.executable, "-m", "offload.bench.demo_figures", "--p6-files", str(settings.p6_files)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=480, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"demo run failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    for line in done.stderr.splitlines():
        if line.startswith("P6:"):  # the burst's figure, as the demo process said it
            echo(line)
    echo(f"P3/P4/P6: demo run and burst in {time.monotonic() - began:.0f} s")
    return figures


def measure_p1_p2(settings: Settings, echo: Echo) -> dict[str, float]:
    """P1 and P2 share one twin, for S3 only."""
    import boto3

    from offload.twin.run import free_port
    from offload.twin.server import Twin

    twin = Twin(free_port())
    # The workers and peers P1/P2/P5 start sign with the twin's key, which it refuses otherwise.
    os.environ.update(AWS_ACCESS_KEY_ID=twin.access_key, AWS_SECRET_ACCESS_KEY=credentials.SECRET_KEY)
    twin.start()
    try:
        s3 = boto3.client("s3", endpoint_url=twin.endpoint, region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb", endpoint_url=twin.endpoint, region_name=REGION)
        return {
            **measure_p1(settings, echo, s3, twin.endpoint),
            **measure_p2(settings, echo, s3, twin.endpoint),
            **measure_p5(settings, echo, s3, dynamodb, twin.endpoint),
        }
    finally:
        twin.stop()


def run(settings: Settings, echo: Echo, out: Path) -> dict[str, float]:
    results = {**measure_p1_p2(settings, echo), **measure_p3_p4_p6(settings, echo), **measure_p7(settings, echo)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({k: round(v, 3) for k, v in results.items()}, indent=2) + "\n")
    return results


def _times(r: dict[str, float], name: str) -> str:
    return f"shipped is {r['p1_rows_per_s'] / r[name]:.1f}x" if r.get(name) else "not measured"


def _p6_rows(r: dict[str, float]) -> list[tuple[str, str, str]]:
    if "p6_files_per_s" not in r:
        return [("P6 burst drained", "not measured", "")]
    return [
        (
            f"P6 burst of {r['p6_files']:.0f} files",
            f"{r['p6_files_per_s']:.2f} files/s",
            f"= {r['p6_ratio']:.2f} x ideal {r['p6_ideal_files_per_s']:.2f} ({r['p6_slots']:.0f} slots / median task "
            f"{r['p6_task_median_s']:.2f} s)",
        ),
        (
            "P6 drain time",
            f"{r['p6_drain_s']:.1f} s",
            f"bound 1.5 x files/ideal + 15 s = {r['p6_bound_s']:.0f} s; {r['p6_tasks_per_file']:.2f} tasks per file, "
            f"{r['p6_dead_letters']:.0f} in the DLQ",
        ),
    ]


def table(r: dict[str, float]) -> str:
    wrangler = r.get("p1_awswrangler_rows_per_s")
    rows = [
        ("P1 worker as shipped", f"{r['p1_rows_per_s']:,.0f} rows/s", f"{r['p1_rtt_ms']:.0f} ms RTT, null DynamoDB"),
        (
            "P1 ideal at concurrency",
            f"{r['p1_ideal_rows_per_s']:,.0f} rows/s",
            f"shipped = {r['p1_ideal_ratio']:.2f} x ideal",
        ),
        (
            "P1 at concurrency 16",
            f"{r['p1_window_rows_per_s']:,.0f} rows/s",
            f"= {r['p1_window_ideal_ratio']:.2f} x its ideal (16,000)",
        ),
        ("P1 workshop algorithm", f"{r['p1_seed_rows_per_s']:,.0f} rows/s", _times(r, "p1_seed_rows_per_s")),
        (
            "P1 workshop predicted",
            f"{r['p1_seed_predicted_rows_per_s']:,.0f} rows/s",
            f"25/(RTT + {r['p1_seed_service_ms']:.1f} ms): measured = {r['p1_seed_prediction_ratio']:.2f} x",
        ),
        (
            "P1 awswrangler put_df",
            f"{wrangler:,.0f} rows/s" if wrangler else "-",
            _times(r, "p1_awswrangler_rows_per_s"),
        ),
        (
            "P1 per core at RTT 0",
            f"{r['p1_rows_per_core_rtt0']:,.0f} rows/s",
            f"best of 3 (worst {r['p1_rows_per_core_rtt0_worst']:,.0f}); one process, start-up "
            f"{r['p1_worker_start_up_cpu_s']:.1f} CPU-s apart",
        ),
        ("P1 1 GB file", f"{r['p1_1gb_minutes']:.1f} min", "projected at the shipped rate"),
        (f"P2 peak RSS {r['p2_mb_small']:.0f} MB", f"{r['p2_rss_mb_small']:.0f} MB", "per process"),
        (
            f"P2 peak RSS {r['p2_mb_large']:.0f} MB",
            f"{r['p2_rss_mb_large']:.0f} MB",
            f"large/small {r['p2_large_small_ratio']:.2f}",
        ),
        (f"P5 {r['p5_mb']:.0f} MB on 1 instance", f"{r['p5_one_instance_s']:.1f} s", "one task, one process"),
        (
            f"P5 {r['p5_mb']:.0f} MB on 3 instances",
            f"{r['p5_three_instances_s']:.1f} s",
            f"3 shards: {r['p5_speedup']:.2f}x; the 3 share this machine's 2 cores",
        ),
        ("P3 drop -> output", f"{r['p3_drop_to_output_s']:.2f} s", ""),
        ("P3 whole demo", f"{r['p3_demo_s']:.1f} s", ""),
        ("P4 RunTask per file", f"{r['p4_runtask_per_file']:.2f}", ""),
        ("P4 RunTask per duplicate event", f"{r['p4_runtask_per_duplicate']:.2f}", ""),
        ("P4 records per invocation", f"{r['p4_records_per_invocation']:.2f}", ""),
        *_p6_rows(r),
        *p7_rows(r),
    ]
    return "\n".join(f"{a:<32} {b:>16}  {c}".rstrip() for a, b, c in rows)
