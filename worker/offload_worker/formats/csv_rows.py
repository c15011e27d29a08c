"""CSV rows: the header and (line number, fields), in the schema's dialect (delimiter, quote).

A row that is not valid CSV or not UTF-8 comes out as a RowRejected in place of its fields:
one bad row is reported and skipped, never the end of the file (a file-level failure halfway
would leave the table half-loaded).
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from offload_worker.errors import FileRejected, RowRejected

_MAX_FIELD_BYTES = 1 << 20
csv.field_size_limit(_MAX_FIELD_BYTES)
Row = tuple[int, "Any | RowRejected"]  # (first line, record), or the reason it is no row


@dataclass(frozen=True)
class Dialect:
    delimiter: str = ","
    quote: str = '"'

    def reader(self, lines: Any) -> Any:
        return csv.reader(lines, delimiter=self.delimiter, quotechar=self.quote, strict=True)


COMMA = Dialect()


def text_of(stream: Any, file_start: bool) -> io.TextIOWrapper:
    # surrogateescape keeps undecodable bytes as lone surrogates, so the row they sit in can be named;
    # utf-8-sig drops a BOM (Excel's "CSV UTF-8" writes one) at the file's start.
    encoding = "utf-8-sig" if file_start else "utf-8"
    return io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")


def read_rows(
    stream: Any, dialect: Dialect = COMMA, header: Sequence[str] | None = None
) -> tuple[list[str], Iterator[Row]]:
    """The header (the file's first row, or `header` when the file has none) and the rows, blank lines skipped."""
    if not isinstance(stream, io.BufferedIOBase):
        stream = io.BufferedReader(stream, buffer_size=1 << 16)
    rows = _records(dialect.reader(text_of(stream, True)))
    if header is not None:
        return list(header), rows
    for _line, fields in rows:
        if isinstance(fields, RowRejected):
            raise FileRejected(f"header line is not valid CSV: {fields}", line=1)
        if not_utf8(fields):
            raise FileRejected("header is not UTF-8 text: export the file as UTF-8 CSV", line=1)
        return fields, rows
    raise FileRejected("file has no header line (it is empty or blank)")


def rows_from(stream: Any, offset: int, line: int, open_field: str, dialect: Dialect = COMMA) -> Iterator[Row]:
    """The records of a stream that starts inside the file at a line start: at `line`, and inside
    a quoted field when `open_field` (its opening quote and as many characters) is given. The
    record in progress there is not returned: it started before the stream."""
    if not isinstance(stream, io.BufferedIOBase):
        stream = io.BufferedReader(stream, buffer_size=1 << 16)
    text = text_of(stream, offset == 0)
    lines: Iterator[str] = text
    if open_field:
        first = text.readline()
        lines = itertools.chain([open_field + first] if first else [], text)
    reader = dialect.reader(lines)
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


def _records(reader: Any, offset: int = 0) -> Iterator[Row]:
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
