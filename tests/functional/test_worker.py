"""The worker against a moto server over HTTP, run as `python -m offload_worker`."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from offload_contract import confirmation_id, job_id

from tests.conftest import make_orders_stack
from tests.figures import say
from tests.functional.worker_run import BUCKET, get_text, items, job, keys, put, run_worker
from tests.orders_csv import HEADER, csv_text, many, row

pytestmark = pytest.mark.functional


@pytest.fixture
def stack(aws: str) -> str:
    make_orders_stack()
    return aws


def test_workshop_sample_loads_every_row(stack: str, workshop_csv) -> None:
    source_rows = list(csv.DictReader(workshop_csv.open(encoding="utf-8")))
    etag = put("incoming/workshop-test.csv", workshop_csv.read_bytes())
    result = run_worker(stack, "incoming/workshop-test.csv", etag)
    assert result.code == 0, result.stderr
    loaded = items()
    say(f"workshop sample: items={len(loaded)}/{len(source_rows)}")
    assert len(source_rows) == 200 and len(loaded) == 200
    output = list(csv.reader(io.StringIO(get_text("processed/workshop-test.csv"))))
    assert output[0] == ["OrderId", "ConfirmationId"]
    assert [r[0] for r in output[1:]] == [r["OrderId"] for r in source_rows]  # input order, none lost
    assert all(loaded[oid]["ConfirmationId"] == cid for oid, cid in output[1:])


def test_items_are_typed_and_the_job_is_recorded(stack: str) -> None:
    etag = put("incoming/2026/batch 1.csv", csv_text([row("A-1", UnitPrice="320.78", OrderDate="4/28/2021")]))
    result = run_worker(stack, "incoming/2026/batch 1.csv", etag, JOB_ID="job-1")
    assert result.code == 0, result.stderr
    item = items()["A-1"]
    assert item["UnitPrice"] == Decimal("320.78") and item["UnitSold"] == 12
    assert item["OrderDate"] == "2021-04-28"
    assert item["SourceKey"] == "incoming/2026/batch 1.csv"
    assert item["ConfirmationId"] == confirmation_id(BUCKET, "incoming/2026/batch 1.csv", etag, "A-1")
    record = job("job-1")
    assert record["Status"] == "SUCCEEDED"
    assert (record["RowsTotal"], record["RowsLoaded"], record["RowsRejected"]) == (1, 1, 0)
    assert record["OutputKey"] == "processed/2026/batch 1.csv" and record["ETag"] == etag
    assert keys("rejected/") == []


def test_bad_rows_are_rejected_and_the_rest_load(stack: str) -> None:
    body = csv_text([row(1), row(2, UnitPrice="abc"), row(3, OrderDate="2/30/2021"), row("  "), row(5)])
    etag = put("incoming/mixed.csv", body)
    result = run_worker(stack, "incoming/mixed.csv", etag)
    assert result.code == 0, result.stderr
    assert sorted(items()) == ["1", "5"]
    report = list(csv.DictReader(io.StringIO(get_text("rejected/mixed.csv.rejects.csv"))))
    assert [(r["line"], r["reason"]) for r in report] == [
        ("3", "UnitPrice 'abc' is not a plain decimal number"),
        ("4", "OrderDate '2/30/2021' is not a real date"),
        ("5", "OrderId is empty"),
    ]
    assert report[0]["raw"].split(",")[6] == "2"
    record = job(job_id(BUCKET, "incoming/mixed.csv", etag))
    assert (record["RowsLoaded"], record["RowsRejected"]) == (2, 3)


def test_duplicate_order_id_later_row_wins_and_is_counted(stack: str) -> None:
    body = csv_text([*many(60), row(7, Region="Later"), row(30, Region="Later")])
    etag = put("incoming/dups.csv", body)
    assert run_worker(stack, "incoming/dups.csv", etag).code == 0
    loaded = items()
    assert len(loaded) == 60 and loaded["7"]["Region"] == "Later" and loaded["30"]["Region"] == "Later"
    record = job(job_id(BUCKET, "incoming/dups.csv", etag))
    assert (record["RowsTotal"], record["RowsLoaded"], record["RowsDuplicate"]) == (62, 62, 2)


def test_rerun_writes_identical_items_and_output(stack: str) -> None:
    etag = put("incoming/again.csv", csv_text(many(80)))
    assert run_worker(stack, "incoming/again.csv", etag).code == 0
    first_items, first_output = items(), get_text("processed/again.csv")
    assert run_worker(stack, "incoming/again.csv", etag).code == 0
    assert items() == first_items and get_text("processed/again.csv") == first_output


@pytest.mark.parametrize("body, message", [
    (b"", "file is empty (0 bytes)"),
    ("OrderId,Region\n1,x\n", "header is missing required column(s)"),
    (b"\x1f\x8b\x08\x00gz", "gzip-compressed"),
    (HEADER.replace("Region", "R\xe9gion").encode("latin-1") + b"\n", "header is not UTF-8 text"),
])
def test_file_level_failures_exit_1_with_one_line_and_no_output(stack: str, body: bytes | str, message: str) -> None:
    etag = put("incoming/bad.csv", body)
    result = run_worker(stack, "incoming/bad.csv", etag)
    assert result.code == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert keys("processed/") == []
    assert message in get_text("rejected/bad.csv.rejects.csv")
    record = job(job_id(BUCKET, "incoming/bad.csv", etag))
    assert record["Status"] == "FAILED" and message in record["Reason"] and record["ExitCode"] == 1


def test_header_only_is_a_success_with_zero_rows(stack: str) -> None:
    etag = put("incoming/empty.csv", HEADER + "\r\n")
    result = run_worker(stack, "incoming/empty.csv", etag)
    assert result.code == 0, result.stderr
    assert get_text("processed/empty.csv") == "OrderId,ConfirmationId\n"
    assert job(job_id(BUCKET, "incoming/empty.csv", etag))["RowsTotal"] == 0


def test_missing_object_and_changed_etag_are_file_failures(stack: str) -> None:
    missing = run_worker(stack, "incoming/nope.csv", '"0123"')
    assert missing.code == 1 and "does not exist" in missing.stderr
    put("incoming/moved.csv", csv_text(many(3)))
    changed = run_worker(stack, "incoming/moved.csv", '"not-the-etag"')
    assert changed.code == 1 and "changed since the event" in changed.stderr
    assert items() == {}


def test_missing_settings_exit_2(stack: str) -> None:
    result = run_worker(stack, "", None)
    assert result.code == 2 and "S3_KEY is not set" in result.stderr


def test_large_results_go_up_as_one_multipart_object_only_on_commit(stack: str) -> None:
    import boto3
    from offload_worker.s3_writer import PART_BYTES, S3Writer

    s3 = boto3.client("s3")
    writer = S3Writer(s3, BUCKET, "processed/big.csv")
    line = "x" * 99 + "\n"
    for _ in range(PART_BYTES * 2 // len(line) + 10):
        writer.write(line)
    assert keys("processed/") == []  # parts are invisible until the upload completes
    writer.commit()
    head = s3.head_object(Bucket=BUCKET, Key="processed/big.csv")
    assert head["ContentLength"] == writer.bytes and "-3" in head["ETag"]  # three parts


def test_aborted_writer_leaves_nothing(stack: str) -> None:
    import boto3
    from offload_worker.s3_writer import PART_BYTES, S3Writer

    s3 = boto3.client("s3")
    writer = S3Writer(s3, BUCKET, "processed/half.csv")
    writer.write("y" * (PART_BYTES + 1))
    writer.abort()
    assert keys("processed/") == []
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
