"""P7 of `make bench`: the orders schema's compiled encoder against the hand-written orders encoder
it replaced, in rows per CPU-second on the same rows; and a 30-column mixed-type schema's rate.

The hand-written encoder is run from a `git worktree` of BASELINE (the last commit that has it), so
no copy of it stays in the tree. Each side runs in its own process (p7_encode.py), alternately,
ROUNDS times; each side's best pass counts (the one least disturbed by other work on the machine).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from offload.bench.settings import Echo, Settings
from offload.lib.paths import repo_root
from offload.samples import generate as sample_orders

BASELINE = "5254b8b"  # main before issue 24: worker/offload_worker/orders.py's RowEncoder
ROUNDS = 3
WIDE_SCHEMA = Path(__file__).with_name("wide.yaml")
RATIO_BOUND = 0.9


@contextlib.contextmanager
def baseline_worktree(repo: Path, path: Path) -> Iterator[Path]:
    """A detached worktree of BASELINE at `path`, removed afterwards."""
    added = subprocess.run(
        ["git", "-C", str(repo), "worktree", "add", "--detach", str(path), BASELINE],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if added.returncode != 0:
        raise RuntimeError(
            f"P7 needs commit {BASELINE} (the hand-written orders encoder) for its baseline: "
            f"{added.stderr.strip().splitlines()[-1:] or 'git worktree add failed'}; in a shallow clone run "
            "`git fetch --unshallow` first"
        )
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(path)], check=False)


def encode_rate(csv_path: Path, mode: str, pythonpath: str = "", schema: Path | None = None) -> dict[str, Any]:
    """One p7_encode process: its JSON line (rows_per_cpu_s, rows, rejected, worker)."""
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else dict(os.environ)
    command = [sys.executable, "-m", "offload.bench.p7_encode", mode, str(csv_path)]
    command += ["--schema", str(schema)] if schema else []
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"P7 {mode} encoder failed: {done.stderr.strip()[-2000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if found["rejected"]:
        raise RuntimeError(f"P7 {mode}: {found['rejected']:.0f} of the bench's rows were rejected")
    return found


def wide_rows(count: int, seed: int = 11) -> Iterator[list[str]]:
    """Rows for wide.yaml: every type, empty cells where it allows them, values that repeat as data does."""
    rng = random.Random(seed)
    first = datetime(2024, 1, 1)
    for n in range(count):
        moment = first + timedelta(seconds=rng.randrange(86400 * 365))
        yield [
            f"ev-{n:09d}", str(rng.randrange(1000)), f"user{rng.randrange(10**6)}", f"u{n}@example.com",
            rng.choice(("DE", "FR", "US", "GB", "JP")), rng.choice(("Berlin", "Paris", "Austin", "Leeds", "Osaka")),
            str(rng.randrange(18, 90)), f"{rng.uniform(-100, 100):.3f}", f"{rng.uniform(0, 10**6):.2f}",
            f"{rng.random():.4f}", moment.isoformat() + "Z", moment.strftime("%Y-%m-%d %H:%M:%S"),
            (date(1950, 1, 1) + timedelta(days=rng.randrange(20000))).strftime("%d.%m.%Y"),
            rng.choice(("true", "false")), rng.choice(("Y", "N")),
            "|".join(rng.sample(("red", "green", "blue", "new", "sale"), rng.randrange(0, 4))),
            "|".join(str(rng.randrange(30, 50)) for _ in range(rng.randrange(0, 3))),
            json.dumps({"plan": rng.choice(("a", "b")), "n": rng.randrange(100), "ok": True}),
            rng.choice(("", "aGVsbG8gd29ybGQ=")), rng.choice(("", "call back")), rng.choice(("", "ads")),
            rng.choice(("", "pro")), str(rng.randrange(10**4)), f"{rng.uniform(0, 5000):.2f}", rng.choice(("", "0.15")),
            (date(2024, 1, 1) + timedelta(days=rng.randrange(365))).isoformat(),
            rng.choice(("phone", "tablet", "desktop")), rng.choice(("ios", "android", "linux")),
            f"{rng.randrange(1, 9)}.{rng.randrange(20)}", str(rng.randrange(-5, 100)),
        ]  # fmt: skip


def wide_header() -> list[str]:
    from offload_worker.schema import load_schema

    return [c.name for c in load_schema(WIDE_SCHEMA.read_bytes(), str(WIDE_SCHEMA)).columns]


def write_csv(path: Path, header: list[str], rows: Iterator[list[str]]) -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8")


def measure_p7(settings: Settings, echo: Echo, repo: Path | None = None) -> dict[str, float]:
    repo = repo or repo_root()
    with tempfile.TemporaryDirectory(prefix="offload-p7-") as work:
        orders, wide = Path(work) / "orders.csv", Path(work) / "wide.csv"
        orders.write_text(sample_orders.text(settings.p7_rows), encoding="utf-8")
        write_csv(wide, wide_header(), wide_rows(settings.p7_rows))
        with baseline_worktree(repo, Path(work) / "baseline") as baseline:
            old_path = os.pathsep.join((str(baseline / "worker"), str(baseline / "contract")))
            old: list[float] = []
            new: list[float] = []
            for _ in range(ROUNDS):
                found = encode_rate(orders, "handwritten", old_path)
                if not str(found["worker"]).startswith(str(baseline)):
                    raise RuntimeError(f"P7's baseline imported {found['worker']}, not the worktree's worker")
                old.append(found["rows_per_cpu_s"])
                new.append(encode_rate(orders, "schema")["rows_per_cpu_s"])
        wide_rate = max(encode_rate(wide, "schema", schema=WIDE_SCHEMA)["rows_per_cpu_s"] for _ in range(ROUNDS))
    figures = {
        "p7_rows": float(settings.p7_rows),
        "p7_handwritten_rows_per_cpu_s": max(old),
        "p7_schema_rows_per_cpu_s": max(new),
        "p7_ratio": max(new) / max(old),
        "p7_wide_rows_per_cpu_s": wide_rate,
        "p7_wide_columns": float(len(wide_header())),
    }
    echo(
        f"P7: orders schema {figures['p7_schema_rows_per_cpu_s']:,.0f} rows/CPU-s = {figures['p7_ratio']:.2f} x "
        f"hand-written {figures['p7_handwritten_rows_per_cpu_s']:,.0f}; 30-column schema {wide_rate:,.0f} rows/CPU-s"
    )
    return figures


def table_rows(r: dict[str, float]) -> list[tuple[str, str, str]]:
    if "p7_ratio" not in r:
        return [("P7 orders schema", "not measured", "")]
    verdict = "meets" if r["p7_ratio"] >= RATIO_BOUND else "BELOW"
    return [
        (
            "P7 orders schema",
            f"{r['p7_schema_rows_per_cpu_s']:,.0f} rows/CPU-s",
            f"= {r['p7_ratio']:.2f} x hand-written {r['p7_handwritten_rows_per_cpu_s']:,.0f} ({verdict} {RATIO_BOUND})",
        ),
        (
            f"P7 {r['p7_wide_columns']:.0f}-column schema",
            f"{r['p7_wide_rows_per_cpu_s']:,.0f} rows/CPU-s",
            "the encoder on one core, mixed types",
        ),
    ]
