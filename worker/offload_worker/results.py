"""What a load produces: its summary for the worker's report, and the rejects report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from offload_contract import jobs

from offload_worker.load import report_line
from offload_worker.s3_writer import S3Writer

OUTPUT_HEADER = ("OrderId", "ConfirmationId")
REJECTS_HEADER = ("line", "reason", "raw")


@dataclass
class Result:
    etag: str
    rows_total: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    output_key: str = ""
    rejects_key: str = ""
    output_etag: str = ""  # as S3 returned it on commit: the task-state function checks the object against it
    rejects_etag: str = ""
    duration_ms: int = 0
    write_requests: int = 0
    write_retries: int = 0
    throttled_ms: int = 0
    size_bytes: int = 0
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
            jobs.OUTPUT_ETAG: self.output_etag,
            jobs.REJECTS_ETAG: self.rejects_etag,
            jobs.DURATION_MS: self.duration_ms,
            jobs.THROTTLED_MS: self.throttled_ms,
            jobs.ROWS_READ: self.rows_total,
            jobs.BYTES_READ: self.size_bytes,  # all of it: a finished job shows 100 %
            jobs.SIZE_BYTES: self.size_bytes,
        }

    def as_log(self) -> dict[str, Any]:
        return asdict(self)


class Rejects:
    """The rejects report: written only if some row was rejected."""

    def __init__(self, s3: Any, bucket: str, key: str, header: bool = True, expected_bytes: int = 0) -> None:
        """header: False for a shard's staged part (the assembled report gets one); expected_bytes: S3Writer's."""
        self._writer = S3Writer(s3, bucket, key, expected_bytes=expected_bytes)
        self._header = header
        self.count = 0
        self.key = key

    @property
    def bytes(self) -> int:
        return self._writer.bytes

    def add(self, line: int, reason: str, raw: str) -> None:
        """reason and raw come from the upload: report_line keeps a spreadsheet from running them."""
        if self.count == 0 and self._header:
            self._writer.write(report_line(REJECTS_HEADER))
        self._writer.write(report_line((str(line), reason, raw)))
        self.count += 1

    def commit(self) -> str:
        """The report's ETag."""
        return self._writer.commit()

    def abort(self) -> None:
        self._writer.abort()
