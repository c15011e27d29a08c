"""`offload schema check S`: a summary for a good schema; one line and exit 2 for one that cannot be used."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from offload.commands import cli

from tests.conftest import REPO


def test_good_schema_prints_its_summary() -> None:
    result = CliRunner().invoke(cli, ["schema", "check", str(REPO / "schemas" / "shop-events.yaml")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("shop-events.yaml: OK, schema 'shop-events'")
    assert lines[1].startswith("  digest   sha256:") and len(lines[1].split(":")[1]) == 64
    assert "  file     jsonl; gzip or plain" in result.output
    assert "  keys     PK (S, partition), SK (N, sort)" in result.output
    assert "customer_id as CustomerId: string" in result.output
    assert "duplicates last; output PK,SK,EventId" in result.output


def test_builtin_orders_schema_is_good() -> None:
    result = CliRunner().invoke(cli, ["schema", "check", str(REPO / "worker/offload_worker/schemas/orders.yaml")])
    assert result.exit_code == 0 and "  keys     OrderId (S, partition)" in result.output


def test_bad_schema_is_one_line_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("schema: 1\nfile: {format: csv}\ntable:\n  partition_key: {attribute: id, type: S, value: idd}\n"
                    "columns: [{name: id, type: string}]\n")
    result = CliRunner().invoke(cli, ["schema", "check", str(path)])
    assert result.exit_code == 2
    assert result.output == (f"offload schema check: {path}:4: table.partition_key.value: "
                             "names no column 'idd': the columns are id\n")


def test_missing_schema_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["schema", "check", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "none.yaml: cannot be read" in result.output
