"""Bench P7's parts (not its timing): the wide schema's rows, the measuring loop, the baseline, the table."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
from offload.bench import p7, p7_encode
from offload.samples import generate as sample_orders


def test_wide_rows_all_load_under_the_30_column_schema(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    p7.write_csv(path, p7.wide_header(), p7.wide_rows(300))
    with path.open(newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))
    assert len(header) == 30 and len(rows) == 300
    rate, rejected = p7_encode.rows_per_cpu_second(lambda: p7_encode.compiled(header, str(p7.WIDE_SCHEMA)), rows, 1)
    assert rejected == 0 and rate > 0
    encode, _rejected_type = p7_encode.compiled(header, str(p7.WIDE_SCHEMA))
    _key, item, _out = encode(rows[0])
    assert '"attrs":{"M":' in item and '"verified":{"BOOL":' in item


def test_orders_rows_load_under_the_builtin_schema() -> None:
    header, *rows = list(csv.reader(sample_orders.text(200).splitlines()))
    assert p7_encode.rows_per_cpu_second(lambda: p7_encode.compiled(header, None), rows, repeats=2)[1] == 0


def test_measuring_loop_counts_rejected_rows_with_a_fresh_encoder_each_pass() -> None:
    made: list[int] = []

    def encode(fields: list[str]) -> None:
        if fields[0] == "bad":
            raise ValueError(fields[0])

    def make() -> tuple[p7_encode.Encode, type[Exception]]:
        made.append(1)
        return encode, ValueError

    rate, rejected = p7_encode.rows_per_cpu_second(make, [["ok"], ["bad"], ["ok"]], repeats=2)
    assert rejected == 1 and rate > 0 and len(made) == 2


def test_missing_baseline_commit_is_a_clear_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    missing = pytest.raises(RuntimeError, match=r"P7 needs commit 5254b8b .* `git fetch --unshallow`")
    with missing, p7.baseline_worktree(repo, tmp_path / "baseline"):
        pass


@pytest.mark.parametrize("ratio, verdict", [(1.02, "meets 0.9"), (0.85, "BELOW 0.9")])
def test_table_says_whether_the_ratio_meets_its_bound(ratio: float, verdict: str) -> None:
    figures = {"p7_ratio": ratio, "p7_schema_rows_per_cpu_s": 200_000 * ratio, "p7_handwritten_rows_per_cpu_s": 200_000,
               "p7_wide_rows_per_cpu_s": 25_000, "p7_wide_columns": 30}
    (name, _rate, note), (wide, wide_rate, _note) = p7.table_rows(figures)
    assert name == "P7 orders schema" and note.endswith(f"hand-written 200,000 ({verdict})")
    assert wide == "P7 30-column schema" and wide_rate == "25,000 rows/CPU-s"
    assert p7.table_rows({}) == [("P7 orders schema", "not measured", "")]
