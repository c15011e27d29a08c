"""A sharded job loads exactly what one task loads: items, rejects (true line numbers), output
bytes and counts, whatever order its shard tasks run in."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from offload_contract import job_id, jobs
from offload_contract.shards import plan
from offload_dispatch.ledger import Ledger
from offload_dispatch.s3_records import S3Object

from tests.conftest import make_orders_stack
from tests.figures import say
from tests.functional.test_worker_processes import awkward_file, forget_results, loaded
from tests.functional.worker_run import BUCKET, keys, put, run_worker, start_worker
from tests.orders_csv import row

pytestmark = pytest.mark.functional
KEY = "incoming/awkward.csv"
SHARDS = 3


def across_boundaries(rows: int = 4000, shards: int = SHARDS) -> bytes:
    """The awkward file with a long quoted multi-line field in every third row: most bytes sit
    inside a quoted field, so shard boundaries fall inside them."""
    lines = awkward_file(rows).split(b"\r\n")
    region = '"' + "north\r\n" * 30 + 'bay"'
    for n in range(3, len(lines), 3):
        if lines[n].count(b",") == 12 and b'"' not in lines[n]:
            fields = lines[n].decode().split(",")
            lines[n] = row(fields[6], Region=region, TotalCost=fields[11]).encode()
    body = b"\r\n".join(lines)
    for pad in range(3000):  # shift the cuts until each falls inside a quoted run of "north" lines
        padded = body.replace(b"item 7", b"item 7" + b" " * pad, 1)
        cuts = [len(padded) * i // shards for i in range(1, shards)]
        if all(padded[c - 20 : c + 20].count(b"north") >= 3 for c in cuts):
            return padded
    raise AssertionError("no padding puts every shard boundary inside a quoted field")


def claim_sharded(etag: str, size: int, shards: int = SHARDS) -> tuple[str, list[tuple[int, int]]]:
    """The job record the dispatcher makes for a file it shards."""
    jid = job_id(BUCKET, KEY, etag)
    ranges = plan(size, size // shards, shards)
    ledger = Ledger(boto3.resource("dynamodb").Table("jobs"), 30)
    ledger.claim(jid, S3Object(BUCKET, KEY, etag, None, "ObjectCreated:Put", size), ranges)
    return jid, ranges


def shard_env(jid: str, ranges: list[tuple[int, int]], index: int) -> dict[str, str]:
    start, end = ranges[index]
    return {"JOB_ID": jid, "SHARD_INDEX": str(index), "SHARD_COUNT": str(len(ranges)),
            "SHARD_RANGE": f"{start}-{end}", "WORKER_PROCESSES": "1"}


def run_shards(endpoint: str, etag: str, jid: str, ranges: list[tuple[int, int]], order: list[int]) -> None:
    """The shard tasks at once, started in `order` (a later shard waits for its boundary); each one's
    stopped event reaches the task-state function as it ends."""
    started = {i: start_worker(endpoint, KEY, etag, **shard_env(jid, ranges, i)) for i in order}
    for index, process in started.items():
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, f"shard {index}: {err}"


def test_shards_in_any_order_load_exactly_what_one_task_loads(aws: str) -> None:
    make_orders_stack()
    body = across_boundaries()
    etag = put(KEY, body)
    jid, ranges = claim_sharded(etag, len(body))
    run_shards(aws, etag, jid, ranges, order=[2, 1, 0])
    sharded, record = loaded(jid), boto3.resource("dynamodb").Table("jobs").get_item(Key={"JobId": jid})["Item"]
    assert keys("processed/.offload-shards/") == []  # staged parts removed once assembled
    forget_results()
    one = run_worker(aws, KEY, etag, JOB_ID="one", WORKER_PROCESSES="1")
    assert one.code == 0, one.stderr
    single = loaded("one")
    entries = [record[jobs.SHARDS][str(i)][jobs.SHARD_ENTRY] for i in range(1, SHARDS)]
    assert all(int(e[jobs.ENTRY_QUOTED]) >= 0 for e in entries), "each boundary falls inside a quoted field"
    assert single["counts"]["RowsDuplicate"] > 900 and "not valid CSV" in single["rejects"]
    for part in ("counts", "output", "rejects", "items"):
        assert sharded[part] == single[part], part
    assert sharded["items"]["5"]["TotalCost"] == 3005  # a key in shards 1 and 3: the later row wins
    assert set(record[jobs.SHARDS_DONE]) == {0, 1, 2} and record[jobs.STATUS] == jobs.SUCCEEDED
    say(f"shards {SHARDS} (run last-first) vs one task: rows={single['counts']['RowsTotal']} "
        f"duplicates={single['counts']['RowsDuplicate']} rejects={single['counts']['RowsRejected']} "
        f"boundaries inside a quoted field={sum(int(e[jobs.ENTRY_QUOTED]) >= 0 for e in entries)} identical=True")


def test_a_shard_whose_predecessor_never_runs_reads_the_boundary_itself(aws: str) -> None:
    make_orders_stack()
    body = across_boundaries()
    etag = put(KEY, body)
    jid, ranges = claim_sharded(etag, len(body))
    # Shard 3 alone: nobody hands it its boundary, so after SHARD_WAIT_SECONDS it reads shards 1-2 itself.
    last = run_worker(aws, KEY, etag, **shard_env(jid, ranges, 2), SHARD_WAIT_SECONDS="1")
    assert last.code == 0, last.stderr
    record: dict[str, Any] = boto3.resource("dynamodb").Table("jobs").get_item(Key={"JobId": jid})["Item"]
    assert record[jobs.STATUS] == jobs.RUNNING and set(record[jobs.SHARDS_DONE]) == {2}
    run_shards(aws, etag, jid, ranges, order=[0, 1])
    assert loaded(jid)["counts"]["Status"] == jobs.SUCCEEDED


def test_assembly_copies_large_parts_in_s3_and_reads_only_to_join_small_ones(aws: str) -> None:
    from offload_worker.shards.assemble import Assembly

    make_orders_stack()
    s3 = boto3.client("s3")
    sizes = [12 << 20, 1000, 7 << 20, 0, (5 << 20) + 10, 300]
    parts = []
    for n, size in enumerate(sizes):
        body = bytes([65 + n]) * size
        s3.put_object(Bucket=BUCKET, Key=f"parts/{n}", Body=body)
        parts.append(body)
    assembly = Assembly(s3, BUCKET, "processed/whole.csv")
    assembly.add_bytes(b"header\n")
    for n, size in enumerate(sizes):
        assembly.add_object(f"parts/{n}", size)
    assembly.commit()
    whole = s3.get_object(Bucket=BUCKET, Key="processed/whole.csv")["Body"].read()
    assert whole == b"header\n" + b"".join(parts)
    # Copied: 12 MiB less what topped the header up to a part, and the part after the empty one.
    # Read: that top-up, the small parts, and a 7 MiB part too short to leave a copyable rest after one.
    assert assembly.copied == (7 << 20) + 7 + (5 << 20) + 10
    assert assembly.read == (5 << 20) - 7 + 1000 + (7 << 20) + 300
    say(f"assembly of {len(sizes)} parts ({len(whole):,} bytes): copied in S3 {assembly.copied:,}, "
        f"read to join small pieces {assembly.read:,}")
