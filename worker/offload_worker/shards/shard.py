"""One shard task: load the rows that start in its byte range, stage its parts, and, if it is the
last to finish, assemble the job's results (finalize)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from aws_lambda_powertools import Logger
from offload_contract import jobs
from offload_contract.shards import plan

from offload_worker.errors import FileRejected
from offload_worker.orders import Header
from offload_worker.progress import Progress
from offload_worker.run import OUTPUT_HEADER, Rejects, Result, load_rows
from offload_worker.s3_writer import S3Writer
from offload_worker.settings import Settings
from offload_worker.shards.boundary import Entry, advance, byte_lines, line_start
from offload_worker.shards.finalize import finalize
from offload_worker.shards.keys import KeyRuns
from offload_worker.shards.record import ShardLedger, entry_of
from offload_worker.shards.spool import Spool
from offload_worker.source import S3Source, read_rows, rows_from

logger = Logger(service="offload-worker", child=True)


def process_shard(settings: Settings, s3: Any, dynamodb: Any, ledger: ShardLedger) -> Result:
    assert settings.shard is not None
    index, count, start, end = settings.shard
    problem = settings.layout.path_problem(settings.key)
    if problem:
        raise FileRejected(problem)
    head = S3Source(s3, settings.bucket, settings.key, settings.etag)
    try:
        ledger.running(settings.bucket, settings.key, head.etag)
        names, _rows = read_rows(head)  # every shard checks the header: a bad file fails before any row
        etag, size = head.etag, head.size
    finally:
        head.close()
    header = Header.parse(names)
    ranges = plan(size, 1, count) if count > 1 else [(0, size)]
    if (start, end) != ranges[index]:
        raise FileRejected(f"shard range {start}-{end} is not shard {index + 1} of {count} of a {size}-byte object")
    spool = Spool(s3, settings.bucket, settings.key, etag, start, end)
    try:
        entry = _entry(settings, s3, etag, ledger, ranges, size)
        following, checkpoints = advance(byte_lines(spool.chunks(entry.offset, spool.stop)), entry)
        if index + 1 < count:
            ledger.publish(index + 1, following)  # before loading: the next shard need not wait for our rows
        result = _load(settings, s3, dynamodb, ledger, header, names, etag, spool, entry, following, checkpoints)
    finally:
        spool.remove()
    result.size_bytes, result.resumes = size, spool.resumes
    return result


def _load(
    settings: Settings,
    s3: Any,
    dynamodb: Any,
    ledger: ShardLedger,
    header: Header,
    names: list[str],
    etag: str,
    spool: Spool,
    entry: Entry,
    following: Entry,
    checkpoints: list[tuple[int, int]],
) -> Result:
    index, count = ledger.index, ledger.count
    stream = spool.stream(entry.offset)
    rows = read_rows(stream)[1] if entry.offset == 0 else rows_from(stream, entry.offset, entry.line, entry.prefix())
    if index + 1 < count:  # rows that start in the next shard are its own
        rows = itertools.takewhile(lambda row: row[0] < following.line, rows)
    progress = Progress(
        ledger.progress,
        lambda: stream.position - entry.offset,
        max(1, following.offset - entry.offset),
        settings.progress_seconds,
        lambda error: logger.warning("progress not recorded", extra={"error": str(error)}),
    )
    part = settings.layout.shard_part_key
    output = S3Writer(s3, settings.bucket, part(ledger.job_id, index, "output"))
    if index == 0:  # the header heads the first part: no small piece to join before it
        output.write(",".join(OUTPUT_HEADER) + "\n")
    rejects = Rejects(s3, settings.bucket, part(ledger.job_id, index, "rejects"), header=False)
    keys = KeyRuns()
    try:
        with progress:
            counts = load_rows(
                settings, dynamodb, names, header, etag, progress.counted(rows), output, rejects, keys.add
            )
        output.commit()
        rejects.commit()
        keys.stage(s3, settings.bucket, part(ledger.job_id, index, "keys"), checkpoints)
    except BaseException:
        output.abort()
        rejects.abort()
        raise
    finally:
        stream.close()
    throttled = int((counts.writes.throttled_seconds if counts.writes else 0) * 1000)
    done = ledger.done(
        {
            jobs.STATUS: jobs.SUCCEEDED,
            jobs.ROWS_TOTAL: counts.rows,
            jobs.ROWS_LOADED: counts.loaded,
            jobs.ROWS_REJECTED: rejects.count,
            jobs.ROWS_READ: counts.rows,
            jobs.BYTES_READ: following.offset - entry.offset,
            jobs.OUTPUT_BYTES: output.bytes,
            jobs.REJECTS_BYTES: rejects.bytes,
            jobs.THROTTLED_MS: throttled,
            jobs.FINISHED_AT: jobs.now(),
        }
    )
    logger.info("shard loaded", extra={"shard": index, "shards_done": done, "rows": counts.rows})
    if done < count:
        return Result(etag=etag, rows_total=counts.rows, rows_loaded=counts.loaded, rows_rejected=rejects.count)
    result = finalize(settings, s3, dynamodb, ledger, header, etag)
    ledger.succeeded(result.job_fields())
    return result


def _entry(
    settings: Settings, s3: Any, etag: str, ledger: ShardLedger, ranges: list[tuple[int, int]], size: int
) -> Entry:
    """This shard's boundary: published by the shard before it; if none comes for a while (it
    is not running, e.g. no room for it yet), worked out here from the last one published."""
    index = ledger.index
    waited_since, known = time.monotonic(), 0
    while True:
        job = ledger.job()
        shards = job.get(jobs.SHARDS, {})
        latest = max((i for i in range(index + 1) if i == 0 or entry_of(shards.get(str(i), {}))), default=0)
        if latest == index:
            return ledger.entry(index) or Entry(0, 1)
        if latest > known:
            waited_since, known = time.monotonic(), latest
        if time.monotonic() - waited_since >= settings.shard_wait_seconds:
            break
        time.sleep(0.5)
    entry = ledger.entry(known) or Entry(0, 1)
    logger.warning("boundary not handed on: reading the shards before", extra={"from_shard": known})
    for j in range(known, index):
        stop = _line_start_after(settings, s3, etag, ranges[j][1], size)
        source = S3Source(s3, settings.bucket, settings.key, etag, start=entry.offset)
        try:
            entry, _ = advance(byte_lines(_limited(source, stop - entry.offset)), entry)
        finally:
            source.close()
        ledger.publish(j + 1, entry)
    return entry


def _limited(source: S3Source, size: int) -> Any:
    while size > 0 and (chunk := source.read(min(1 << 20, size))):
        size -= len(chunk)
        yield chunk


def _line_start_after(settings: Settings, s3: Any, etag: str, position: int, size: int) -> int:
    source = S3Source(s3, settings.bucket, settings.key, etag, start=position - 1)
    try:
        data = b""
        while True:
            chunk = source.read(1 << 16)
            data += chunk
            found = line_start(data, position - 1, position, size)
            if found is not None or not chunk:
                return found if found is not None else size
    finally:
        source.close()
