"""The last shard to finish turns the shards' staged parts into the job's results.

It settles keys that several shards loaded (the row in the last of them is written again,
after every shard's writes: the later row wins, as in one task) and assembles the output and
the rejects report from the staged parts in shard order (rejects first, the output last: the
output object still marks a finished file). The staged parts are removed only once the shard
has reported the assembled results: a shard killed before that is rerun and assembles them again.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from offload_contract import jobs

from offload_worker.batch_writer import BatchWriter
from offload_worker.errors import RowRejected
from offload_worker.formats.reader import Reader
from offload_worker.job_schema import FileLoad
from offload_worker.load import Loader
from offload_worker.results import REJECTS_HEADER, Result
from offload_worker.run import empty_note, ignored_note
from offload_worker.settings import Settings
from offload_worker.shards.assemble import Assembly
from offload_worker.shards.keys import StagedKeys, settle
from offload_worker.shards.record import ShardLedger, entry_of
from offload_worker.source import S3Source


def finalize(settings: Settings, s3: Any, dynamodb: Any, ledger: ShardLedger, reader: Reader, plan: FileLoad) -> Result:
    etag = plan.etag
    job = ledger.job()
    shards = [job[jobs.SHARDS][str(i)] for i in range(ledger.count)]
    part = settings.layout.shard_part_key
    staged = [
        StagedKeys(s3.get_object(Bucket=settings.bucket, Key=part(ledger.job_id, i, "keys"))["Body"], i)
        for i in range(ledger.count)
    ]
    distinct, winners = settle(staged)
    writer = BatchWriter(dynamodb, settings.table, settings.write_concurrency, settings.write_deadline_seconds)
    loader = Loader(plan.encoder, plan.schema.duplicates, writer, lambda *_: None, lambda *_: None)
    try:
        for shard, lines in winners.items():
            for line, record in _rows_at(settings, s3, reader, etag, shards[shard], lines):
                writer.put(*loader.item(line, record))
        writes = writer.close()
    except BaseException:
        writer.abort()
        raise
    result = _totals(settings, job, shards, distinct, etag)
    result.throttled_ms = max(result.throttled_ms, int(writes.throttled_seconds * 1000))
    if result.rows_rejected:
        head = ",".join(REJECTS_HEADER)
        result.rejects_etag = _assemble(s3, settings.bucket, result.rejects_key, head, part, ledger, "rejects", shards)
    else:
        s3.delete_object(Bucket=settings.bucket, Key=settings.layout.rejects_key(settings.key))
        result.rejects_key = ""
    # Shard 1 wrote the header.
    result.output_etag = _assemble(s3, settings.bucket, result.output_key, "", part, ledger, "output", shards)
    result.notes.extend(ignored_note(plan))
    if result.rows_total == 0:
        result.notes.append(empty_note(plan))
    return result


def remove_parts(settings: Settings, s3: Any, ledger: ShardLedger) -> None:
    """The staged parts, once the assembled results are reported (until then a rerun may assemble again)."""
    for i in range(ledger.count):
        for kind in ("output", "rejects", "keys"):
            with contextlib.suppress(Exception):  # a leftover is removed by the bucket's lifecycle rule
                s3.delete_object(Bucket=settings.bucket, Key=settings.layout.shard_part_key(ledger.job_id, i, kind))


def _assemble(
    s3: Any, bucket: str, key: str, head: str, part: Any, ledger: ShardLedger, kind: str, shards: list[Any]
) -> str:
    """The assembled object's ETag."""
    sizes = jobs.OUTPUT_BYTES if kind == "output" else jobs.REJECTS_BYTES
    assembly = Assembly(s3, bucket, key)
    try:
        if head:
            assembly.add_bytes((head + "\n").encode())
        for i, shard in enumerate(shards):
            if int(shard.get(sizes, 0)):
                assembly.add_object(part(ledger.job_id, i, kind), int(shard[sizes]))
        return assembly.commit()
    except BaseException:
        assembly.abort()
        raise


def _rows_at(
    settings: Settings, s3: Any, reader: Reader, etag: str, shard: dict[str, Any], lines: list[int]
) -> Iterator[tuple[int, Any]]:
    """The fields of the rows that start on `lines` (sorted) in one shard: its range read again up to
    the last of them (only a file whose keys repeat across shards is read twice, that far)."""
    entry = entry_of(shard)
    assert entry is not None  # the shard loaded, so it had its boundary
    source = S3Source(s3, settings.bucket, settings.key, etag, start=entry.offset)
    try:
        wanted = iter(lines)
        target = next(wanted)
        for row_line, fields in reader.rows_at(source, entry):
            if row_line == target and not isinstance(fields, RowRejected):
                yield row_line, fields
                target = next(wanted, -1)
                if target < 0:
                    return
    finally:
        source.close()


def _totals(settings: Settings, job: dict[str, Any], shards: list[Any], distinct: int, etag: str) -> Result:
    def total(name: str) -> int:
        return sum(int(s.get(name, 0)) for s in shards)

    started = int(job.get(jobs.STARTED_AT, jobs.now()))
    result = Result(
        etag=etag,
        rows_total=total(jobs.ROWS_TOTAL),
        rows_loaded=total(jobs.ROWS_LOADED),
        rows_rejected=total(jobs.ROWS_REJECTED),
        output_key=settings.layout.output_key(settings.key),
        rejects_key=settings.layout.rejects_key(settings.key),
        duration_ms=max(0, int((time.time() - started) * 1000)),
        throttled_ms=max((int(s.get(jobs.THROTTLED_MS, 0)) for s in shards), default=0),
    )
    result.rows_duplicate = result.rows_loaded - distinct
    return result
