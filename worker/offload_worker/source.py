"""Read one S3 object as CSV rows, streaming, resuming a broken download.

The object is pinned to the ETag the event named (If-Match), so a file that
was overwritten since is never half-read as a mix of two versions.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from offload_worker.errors import AccessDenied, FileRejected, WorkerError
from offload_worker.identity import caller
from offload_worker.orders import RowRejected

_STREAM_ERRORS = (
    ConnectionClosedError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
    ConnectionError,
)
_MAX_FIELD_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
csv.field_size_limit(_MAX_FIELD_BYTES)
Record = tuple[int, "list[str] | RowRejected"]  # (first line, fields), or the reason it is no row


class S3Source(io.RawIOBase):
    """A raw byte stream over GetObject that reopens at its offset on a broken read."""

    def __init__(
        self, client: Any, bucket: str, key: str, etag: str | None, resume_attempts: int = 5, start: int = 0
    ) -> None:
        """start: read from this offset on (a shard's range)."""
        super().__init__()
        self._client, self.bucket, self.key = client, bucket, key
        self._resume_attempts = resume_attempts
        self.resumes = 0
        self._pos = start
        response = self._get(etag, start)
        self.etag: str = response["ETag"]
        ranged = response.get("ContentRange")  # "bytes START-END/SIZE"
        self.size: int = int(ranged.rsplit("/", 1)[1]) if ranged else response["ContentLength"]
        self._body = response["Body"]

    def _get(self, etag: str | None, start: int | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key}
        if etag:
            kwargs["IfMatch"] = etag
        if start:
            kwargs["Range"] = f"bytes={start}-"
        try:
            return self._client.get_object(**kwargs)  # type: ignore[no-any-return]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            where = f"s3://{self.bucket}/{self.key}"
            if code in ("NoSuchKey", "404", "NotFound"):
                raise FileRejected(f"{where} does not exist (deleted after upload?)") from None
            if code in ("PreconditionFailed", "412"):
                raise FileRejected(
                    f"{where} changed since the event (ETag {etag}); its new version has its own event"
                ) from None
            if code == "NoSuchBucket":
                raise FileRejected(f"bucket {self.bucket!r} does not exist") from None
            if code in ("AccessDenied", "403", "Forbidden"):
                # S3 also says 403 for a missing key to a caller without s3:ListBucket on it.
                raise AccessDenied(
                    f"S3 denied s3:GetObject on {where} to {caller()} (403 AccessDenied; S3 says so for a missing "
                    "key too when the role may not s3:ListBucket it): grant the task role s3:GetObject on the "
                    "input prefix and s3:ListBucket on the bucket for that prefix (terraform/modules/cluster "
                    "does), then `offload rerun` the job"
                ) from None
            raise WorkerError(f"cannot read {where}: {code or error}") from None

    @property
    def position(self) -> int:
        """Bytes of the object read so far."""
        return self._pos

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        for attempt in range(self._resume_attempts + 1):
            try:
                data = self._body.read(len(buffer))
                break
            except _STREAM_ERRORS:
                if attempt == self._resume_attempts:
                    raise WorkerError(
                        f"download of s3://{self.bucket}/{self.key} broke {attempt + 1} times at byte {self._pos}"
                    ) from None
                self.resumes += 1
                self._body = self._get(self.etag, self._pos)["Body"]
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def read_rows(raw: io.RawIOBase) -> tuple[list[str], Iterator[tuple[int, list[str] | RowRejected]]]:
    """The header and an iterator of (line number, fields), blank lines skipped.

    A row that is not valid CSV or not UTF-8 comes out as a RowRejected in place
    of its fields: one bad row is reported and skipped, never the end of the file
    (a file-level failure halfway would leave the table half-loaded).
    """
    buffered = io.BufferedReader(raw, buffer_size=1 << 16)
    start = buffered.peek(2)[:2]
    if start == _GZIP_MAGIC:
        raise FileRejected("file is gzip-compressed; upload the plain CSV (or name it .csv.gz)")
    if start in _UTF16_BOMS:
        raise FileRejected("file is UTF-16 text (a spreadsheet's 'Unicode text' export): export it as UTF-8 CSV")
    # surrogateescape keeps undecodable bytes as lone surrogates, so the row they sit in can be named.
    text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, strict=True)
    rows = _records(reader)
    for _line, fields in rows:
        if isinstance(fields, RowRejected):
            raise FileRejected(f"header line is not valid CSV: {fields}", line=1)
        if not_utf8(fields):
            raise FileRejected("header is not UTF-8 text: export the file as UTF-8 CSV", line=1)
        return fields, rows
    raise FileRejected("file has no header line (it is empty or blank)")


def rows_from(
    raw: io.RawIOBase, offset: int, line: int, open_field: str
) -> Iterator[tuple[int, list[str] | RowRejected]]:
    """The records of a stream that starts inside the file at a line start: at `line`, and inside
    a quoted field when `open_field` (its opening quote and as many characters) is given. The
    record in progress there is not returned: it started before the stream."""
    buffered = io.BufferedReader(raw, buffer_size=1 << 16)
    text = io.TextIOWrapper(
        buffered, encoding="utf-8-sig" if offset == 0 else "utf-8", errors="surrogateescape", newline=""
    )
    lines: Iterator[str] = text
    if open_field:
        first = text.readline()
        lines = itertools.chain([open_field + first] if first else [], text)
    reader = csv.reader(lines, strict=True)
    if open_field:
        with contextlib.suppress(StopIteration, csv.Error):
            next(reader)
    return _records(reader, line - 1)


def not_utf8(fields: list[str]) -> str | None:
    """The first undecodable byte in a row, as text (None if the row is UTF-8)."""
    for field in fields:
        if not field.isascii():
            for char in field:
                if "\udc80" <= char <= "\udcff":
                    return f"0x{ord(char) - 0xDC00:02x}"
    return None


def _records(reader: Any, offset: int = 0) -> Iterator[Record]:
    """The reader's records with their first line's number; `offset`: lines of the file before the reader's."""
    line = reader.line_num + offset + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            last = reader.line_num + offset
            where = f"lines {line}-{last}" if last > line else f"line {line}"
            yield line, RowRejected(f"not valid CSV ({where}): {error}")
            line = last + 1
            continue
        if "".join(fields).strip():  # blank lines and ",,,," lines carry no row
            yield line, fields
        line = reader.line_num + offset + 1
