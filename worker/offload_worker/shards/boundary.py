"""Where a shard's rows start: the CSV reader's exact state at a byte offset.

Whether a byte starts a row depends on everything before it (a quoted field may hold
newlines), so a shard cannot find its first row from its own bytes alone. Between lines the
reader carries one thing: either a row ends there, or a quoted field is still open, with so
many characters in it (the 1 MiB field limit counts them). That state at a shard's start is
its Entry. A shard resumes from an open field by prefixing its first line with a quote and
that many characters: the reader then goes on exactly as it would have, and the row it
finishes belongs to the shard before.

Every shard parses its own range twice, at once with the others: as if a row started there,
and as if a quoted field were open there (`summarize`). From those Summaries, each shard
works out its Entry by following them from the file's start (`follow`): no shard waits for
another to parse. Only a field that reaches the 1 MiB limit across a shard boundary makes the
length of the open field matter; then the range is parsed again from the exact state (`advance`).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from offload_worker.formats.csv_rows import COMMA, Dialect

_NEWLINE = re.compile(rb"[\r\n]")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Entry:
    offset: int  # a line start: the first at or after the shard's range start
    line: int  # that line's number in the file
    quoted: int = -1  # -1: a row starts here; else the characters of the quoted field open across it

    def prefix(self, quote: str = '"') -> str:
        """What puts a fresh reader in this state at the start of the line."""
        return "" if self.quoted < 0 else quote + "x" * self.quoted


FILE_START = Entry(0, 1)


def line_start(data: bytes, base: int, position: int, size: int) -> int | None:
    """The first line start at or after `position` (as the reader splits lines: \\n, \\r\\n or \\r),
    from `data`, the file's bytes from offset `base` (which must hold position - 1); None when
    `data` ends before it is known."""
    if position <= 0:
        return 0
    if position >= size:
        return size
    found = _NEWLINE.search(data, position - 1 - base)
    if found is None:
        return size if base + len(data) >= size else None
    at = found.start()
    if data[at] == 0x0A:
        return base + at + 1
    if at + 1 < len(data):
        return base + at + (2 if data[at + 1] == 0x0A else 1)
    return size if base + at + 1 >= size else None


def byte_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines in a stream of byte chunks, each with its line break."""
    rest = b""
    for chunk in chunks:
        lines = (rest + chunk).splitlines(keepends=True)
        # The last line may go on in the next chunk (and a \r may be half of a \r\n).
        rest = lines.pop() if lines and (not lines[-1].endswith(b"\n")) else b""
        yield from lines
    if rest:
        yield rest


class _Feed:
    """Lines for the reader, decoded as a whole-file task decodes them, remembering the open row's."""

    def __init__(self, lines: Iterator[bytes], entry: Entry, quote: str) -> None:
        self._lines, self._prefix = lines, entry.prefix(quote)
        self._first = entry.offset == 0
        self.open: list[str] = []
        self.count = self.bytes = 0
        self.exhausted = False

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        try:
            raw = next(self._lines)
        except StopIteration:
            self.exhausted = True
            raise
        self.count += 1
        self.bytes += len(raw)
        if self._first:
            self._first, raw = False, raw.removeprefix(_BOM)  # what utf-8-sig drops
        text = self._prefix + raw.decode("utf-8", "surrogateescape")
        self._prefix = ""
        self.open.append(text)
        return text


def advance(lines: Iterator[bytes], entry: Entry, dialect: Dialect = COMMA) -> Entry:
    """The reader's state after `lines` (the file's lines from entry.offset to a line start),
    starting in state `entry`: exact for any state, one Python step per line."""
    feed = _Feed(lines, entry, dialect.quote)
    reader = dialect.reader(feed)
    while True:
        try:
            next(reader)
        except StopIteration:
            if feed.count == 0:  # no lines at all: the state is the one we came with
                return entry
            break
        except csv.Error:
            if feed.exhausted:  # "unexpected end of data": the lines end inside a quoted field
                field = next(dialect.reader(["".join(feed.open) + dialect.quote]))[-1]
                return Entry(entry.offset + feed.bytes, entry.line + feed.count, len(field))
        # A row (or a broken one, whose line the reader drops) ended with the line: the next one starts a row.
        feed.open.clear()
    return Entry(entry.offset + feed.bytes, entry.line + feed.count)


@dataclass(frozen=True)
class Exit:
    """What parsing a range from one state leads to at its end."""

    lines: int  # lines in the range
    quoted: int  # -1: a row starts at the end; else the length of the quoted field open there
    through: bool = False  # (entered in a field) that same field is still open at the end
    widest: int = 0  # (entered in a field) how long it grew in the range; over the limit: it broke there


@dataclass(frozen=True)
class Summary:
    """A range [start, stop) between two line starts, parsed from both states it can start in."""

    start: int
    stop: int
    at_row: Exit
    in_field: Exit


def summarize(open_range: Callable[[], Iterable[bytes]], start: int, stop: int, dialect: Dialect = COMMA) -> Summary:
    """Parse the range twice, with the reader a whole-file task uses, in C but for one step per row."""
    return Summary(
        start, stop, _scan(open_range, start == 0, False, dialect), _scan(open_range, start == 0, True, dialect)
    )


def follow(entry: Entry, summary: Summary) -> Entry | None:
    """The state at summary.stop given the state at summary.start; None when only parsing the range
    again from `entry` can tell (the open field would pass the field limit with its earlier part)."""
    if entry.quoted < 0:
        return Entry(summary.stop, entry.line + summary.at_row.lines, summary.at_row.quoted)
    exit_ = summary.in_field
    if entry.quoted > 0 and entry.quoted + exit_.widest > csv.field_size_limit():
        return None
    quoted = entry.quoted + exit_.quoted if exit_.through else exit_.quoted
    return Entry(summary.stop, entry.line + exit_.lines, quoted)


class _Chunks(io.RawIOBase):
    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks, self._rest = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            self._rest = next(self._chunks, b"")
            if not self._rest:
                return 0
        n = min(len(buffer), len(self._rest))
        buffer[:n], self._rest = self._rest[:n], self._rest[n:]
        return n


def _text(open_range: Callable[[], Iterable[bytes]], file_start: bool) -> io.TextIOWrapper:
    buffered = io.BufferedReader(_Chunks(open_range()), buffer_size=1 << 16)
    encoding = "utf-8-sig" if file_start else "utf-8"
    return io.TextIOWrapper(buffered, encoding=encoding, errors="surrogateescape", newline="")


def _scan(open_range: Callable[[], Iterable[bytes]], file_start: bool, in_field: bool, dialect: Dialect) -> Exit:
    text = _text(open_range, file_start)
    ended: list[bool] = []

    def end() -> Iterator[str]:  # reached only once every line has been read
        ended.append(True)
        yield from ()

    first = text.readline() if in_field else ""
    if in_field and not first:
        return Exit(0, 0, True, 0)  # no lines: the field stays open, none the longer
    quote = dialect.quote
    reader = dialect.reader(itertools.chain([quote + first] if in_field else [], text, end()))
    done, widest = 0, 0  # lines read when the last row ended; the entered field's length
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return Exit(reader.line_num, -1, False, widest)
        except csv.Error:
            if ended:  # the range ends inside a quoted field
                break
            fields = None  # a broken row: the reader drops the rest of its line
        if in_field and done == 0:
            # The row the range entered: a broken one may have passed the limit anywhere: say so.
            widest = len(fields[0]) if fields is not None else csv.field_size_limit() + 1
        done = reader.line_num
    open_row = _lines_from(open_range, file_start, done, quote if in_field and done == 0 else "")
    fields = next(dialect.reader([open_row + quote]))
    if in_field and done == 0:  # still in the row the range entered
        return Exit(reader.line_num, len(fields[-1]), len(fields) == 1, len(fields[0]))
    return Exit(reader.line_num, len(fields[-1]), False, widest)


def _lines_from(open_range: Callable[[], Iterable[bytes]], file_start: bool, skip: int, prefix: str) -> str:
    """The range's text after its first `skip` lines: the row still open at its end."""
    text = _text(open_range, file_start)
    for _ in range(skip):
        text.readline()
    return prefix + text.read()
