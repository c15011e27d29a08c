"""Load one whole file: source -> format reader -> compiled encoder -> batch writer -> results.

The stages: the S3 source (source.py) streams the object, the schema's format reader (formats/)
turns it into records, the schema's compiled encoder makes each one a wire item and an output
line (load.py's loop, here or in load processes: parallel.py), the batch writer sends the items,
and the output and rejects reports are the results. A shard (shards/shard.py) takes the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools import Logger

from offload_worker import parallel
from offload_worker.batch_writer import BatchWriter, WriteStats
from offload_worker.errors import FileRejected
from offload_worker.formats.reader import Reader
from offload_worker.job_schema import FileLoad, SchemaFile
from offload_worker.load import Counts, Loader, OutputSink, Row, report_line
from offload_worker.progress import Progress
from offload_worker.results import Rejects, Result
from offload_worker.s3_writer import S3Writer
from offload_worker.schema import Schema
from offload_worker.settings import Settings
from offload_worker.source import S3Source
from offload_worker.stop import SIGNALS

logger = Logger(service="offload-worker", child=True)


def process(settings: Settings, s3: Any, dynamodb: Any, ledger: Any, schema: tuple[SchemaFile, Schema]) -> Result:
    started = time.monotonic()
    problem = settings.layout.path_problem(settings.key)
    if problem:
        raise FileRejected(problem)
    source = S3Source(s3, settings.bucket, settings.key, settings.etag)
    try:
        ledger.running(settings.bucket, settings.key, source.etag, (settings.processes, settings.processes_reason))
        if source.size == 0:
            raise FileRejected("file is empty (0 bytes)")
        result = _load(settings, s3, dynamodb, source, ledger, schema)
    finally:
        source.close()
    result.resumes, result.size_bytes = source.resumes, source.size
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def _load(
    settings: Settings, s3: Any, dynamodb: Any, source: S3Source, ledger: Any, schema: tuple[SchemaFile, Schema]
) -> Result:
    names, all_rows = Reader(schema[1].file).open(source)
    plan = compiled(settings, schema, names, source.etag)
    progress = Progress(
        ledger.progress,
        lambda: source.position,
        source.size,
        settings.progress_seconds,
        lambda error: logger.warning("progress not recorded", extra={"error": str(error)}),
    )
    rows = progress.counted(all_rows)
    result = Result(etag=source.etag, output_key=settings.layout.output_key(settings.key))
    result.notes.extend(ignored_note(plan))
    output = S3Writer(s3, settings.bucket, result.output_key, expected_bytes=source.size)
    output.write(report_line(plan.schema.output_columns))
    rejects = Rejects(s3, settings.bucket, settings.layout.rejects_key(settings.key), expected_bytes=source.size)
    try:
        with progress:
            counts = load_rows(settings, dynamodb, plan, rows, output, rejects)
        SIGNALS.finishing()  # every row is written: a stop now waits for the commit (worker/offload_worker/stop.py)
        if counts.rows == 0:
            result.notes.append(empty_note(plan))
        # Rejects first: the output object is the marker that the file is done.
        if rejects.count:
            result.rejects_etag = rejects.commit()
            result.rejects_key = rejects.key
        else:
            s3.delete_object(Bucket=settings.bucket, Key=rejects.key)  # a stale report of an older version
        result.output_etag = output.commit()
    except BaseException:
        output.abort()
        rejects.abort()
        raise
    writes = counts.writes or WriteStats()
    result.rows_total, result.rows_loaded, result.rows_duplicate = counts.rows, counts.loaded, counts.duplicate
    result.rows_rejected = rejects.count
    result.write_requests, result.write_retries = writes.requests, writes.retries
    result.throttled_ms = int(writes.throttled_seconds * 1000)
    return result


def compiled(settings: Settings, schema: tuple[SchemaFile, Schema], names: list[str] | None, etag: str) -> FileLoad:
    """The schema compiled for this file's header (FileRejected on a header that lacks its columns)."""
    encoder = schema[1].compile(names, bucket=settings.bucket, key=settings.key, etag=etag)
    return FileLoad(schema[0], schema[1], names, encoder, etag)


def ignored_note(plan: FileLoad) -> list[str]:
    ignored = plan.encoder.ignored
    return [f"ignored column(s) not in the schema: {', '.join(ignored)}"] if ignored else []


def empty_note(plan: FileLoad) -> str:
    return (
        "file has a header but no data rows"
        if plan.schema.file.header is None and plan.names is not None
        else ("file has no data rows")
    )


def load_rows(
    settings: Settings,
    dynamodb: Any,
    plan: FileLoad,
    rows: Iterable[Row],
    output: S3Writer,
    rejects: Rejects,
    loaded: OutputSink | None = None,
) -> Counts:
    """Load the rows, in this process or in WORKER_PROCESSES; `loaded` also sees each output line."""
    if settings.processes == 1:
        return _load_here(settings, dynamodb, plan, rows, output, rejects, loaded)
    return _load_in_processes(settings, plan, rows, output, rejects, loaded)


def _load_here(
    settings: Settings,
    dynamodb: Any,
    plan: FileLoad,
    rows: Iterable[Row],
    output: S3Writer,
    rejects: Rejects,
    loaded: OutputSink | None,
) -> Counts:
    writer = BatchWriter(dynamodb, settings.table, settings.write_concurrency, settings.write_deadline_seconds)
    lines = _Blocks(output)
    sink: OutputSink = lines.add
    if loaded is not None:

        def both(line: int, key: str, text: str) -> None:
            loaded(line, key, text)
            lines.add(line, key, text)

        sink = both

    loader = Loader(plan.encoder, plan.schema.duplicates, writer, sink, rejects.add)
    try:
        loader.load(rows)
        lines.flush()
        return loader.finish()
    except BaseException:
        loader.abort()
        raise


class _Blocks:
    """Output lines handed to the S3 writer a block at a time: a call per row would cost more than the row."""

    def __init__(self, output: S3Writer, size: int = 4096) -> None:
        self._output, self._size = output, size
        self._lines: list[str] = []

    def add(self, _line: int, _key: str, text: str) -> None:
        self._lines.append(text)
        if len(self._lines) >= self._size:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._output.write("".join(self._lines))
            self._lines = []


def _load_in_processes(
    settings: Settings,
    plan: FileLoad,
    rows: Iterable[Row],
    output: S3Writer,
    rejects: Rejects,
    loaded: OutputSink | None,
) -> Counts:
    key_of = plan.encoder.key
    shares = parallel.load_in_processes(
        settings, plan.schema_file, plan.names, key_of, plan.etag, rows, settings.processes
    )
    try:
        for line, key, text in parallel.merged(s.output for s in shares):
            output.write_bytes(text)
            if loaded is not None:
                loaded(line, key.decode("utf-8", "surrogateescape"), text.decode("utf-8", "surrogateescape"))
        for line, _key, text in parallel.merged(s.rejects for s in shares):
            reason, raw = text.decode("utf-8").split("\x00", 1)
            rejects.add(line, reason, raw)
    finally:
        parallel.remove_spills(shares)
    return parallel.total(shares)


def report_file_failure(s3: Any, settings: Settings, error: FileRejected) -> str:
    """Write the rejects report for a file that could not be loaded at all."""
    if settings.layout.path_problem(settings.key):
        return ""  # no valid key to write it under: the job record carries the reason
    rejects = Rejects(s3, settings.bucket, settings.layout.rejects_key(settings.key))
    rejects.add(error.line, str(error), "")
    rejects.commit()
    return rejects.key
