"""Where a shard's rows start: the CSV reader's exact state at a byte offset, handed on shard to shard.

Whether a byte starts a row depends on everything before it (a quoted field may hold
newlines), so a shard cannot find its first row from its own bytes. Between lines the reader
carries one thing: either a row ends there, or a quoted field is still open, with so many
characters in it (the 1 MiB field limit counts them). The shard before knows that state at its
own start (its Entry); it parses its bytes with the reader a whole-file task uses and hands on
the state at the next shard's start, before loading its own rows. A shard resumes from an open
field by prefixing its first line with a quote and that many characters: the reader then goes
on exactly as it would have, and the row it finishes belongs to the shard before.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_NEWLINE = re.compile(rb"[\r\n]")
_BOM = b"\xef\xbb\xbf"
CHECKPOINT_LINES = 4096  # a row start is noted every so many lines, for reading single rows back


@dataclass(frozen=True)
class Entry:
    offset: int  # a line start: the first at or after the shard's range start
    line: int  # that line's number in the file
    quoted: int = -1  # -1: a row starts here; else the characters of the quoted field open across it

    def prefix(self) -> str:
        """What puts a fresh reader in this state at the start of the line."""
        return "" if self.quoted < 0 else '"' + "x" * self.quoted


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

    def __init__(self, lines: Iterator[bytes], entry: Entry) -> None:
        self._lines, self._prefix = lines, entry.prefix()
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


def advance(lines: Iterator[bytes], entry: Entry) -> tuple[Entry, list[tuple[int, int]]]:
    """The reader's state after `lines` (the file's lines from entry.offset to a line start),
    starting in state `entry`; and checkpoints: (line, offset) of row starts along the way."""
    feed = _Feed(lines, entry)
    reader = csv.reader(feed, strict=True)
    checkpoints: list[tuple[int, int]] = []
    noted = 0
    while True:
        try:
            next(reader)
        except StopIteration:
            if feed.count == 0:  # no lines at all: the state is the one we came with
                return entry, checkpoints
            break
        except csv.Error:
            if feed.exhausted:  # "unexpected end of data": the lines end inside a quoted field
                field = next(csv.reader(["".join(feed.open) + '"'], strict=True))[-1]
                return Entry(entry.offset + feed.bytes, entry.line + feed.count, len(field)), checkpoints
        # A row (or a broken one, whose line the reader drops) ended with the line: the next one starts a row.
        feed.open.clear()
        if feed.count - noted >= CHECKPOINT_LINES:
            noted = feed.count
            checkpoints.append((entry.line + feed.count, entry.offset + feed.bytes))
    return Entry(entry.offset + feed.bytes, entry.line + feed.count), checkpoints
