"""WORKER_PROCESSES: one file loaded by several processes is the same load as by one process."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.conftest import make_orders_stack
from tests.figures import say
from tests.functional.worker_run import BUCKET, get_text, items, job, keys, put, run_worker
from tests.orders_csv import HEADER, row

pytestmark = pytest.mark.functional
KEY = "incoming/awkward.csv"


def awkward_file(rows: int = 5000) -> bytes:
    """A BOM, CRLF endings, quoted newlines and quotes, a stray quote, a short row, blank lines,
    and keys repeated thousands of rows apart (so far apart that they are dealt in different batches)."""
    lines = [HEADER]
    for n in range(1, rows + 1):
        if n % 997 == 0:
            lines.append(row(n, Region='"Ontario\r\nnorth ""bay"""'))  # a quoted CRLF inside a field
        elif n % 1301 == 0:
            lines.append(row(n, Country='Can"ada"x'))  # quote inside an unquoted field: kept as text
        elif n % 1777 == 0:
            lines.append(row(n, Country='"Can"ada'))  # a stray quote: not valid CSV, rejected with its lines
        elif n % 1999 == 0:
            lines.append(row(n)[:-8])  # too few fields
        elif n % 1500 == 0:
            lines.append("")
        else:
            lines.append(row(n % 3000, TotalCost=f"{n}.00"))  # keys 1..1999 come again 3000 rows later
    return b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n"


def loaded(job_id: str) -> dict[str, Any]:
    record = job(job_id)
    rejects = get_text("rejected/awkward.csv.rejects.csv") if keys("rejected/") else ""
    counts = {k: record.get(k) for k in ("Status", "RowsTotal", "RowsLoaded", "RowsRejected", "RowsDuplicate")}
    return {"items": items(), "output": get_text("processed/awkward.csv"), "rejects": rejects, "counts": counts}


def forget_results() -> None:
    table = boto3.resource("dynamodb").Table("Order")
    with table.batch_writer() as batch:
        for order_id in items():
            batch.delete_item(Key={"OrderId": order_id})
    for key in keys("processed/") + keys("rejected/"):
        boto3.client("s3").delete_object(Bucket=BUCKET, Key=key)


def test_three_processes_load_exactly_what_one_does(aws: str) -> None:
    make_orders_stack()
    etag = put(KEY, awkward_file())
    one = run_worker(aws, KEY, etag, JOB_ID="one", WORKER_PROCESSES="1")
    assert one.code == 0, one.stderr
    single = loaded("one")
    forget_results()
    three = run_worker(aws, KEY, etag, JOB_ID="three", WORKER_PROCESSES="3")
    assert three.code == 0, three.stderr
    split = loaded("three")
    assert single["counts"]["RowsDuplicate"] > 1000 and single["counts"]["RowsRejected"] >= 4
    assert "not valid CSV" in single["rejects"] and single["items"]["2991"]["Region"] == 'Ontario\r\nnorth "bay"'
    for part in ("counts", "output", "rejects", "items"):
        assert split[part] == single[part], part
    assert split["items"]["5"]["TotalCost"] == 3005  # the later row of a repeated key wins
    say(f"worker processes 1 vs 3: rows={single['counts']['RowsTotal']} items={len(split['items'])} "
        f"duplicates={single['counts']['RowsDuplicate']} rejects={single['counts']['RowsRejected']} identical=True")
