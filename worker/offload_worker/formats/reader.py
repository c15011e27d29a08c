"""One reader for a schema's file format: the whole file, a shard's rows from its boundary,
and what a shard needs to find that boundary (summarize, advance)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from offload_worker.errors import FileRejected
from offload_worker.formats.compression import plain
from offload_worker.formats.csv_rows import Dialect, Row, read_rows, rows_from, text_of
from offload_worker.formats.jsonl_rows import jsonl_rows
from offload_worker.shards.boundary import Entry, Exit, Summary, advance, byte_lines, summarize

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FileFormat(Protocol):
    """The schema's `file` section (offload_worker.schema.FileSpec)."""

    @property
    def format(self) -> str: ...
    @property
    def delimiter(self) -> str: ...
    @property
    def quote(self) -> str: ...
    @property
    def header(self) -> tuple[str, ...] | None: ...
    @property
    def dynamodb_json(self) -> bool: ...


class Reader:
    def __init__(self, spec: FileFormat) -> None:
        self.jsonl = spec.format == "jsonl"
        self.header = spec.header
        self.dynamodb_json = spec.dynamodb_json
        self.dialect = Dialect(spec.delimiter, spec.quote)

    def open(self, raw: Any) -> tuple[list[str] | None, Iterator[Row]]:
        """The whole file from its first byte: the csv header (None for jsonl) and the rows."""
        stream = plain(raw)
        if stream.peek(2)[:2] in _UTF16_BOMS:
            raise FileRejected("file is UTF-16 text (a spreadsheet's 'Unicode text' export): export it as UTF-8")
        if self.jsonl:
            rows = jsonl_rows(text_of(stream, True), self.dynamodb_json)
            return None, rows
        return read_rows(stream, self.dialect, self.header)

    def rows_at(self, raw: Any, entry: Entry) -> Iterator[Row]:
        """The rows of an uncompressed file from a shard's boundary on (the row open there is not one)."""
        if entry.offset == 0:
            return self.open(raw)[1]
        if self.jsonl:
            return jsonl_rows(text_of(io.BufferedReader(raw, 1 << 16), False), self.dynamodb_json, entry.line)
        return rows_from(raw, entry.offset, entry.line, entry.prefix(self.dialect.quote), self.dialect)

    def summarize(self, open_range: Callable[[], Iterable[bytes]], start: int, stop: int) -> Summary:
        if self.jsonl:  # no state crosses a line start: the range's lines are all it says
            lines = sum(1 for _ in byte_lines(open_range()))
            return Summary(start, stop, Exit(lines, -1), Exit(lines, -1))
        return summarize(open_range, start, stop, self.dialect)

    def advance(self, lines: Iterator[bytes], entry: Entry) -> Entry:
        if self.jsonl:
            count = size = 0
            for line in lines:
                count, size = count + 1, size + len(line)
            return Entry(entry.offset + size, entry.line + count)
        return advance(lines, entry, self.dialect)
