"""`offload validate`: a file through its schema locally, with no AWS client at all."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from offload.commands import cli

from tests.orders_csv import HEADER, row

SCHEMAS = Path(__file__).resolve().parents[1] / "functional" / "schemas"


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("offload validate created an AWS client")

    for name in ("client", "resource", "Session"):
        monkeypatch.setattr(boto3, name, refuse)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_gzipped_json_lines_with_a_type_error_exit_1_and_the_report_is_written(tmp_path: Path) -> None:
    lines = [json.dumps({"device": "d1", "seq": n, "reading": 1.5}) for n in range(1, 4)]
    lines.insert(1, '{"device": "d1", "seq": "two"}')
    data = tmp_path / "day.jsonl.gz"
    data.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    report = tmp_path / "rejects.csv"
    code, out, _err = run("--schema", str(SCHEMAS / "events.yaml"), str(data), "--rejects", str(report))
    assert code == 1, out
    assert "4 rows, 3 valid, 1 rejected" in out and "line 2: seq" in out
    written = report.read_text().splitlines()
    assert written[0] == "line,reason,raw" and written[1].startswith("2,")


def test_every_row_valid_exits_0_and_writes_no_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "feb.csv"
    data.write_bytes("\ufeffsensor;taken;celsius;ok\r\ns1;01.02.2024;-3.5;ja\r\n".encode())
    code, out, _err = run("--schema", str(SCHEMAS / "readings.yaml"), str(data))
    assert code == 0 and "1 rows, 1 valid, 0 rejected" in out, out
    assert not (tmp_path / "feb.csv.rejects.csv").exists()


def test_the_orders_schema_names_a_negative_unit_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import resources

    monkeypatch.chdir(tmp_path)
    schema = tmp_path / "orders.yaml"
    schema.write_bytes(resources.files("offload_worker.schemas").joinpath("orders.yaml").read_bytes())
    data = tmp_path / "orders.csv"
    data.write_text("\n".join([HEADER, row(1), row(2, UnitSold="-1"), row(1)]) + "\n")
    code, out, _err = run("--schema", str(schema), str(data))
    assert code == 1 and "3 rows, 2 valid, 1 rejected, 1 duplicate" in out, out
    assert "line 3: UnitSold '-1' must not be negative" in out
    assert (tmp_path / "orders.csv.rejects.csv").read_text().startswith("line,reason,raw\n3,")


@pytest.mark.parametrize(
    ("schema_text", "body", "message"),
    [
        ("schema: 2\n", b"x\n", "schema"),
        (None, b"", "no header line"),
        (None, b"sensor,taken\n", "header is separated by ',', not semicolons"),
    ],
)
def test_an_unreadable_schema_or_file_exits_2(
    tmp_path: Path, schema_text: str | None, body: bytes, message: str
) -> None:
    schema = SCHEMAS / "readings.yaml"
    if schema_text is not None:
        schema = tmp_path / "bad.yaml"
        schema.write_text(schema_text)
    data = tmp_path / "in.csv"
    data.write_bytes(body)
    code, _out, err = run("--schema", str(schema), str(data))
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, _out, err = run("--schema", str(SCHEMAS / "readings.yaml"), str(tmp_path / "nope.csv"))
    assert code == 2 and "nope.csv" in err


@pytest.mark.parametrize(
    ("policy", "valid", "rejected", "first"),
    [
        ("first", 2, 0, None),
        ("reject", 2, 2, "line 4: duplicate of line 2"),
    ],
)
def test_the_duplicates_policy_keeps_the_first_or_rejects_the_repeats(
    tmp_path: Path, policy: str, valid: int, rejected: int, first: str | None
) -> None:
    schema = tmp_path / "readings.yaml"
    schema.write_text((SCHEMAS / "readings.yaml").read_text() + f"duplicates: {policy}\n")
    data = tmp_path / "feb.csv"
    data.write_text(
        "sensor;taken;celsius;ok\ns1;01.02.2024;1;ja\ns2;01.02.2024;2;ja\ns1;02.02.2024;3;ja\ns1;x;4;ja\n"
        "s1;03.02.2024;5;ja\n"
    )
    code, out, _err = run("--schema", str(schema), str(data), "--rejects", str(tmp_path / "r.csv"))
    assert f"5 rows, {valid} valid, {rejected + 1} rejected" in out, out  # line 5: not a date, whatever the policy
    assert code == 1 and (first is None or first in out)
    if policy == "reject":
        assert "line 6: duplicate of line 2" in out
        assert "3 rejected (2 of them duplicate keys)" in out and "duplicate key(s)" not in out, out


def test_a_clean_run_removes_the_rejects_report_of_an_older_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "feb.csv"
    stale = tmp_path / "feb.csv.rejects.csv"
    stale.write_text("line,reason,raw\n2,celsius 'x' is not a plain decimal number,\n")
    data.write_bytes("\ufeffsensor;taken;celsius;ok\r\ns1;01.02.2024;-3.5;ja\r\n".encode())
    code, out, _err = run("--schema", str(SCHEMAS / "readings.yaml"), str(data))
    assert code == 0 and "1 rows, 1 valid, 0 rejected" in out, out
    assert not stale.exists()
