"""The row loop: records -> the schema's compiled encoder -> BatchWriter, plus output and rejects lines.

The same loop runs in the worker's only process or in each of its load processes
(parallel.py), for a whole file or a shard; where its output and rejects go is the
caller's choice (sinks). The schema's `duplicates` policy is applied here: a key's rows
all reach one loop (parallel.py deals rows by key), so its view of a key is the whole file's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from offload_worker.batch_writer import WriteStats
from offload_worker.duplicates import DuplicateCounter, FirstLines
from offload_worker.errors import RowRejected
from offload_worker.formats.csv_rows import not_utf8
from offload_worker.formats.jsonl_rows import json_text
from offload_worker.item_size import MAX_ITEM_BYTES, wire_item_bytes

_NEEDS_QUOTES = frozenset(',"\r\n')
FORMULA_STARTS = frozenset("=+-@\t\r\n\x00")  # report_cell: what a spreadsheet reads as a formula

Row = tuple[int, "Any | RowRejected"]  # (line, list[str] for csv | dict for jsonl), or why it is no row
OutputSink = Callable[[int, str, str], None]  # (line, key identity, the output line "a,b\n")
RejectSink = Callable[[int, str, str], None]  # (line, reason, raw)


class Encoder(Protocol):
    """The schema's compiled encoder (offload_worker.schema.Encoder; the schema imports this module's cells)."""

    def encode(self, record: Any, line: int = 0) -> tuple[str, str, str]: ...


class Writes(Protocol):
    """Where the items go: the BatchWriter (or nowhere, for `offload validate`)."""

    def put(self, key: str, item: str) -> None: ...
    def close(self) -> WriteStats: ...
    def abort(self) -> None: ...


@dataclass
class Counts:
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicate: int = 0
    writes: WriteStats | None = None


def csv_line(fields: Iterable[str], delimiter: str = ",", quote: str = '"') -> str:
    """One CSV line, quoting only where needed (as csv.writer's QUOTE_MINIMAL does)."""
    if (delimiter, quote) != (",", '"'):
        special = frozenset((delimiter, quote, "\r", "\n"))
        twice = quote + quote
        cells = (quote + f.replace(quote, twice) + quote if special.intersection(f) else f for f in fields)
        return delimiter.join(cells) + "\n"
    return ",".join('"' + f.replace('"', '""') + '"' if _NEEDS_QUOTES.intersection(f) else f for f in fields) + "\n"


def report_cell(value: str) -> str:
    """A cell of the output or rejects report: a spreadsheet runs a cell starting with one of
    FORMULA_STARTS as a formula, so that one is written '<value>, quoted (OWASP "CSV Injection",
    ASVS 5.0 1.2.10, CWE-1236); any other as csv_line writes it. The table keeps the exact value."""
    if value[:1] in FORMULA_STARTS:
        return "\"'" + value.replace('"', '""') + '"'
    return '"' + value.replace('"', '""') + '"' if _NEEDS_QUOTES.intersection(value) else value


def report_line(fields: Iterable[str]) -> str:
    """One line of a report, each cell as report_cell writes it."""
    return ",".join(report_cell(f) for f in fields) + "\n"


def raw_text(record: Any, dialect: tuple[str, str] = (",", '"')) -> str:
    """The row as the file wrote it (CSV in its delimiter and quote, or JSON) again, for the rejects report."""
    line = csv_line(record, *dialect)[:-1] if isinstance(record, list) else json_text(record)
    # Undecodable bytes (kept as surrogates) are shown as \xNN: the report itself stays UTF-8.
    try:
        data = line[:4096].encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape ("\ud800") is no byte: shown as \ud800
        data = line[:4096].encode("utf-8", "backslashreplace")
    return data.decode("utf-8", "backslashreplace")


class Loader:
    def __init__(
        self, encoder: Encoder, duplicates: str, writer: Writes, output: OutputSink, reject: RejectSink
    ) -> None:
        self._encode = encoder.encode
        self._dialect: tuple[str, str] = getattr(encoder, "dialect", (",", '"'))  # the csv's, for raw text
        self._writer, self._output, self._reject = writer, output, reject
        self._last_wins = duplicates == "last"
        self._first_wins = duplicates == "first"
        self._repeats = DuplicateCounter()  # "last": repeats are counted at the end, with flat memory
        self._seen = FirstLines()  # "first" / "reject": each key's first line, with flat memory too
        self.counts = Counts()

    def load(self, rows: Iterable[Row]) -> None:
        counts, put, output, encode = self.counts, self._writer.put, self._output, self._encode
        for line, record in rows:
            counts.rows += 1
            if isinstance(record, RowRejected):
                self._reject(line, str(record), "")
                counts.rejected += 1
                continue
            try:
                if type(record) is list and not "".join(record).isascii():
                    byte = not_utf8(record)
                    if byte:
                        raise RowRejected(f"row is not UTF-8 text (byte {byte}): export the file as UTF-8")
                try:
                    key, item, text = encode(record, line)
                except RowRejected:
                    raise
                except (ValueError, TypeError, ArithmeticError) as error:  # a bug for one row: not the job's end
                    raise RowRejected(
                        f"internal: the schema encoder failed on this row ({type(error).__name__}: {error}); "
                        "the row was not loaded: report it with this line"
                    ) from error
                # A wire item has a JSON character for at most 4 bytes DynamoDB counts: only a long one is measured.
                if len(item) > MAX_ITEM_BYTES // 4 and (size := wire_item_bytes(item)) > MAX_ITEM_BYTES:
                    raise RowRejected(
                        f"row is {size:,} bytes as a DynamoDB item, over its 400 KB limit "
                        "(DynamoDB counts UTF-8 bytes): shorten its text"
                    )
                if not self._last_wins and self._repeated(key, line):
                    continue
            except RowRejected as error:
                self._reject(line, str(error), raw_text(record, self._dialect))
                counts.rejected += 1
                continue
            put(key, item)
            if self._last_wins:
                self._repeats.add(key)
            output(line, key, text)
            counts.loaded += 1

    def _repeated(self, key: str, line: int) -> bool:
        """True when a row with this key came before (first wins: this one is skipped); raises for reject."""
        first = self._seen.first(key, line)
        if first == line:
            return False
        self.counts.duplicate += 1
        if self._first_wins:
            return True
        raise RowRejected(f"duplicate of line {first}")

    def item(self, line: int, record: Any) -> tuple[str, str]:
        """(key identity, wire item) of a row loaded before: a key settled after a sharded load."""
        key, item, _text = self._encode(record, line)
        return key, item

    def finish(self) -> Counts:
        """Wait for every write (raises WriteFailed); then count the repeated keys."""
        self._seen.close()
        self.counts.writes = self._writer.close()
        if self._last_wins:
            self.counts.duplicate = self._repeats.count()
        return self.counts

    def abort(self) -> None:
        self._writer.abort()
