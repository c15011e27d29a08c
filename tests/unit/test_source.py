import gzip
import io
from typing import Any

import pytest
from botocore.exceptions import ResponseStreamingError
from offload_worker.errors import FileRejected
from offload_worker.source import S3Source, read_rows

from tests.orders_csv import HEADER, row


def rows_of(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    header, rows = read_rows(io.BytesIO(data))  # type: ignore[arg-type]
    return header, list(rows)


def test_crlf_bom_blank_lines_and_quoting() -> None:
    text = "\ufeff" + HEADER + "\r\n\r\n" + row(1, Region='"New, York"') + "\r\n,,,,\r\n" + \
        row(2, SalesChannel='"say ""hi""\nthere"') + "\r\n"
    header, rows = rows_of(text.encode("utf-8"))
    assert header[0] == "Region"
    assert [line for line, _ in rows] == [3, 5]
    assert rows[0][1][0] == "New, York"
    assert rows[1][1][3] == 'say "hi"\nthere'


def test_latin1_bytes_fail_the_file_with_the_line() -> None:
    data = (HEADER + "\n" + row(1) + "\n").encode() + "Québec".encode("latin-1") + b"\n"
    with pytest.raises(FileRejected, match="not UTF-8 text"):
        rows_of(data)


def test_gzip_body_is_named_as_such() -> None:
    with pytest.raises(FileRejected, match="gzip-compressed"):
        rows_of(gzip.compress(HEADER.encode()))


def test_blank_file_has_no_header() -> None:
    with pytest.raises(FileRejected, match="no header line"):
        rows_of(b"\n\r\n  \n")


class FlakyBody:
    """Breaks once after the first read, like a connection reset mid-stream."""

    def __init__(self, data: bytes, break_after: int | None) -> None:
        self.stream, self.break_after, self.reads = io.BytesIO(data), break_after, 0

    def read(self, n: int) -> bytes:
        self.reads += 1
        if self.break_after is not None and self.reads > self.break_after:
            raise ResponseStreamingError(error="connection reset")
        return self.stream.read(n)

    def close(self) -> None:
        pass


class FakeS3:
    def __init__(self, data: bytes) -> None:
        self.data, self.calls = data, []  # type: tuple[bytes, list[dict[str, Any]]]

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        start = int(kwargs.get("Range", "bytes=0-")[6:-1])
        first = len(self.calls) == 1
        return {"ETag": '"e1"', "ContentLength": len(self.data),
                "Body": FlakyBody(self.data[start:], 1 if first else None)}


def test_broken_download_resumes_at_its_offset_pinned_to_the_etag() -> None:
    data = b"x" * 100_000
    s3 = FakeS3(data)
    source = S3Source(s3, "b", "k", None)
    assert source.read() == data
    assert source.resumes == 1
    assert s3.calls[1]["IfMatch"] == '"e1"' and s3.calls[1]["Range"].startswith("bytes=")
