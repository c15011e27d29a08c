import gzip
import io
from typing import Any

import pytest
from botocore.exceptions import ResponseStreamingError
from offload_worker.errors import FileRejected, RowRejected
from offload_worker.formats.csv_rows import not_utf8, read_rows
from offload_worker.formats.reader import Reader
from offload_worker.schema import builtin_schema
from offload_worker.source import S3Source

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


def test_latin1_bytes_are_kept_for_the_row_to_be_named() -> None:
    data = (HEADER + "\n" + row(1) + "\n").encode() + row(2, Region="Québec").encode("latin-1") + b"\n"
    _header, rows = rows_of(data)
    assert [line for line, _ in rows] == [2, 3]
    assert not_utf8(rows[0][1]) is None and not_utf8(rows[1][1]) == "0xe9"  # type: ignore[arg-type]


def test_latin1_header_fails_the_file() -> None:
    with pytest.raises(FileRejected, match="header is not UTF-8"):
        rows_of(HEADER.replace("Region", "Régión").encode("latin-1") + b"\n")


def test_a_syntax_error_rejects_its_rows_and_reading_goes_on() -> None:
    data = "\n".join([HEADER, row(1), row(2, Region='"x"y'), row(3), row(4, Region='"open'), row(5), ""])
    _header, rows = rows_of(data.encode())
    assert [(line, str(f) if isinstance(f, RowRejected) else f[6]) for line, f in rows] == [
        (2, "1"), (3, "not valid CSV (line 3): ',' expected after '\"'"), (4, "3"),
        (5, "not valid CSV (lines 5-6): unexpected end of data"),  # the open quote ran to the end
    ]


def test_a_header_that_is_not_csv_fails_the_file() -> None:
    with pytest.raises(FileRejected, match="header line is not valid CSV"):
        rows_of(b'"Region"x,Country\n')


def test_gzip_body_is_read_whatever_its_name() -> None:
    # Issue 24: gzip is detected from its first bytes and read (it was refused before).
    header, rows = Reader(builtin_schema().file).open(io.BytesIO(gzip.compress((HEADER + "\n" + row(1)).encode())))  # type: ignore[arg-type]
    assert header == HEADER.split(",") and [line for line, _ in rows] == [2]


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
