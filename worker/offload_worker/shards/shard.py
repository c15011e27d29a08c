"""One shard task: load the rows that start in its byte range, stage its parts, and, if it is the
last to finish, assemble the job's results (finalize)."""

from __future__ import annotations

import io
import itertools
import time
from typing import Any

from aws_lambda_powertools import Logger
from offload_contract import jobs
from offload_contract.shards import plan

from offload_worker.errors import ConfigError, FileRejected, WorkerError
from offload_worker.formats.compression import is_gzip
from offload_worker.formats.reader import Reader
from offload_worker.job_schema import FileLoad, SchemaFile
from offload_worker.load import report_line
from offload_worker.progress import Progress
from offload_worker.results import Rejects, Result
from offload_worker.run import compiled, load_rows
from offload_worker.s3_writer import S3Writer
from offload_worker.schema import Schema
from offload_worker.settings import Settings
from offload_worker.shards.boundary import FILE_START, Entry, byte_lines, follow, line_start
from offload_worker.shards.finalize import finalize, remove_parts
from offload_worker.shards.keys import KeyRuns
from offload_worker.shards.record import ShardLedger
from offload_worker.shards.spool import Spool
from offload_worker.source import S3Source
from offload_worker.stop import SIGNALS

logger = Logger(service="offload-worker", child=True)


def process_shard(
    settings: Settings, s3: Any, dynamodb: Any, ledger: ShardLedger, schema: tuple[SchemaFile, Schema]
) -> Result:
    assert settings.shard is not None
    index, count, start, end = settings.shard
    problem = settings.layout.path_problem(settings.key)
    if problem:
        raise FileRejected(problem)
    if schema[1].duplicates != "last":  # the dispatcher runs such a file as one task
        raise ConfigError(
            f"schema {schema[1].name} keeps the {schema[1].duplicates} row of a repeated key, which only one task "
            "can know: a sharded job keeps the last; load the file as one task (without SHARD_*)"
        )
    reader = Reader(schema[1].file)
    head = S3Source(s3, settings.bucket, settings.key, settings.etag)
    try:
        ledger.running(settings.bucket, settings.key, head.etag, (settings.processes, settings.processes_reason))
        start_bytes = io.BufferedReader(head, 1 << 16)
        if is_gzip(start_bytes.peek(2)):
            raise FileRejected(
                "file is gzip-compressed: its bytes cannot be cut into shards; the dispatcher runs a gzip file "
                "as one task, so load it without SHARD_* (`offload rerun` it)"
            )
        names, _rows = reader.open(start_bytes)  # every shard checks the header: a bad file fails before any row
        etag, size = head.etag, head.size
    finally:
        head.close()
    file_load = compiled(settings, schema, names, etag)
    ranges = plan(size, 1, count) if count > 1 else [(0, size)]
    if (start, end) != ranges[index]:
        raise FileRejected(f"shard range {start}-{end} is not shard {index + 1} of {count} of a {size}-byte object")
    began = time.monotonic()
    spool = Spool(s3, settings.bucket, settings.key, etag, start, end)
    try:
        first = spool.line_start_at(start)
        summary = reader.summarize(lambda: spool.chunks(first, spool.stop), first, spool.stop)
        ledger.publish_summary(summary)  # at once with the others: no shard waits for another to parse
        summarized = time.monotonic()
        entry = _entry(settings, s3, reader, etag, ledger, ranges, size)
        if entry.offset != first:
            raise WorkerError(f"shard {index + 1}/{count}: the shards before end at byte {entry.offset}, not {first}")
        ledger.publish_entry(entry)
        following = follow(entry, summary) or reader.advance(byte_lines(spool.chunks(first, spool.stop)), entry)
        phases = {"parse_s": summarized - began, "boundary_s": time.monotonic() - summarized}
        logger.info("boundary found", extra={"line": entry.line, **{k: round(v, 2) for k, v in phases.items()}})
        result = _load(settings, s3, dynamodb, ledger, reader, file_load, spool, entry, following)
    finally:
        spool.remove()
    result.size_bytes, result.resumes = size, spool.resumes
    return result


def _load(
    settings: Settings,
    s3: Any,
    dynamodb: Any,
    ledger: ShardLedger,
    reader: Reader,
    plan: FileLoad,
    spool: Spool,
    entry: Entry,
    following: Entry,
) -> Result:
    index, count = ledger.index, ledger.count
    stream = spool.stream(entry.offset)
    rows = reader.rows_at(stream, entry)
    if index + 1 < count:  # rows that start in the next shard are its own
        rows = itertools.takewhile(lambda row: row[0] < following.line, rows)
    progress = Progress(
        ledger.progress,
        lambda: stream.position - entry.offset,
        max(1, following.offset - entry.offset),
        settings.progress_seconds,
        lambda error: logger.warning("progress not recorded", extra={"error": str(error)}),
    )
    part, span = settings.layout.shard_part_key, following.offset - entry.offset  # span: the parts' size
    output = S3Writer(s3, settings.bucket, part(ledger.job_id, index, "output"), expected_bytes=span)
    if index == 0:  # the header heads the first part: no small piece to join before it
        output.write(report_line(plan.schema.output_columns))
    rejects = Rejects(s3, settings.bucket, part(ledger.job_id, index, "rejects"), header=False, expected_bytes=span)
    keys = KeyRuns()
    try:
        with progress:
            counts = load_rows(settings, dynamodb, plan, progress.counted(rows), output, rejects, keys.add)
        SIGNALS.finishing()  # every row is written: a stop now waits for the parts and the assembly
        output.commit()
        rejects.commit()
        keys.stage(s3, settings.bucket, part(ledger.job_id, index, "keys"))
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
        return Result(etag=plan.etag, rows_total=counts.rows, rows_loaded=counts.loaded, rows_rejected=rejects.count)
    began = time.monotonic()
    result = finalize(settings, s3, dynamodb, ledger, reader, plan)
    logger.info("results assembled", extra={"seconds": round(time.monotonic() - began, 2)})
    ledger.loaded(result.job_fields())
    remove_parts(settings, s3, ledger)
    return result


def _entry(
    settings: Settings,
    s3: Any,
    reader: Reader,
    etag: str,
    ledger: ShardLedger,
    ranges: list[tuple[int, int]],
    size: int,
) -> Entry:
    """This shard's boundary, followed from the file's start through the summaries of the shards
    before it. A shard that publishes none for a while (it is not running, e.g. no room for it
    yet) has its range read here instead."""
    entry, shard = FILE_START, 0
    progress_at = time.monotonic()
    while shard < ledger.index:
        summaries = ledger.summaries()
        if shard in summaries:
            while shard in summaries and shard < ledger.index:
                stop = summaries[shard].stop
                entry = follow(entry, summaries[shard]) or _exact(settings, s3, reader, etag, entry, stop)
                shard += 1
            progress_at = time.monotonic()
        elif time.monotonic() - progress_at >= settings.shard_wait_seconds:
            logger.warning("no summary from the shard before: reading its range", extra={"from_shard": shard})
            stop = _line_start_after(settings, s3, etag, ranges[shard][1], size)
            entry = _exact(settings, s3, reader, etag, entry, stop)
            shard += 1
            progress_at = time.monotonic()
        else:
            time.sleep(0.2)
    return entry


def _exact(settings: Settings, s3: Any, reader: Reader, etag: str, entry: Entry, stop: int) -> Entry:
    """The state at `stop`, parsing the file's bytes from `entry` (read from S3 again)."""
    source = S3Source(s3, settings.bucket, settings.key, etag, start=entry.offset)
    try:
        return reader.advance(byte_lines(_limited(source, stop - entry.offset)), entry)
    finally:
        source.close()


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
