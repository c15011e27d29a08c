"""Load one file: S3 rows -> DynamoDB items, plus the output and rejects reports."""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from offload_contract import confirmation_id, jobs

from offload_worker.batch_writer import BatchWriter
from offload_worker.duplicates import DuplicateCounter
from offload_worker.errors import FileRejected
from offload_worker.orders import ORDER_ID, Header, RowRejected, to_item
from offload_worker.s3_writer import S3Writer
from offload_worker.settings import Settings
from offload_worker.source import S3Source, not_utf8, read_rows

OUTPUT_HEADER = ("OrderId", "ConfirmationId")
REJECTS_HEADER = ("line", "reason", "raw")
CONFIRMATION_ID = "ConfirmationId"
SOURCE_KEY = "SourceKey"
_MAX_ITEM_BYTES = 350_000  # DynamoDB refuses items over 400 KB, and a whole batch with them


@dataclass
class Result:
    etag: str
    rows_total: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    output_key: str = ""
    rejects_key: str = ""
    duration_ms: int = 0
    write_requests: int = 0
    write_retries: int = 0
    resumes: int = 0
    notes: list[str] = field(default_factory=list)  # worth saying about a file that loaded

    def job_fields(self) -> dict[str, Any]:
        notes = {jobs.REASON: "; ".join(self.notes)} if self.notes else {}
        return {
            **notes,
            jobs.ROWS_TOTAL: self.rows_total,
            jobs.ROWS_LOADED: self.rows_loaded,
            jobs.ROWS_REJECTED: self.rows_rejected,
            jobs.ROWS_DUPLICATE: self.rows_duplicate,
            jobs.OUTPUT_KEY: self.output_key,
            jobs.REJECTS_KEY: self.rejects_key,
            jobs.DURATION_MS: self.duration_ms,
        }

    def as_log(self) -> dict[str, Any]:
        return asdict(self)


def _raw(fields: list[str]) -> str:
    """The row as CSV text again, for the rejects report."""
    line = ",".join('"' + f.replace('"', '""') + '"' if any(c in f for c in ',"\r\n') else f for f in fields)
    # Undecodable bytes (kept as surrogates) are shown as \xNN: the report itself stays UTF-8.
    return line[:4096].encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class Rejects:
    """The rejects report: written only if some row was rejected."""

    def __init__(self, s3: Any, bucket: str, key: str) -> None:
        self._writer = S3Writer(s3, bucket, key)
        self._csv = csv.writer(self._writer, lineterminator="\n")
        self.count = 0
        self.key = key

    def add(self, line: int, reason: str, raw: str) -> None:
        if self.count == 0:
            self._csv.writerow(REJECTS_HEADER)
        self._csv.writerow((line, reason, raw))
        self.count += 1

    def commit(self) -> None:
        self._writer.commit()

    def abort(self) -> None:
        self._writer.abort()


def process(settings: Settings, s3: Any, dynamodb: Any, ledger: Any) -> Result:
    started = time.monotonic()
    problem = settings.layout.path_problem(settings.key)
    if problem:
        raise FileRejected(problem)
    source = S3Source(s3, settings.bucket, settings.key, settings.etag)
    try:
        ledger.running(settings.bucket, settings.key, source.etag)
        if source.size == 0:
            raise FileRejected("file is empty (0 bytes)")
        result = _load(settings, s3, dynamodb, source)
    finally:
        source.close()
    result.resumes = source.resumes
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result


def _load(settings: Settings, s3: Any, dynamodb: Any, source: S3Source) -> Result:
    names, rows = read_rows(source)
    header = Header.parse(names)
    result = Result(etag=source.etag, output_key=settings.layout.output_key(settings.key))
    if header.ignored:
        result.notes.append(f"ignored column(s) not in the schema: {', '.join(header.ignored)}")
    output = S3Writer(s3, settings.bucket, result.output_key)
    output_csv = csv.writer(output, lineterminator="\n")
    output_csv.writerow(OUTPUT_HEADER)
    rejects = Rejects(s3, settings.bucket, settings.layout.rejects_key(settings.key))
    writer = BatchWriter(
        dynamodb, settings.table, ORDER_ID, settings.write_concurrency, settings.write_deadline_seconds
    )
    duplicates = DuplicateCounter()
    try:
        for line, fields in rows:
            result.rows_total += 1
            if isinstance(fields, RowRejected):
                rejects.add(line, str(fields), "")
                continue
            try:
                byte = not_utf8(fields)
                if byte:
                    raise RowRejected(f"row is not UTF-8 text (byte {byte}): export the file as UTF-8")
                item = to_item(header, fields)
                if sum(len(f) for f in fields) > _MAX_ITEM_BYTES:
                    raise RowRejected("row is larger than DynamoDB's 400 KB item limit")
            except RowRejected as error:
                rejects.add(line, str(error), _raw(fields))
                continue
            order_id = item[ORDER_ID]
            item[CONFIRMATION_ID] = confirmation_id(settings.bucket, settings.key, source.etag, order_id)
            item[SOURCE_KEY] = settings.key
            writer.put(item)
            duplicates.add(order_id)
            output_csv.writerow((order_id, item[CONFIRMATION_ID]))
            result.rows_loaded += 1
        stats = writer.close()
        if result.rows_total == 0:
            result.notes.append("file has a header but no data rows")
        # Rejects first: the output object is the marker that the file is done.
        if rejects.count:
            rejects.commit()
            result.rejects_key = rejects.key
        else:
            s3.delete_object(Bucket=settings.bucket, Key=rejects.key)  # a stale report of an older version
        output.commit()
    except BaseException:
        writer.abort()
        output.abort()
        rejects.abort()
        raise
    result.rows_rejected = rejects.count
    result.rows_duplicate = duplicates.count()
    result.write_requests, result.write_retries = stats.requests, stats.retries
    return result


def report_file_failure(s3: Any, settings: Settings, error: FileRejected) -> str:
    """Write the rejects report for a file that could not be loaded at all."""
    if settings.layout.path_problem(settings.key):
        return ""  # no valid key to write it under: the job record carries the reason
    rejects = Rejects(s3, settings.bucket, settings.layout.rejects_key(settings.key))
    rejects.add(error.line, str(error), "")
    rejects.commit()
    return rejects.key
