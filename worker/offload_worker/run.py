"""Load one file: S3 rows -> DynamoDB items, plus the output and rejects reports."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools import Logger

from offload_worker import parallel
from offload_worker.batch_writer import BatchWriter, WriteStats
from offload_worker.errors import FileRejected
from offload_worker.load import Counts, Loader, OutputSink, Row
from offload_worker.orders import Header
from offload_worker.progress import Progress
from offload_worker.results import OUTPUT_HEADER, Rejects, Result
from offload_worker.s3_writer import S3Writer
from offload_worker.settings import Settings
from offload_worker.source import S3Source, read_rows
from offload_worker.stop import SIGNALS

logger = Logger(service="offload-worker", child=True)


def process(settings: Settings, s3: Any, dynamodb: Any, ledger: Any) -> Result:
    started = time.monotonic()
    problem = settings.layout.path_problem(settings.key)
    if problem:
        raise FileRejected(problem)
    source = S3Source(s3, settings.bucket, settings.key, settings.etag)
    try:
        ledger.running(settings.bucket, settings.key, source.etag, (settings.processes, settings.processes_reason))
        if source.size == 0:
            raise FileRejected("file is empty (0 bytes)")
        result = _load(settings, s3, dynamodb, source, ledger)
    finally:
        source.close()
    result.resumes, result.size_bytes = source.resumes, source.size
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def _load(settings: Settings, s3: Any, dynamodb: Any, source: S3Source, ledger: Any) -> Result:
    names, all_rows = read_rows(source)
    header = Header.parse(names)
    progress = Progress(
        ledger.progress,
        lambda: source.position,
        source.size,
        settings.progress_seconds,
        lambda error: logger.warning("progress not recorded", extra={"error": str(error)}),
    )
    rows = progress.counted(all_rows)
    result = Result(etag=source.etag, output_key=settings.layout.output_key(settings.key))
    if header.ignored:
        result.notes.append(f"ignored column(s) not in the schema: {', '.join(header.ignored)}")
    output = S3Writer(s3, settings.bucket, result.output_key, expected_bytes=source.size)
    output.write(",".join(OUTPUT_HEADER) + "\n")
    rejects = Rejects(s3, settings.bucket, settings.layout.rejects_key(settings.key), expected_bytes=source.size)
    try:
        with progress:
            counts = load_rows(settings, dynamodb, names, header, source.etag, rows, output, rejects)
        SIGNALS.finishing()  # every row is written: a stop now waits for the commit (worker/offload_worker/stop.py)
        if counts.rows == 0:
            result.notes.append("file has a header but no data rows")
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


def load_rows(
    settings: Settings,
    dynamodb: Any,
    names: list[str],
    header: Header,
    etag: str,
    rows: Iterable[Row],
    output: S3Writer,
    rejects: Rejects,
    loaded: OutputSink | None = None,
) -> Counts:
    """Load the rows, in this process or in WORKER_PROCESSES; `loaded` also sees each output line."""
    if settings.processes == 1:
        return _load_here(settings, dynamodb, header, etag, rows, output, rejects, loaded)
    return _load_in_processes(settings, names, header, etag, rows, output, rejects, loaded)


def _load_here(
    settings: Settings,
    dynamodb: Any,
    header: Header,
    etag: str,
    rows: Iterable[Row],
    output: S3Writer,
    rejects: Rejects,
    loaded: OutputSink | None,
) -> Counts:
    writer = BatchWriter(dynamodb, settings.table, settings.write_concurrency, settings.write_deadline_seconds)
    lines = _Blocks(output)
    sink: OutputSink = lines.add
    if loaded is not None:

        def both(line: int, text: str) -> None:
            loaded(line, text)
            lines.add(line, text)

        sink = both

    loader = Loader(header, settings.bucket, settings.key, etag, writer, sink, rejects.add)
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

    def add(self, _line: int, text: str) -> None:
        self._lines.append(text)
        if len(self._lines) >= self._size:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._output.write("".join(self._lines))
            self._lines = []


def _load_in_processes(
    settings: Settings,
    names: list[str],
    header: Header,
    etag: str,
    rows: Iterable[Row],
    output: S3Writer,
    rejects: Rejects,
    loaded: OutputSink | None,
) -> Counts:
    shares = parallel.load_in_processes(settings, names, header, etag, rows, settings.processes)
    try:
        for line, text in parallel.merged(s.output for s in shares):
            output.write_bytes(text)
            if loaded is not None:
                loaded(line, text.decode("utf-8", "surrogateescape"))
        for line, text in parallel.merged(s.rejects for s in shares):
            _at, reason, raw = text.decode("utf-8").split("\x00", 2)
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
