"""The row loop: CSV fields -> validated wire items -> BatchWriter, plus output and rejects lines.

The same loop runs in the worker's only process or in each of its load processes
(parallel.py); where its output and rejects go is the caller's choice (sinks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as json_string

from offload_contract import confirmation_ids

from offload_worker.batch_writer import BatchWriter, WriteStats
from offload_worker.duplicates import DuplicateCounter
from offload_worker.item_size import MAX_ITEM_BYTES, wire_item_bytes
from offload_worker.orders import Header, RowEncoder, RowRejected
from offload_worker.source import not_utf8

_NEEDS_QUOTES = frozenset(',"\r\n')
FORMULA_STARTS = frozenset("=+-@\t\r\n\x00")  # report_cell: what a spreadsheet reads as a formula

Row = tuple[int, "list[str] | RowRejected"]
OutputSink = Callable[[int, str], None]  # (line, "OrderId,ConfirmationId\n")
RejectSink = Callable[[int, str, str], None]  # (line, reason, raw)


@dataclass
class Counts:
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicate: int = 0
    writes: WriteStats | None = None


def csv_line(fields: Iterable[str]) -> str:
    """One CSV line, quoting only where needed (as csv.writer's QUOTE_MINIMAL does)."""
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


def raw_text(fields: list[str]) -> str:
    """The row as CSV text again, for the rejects report."""
    line = csv_line(fields)[:-1]
    # Undecodable bytes (kept as surrogates) are shown as \xNN: the report itself stays UTF-8.
    return line[:4096].encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class Loader:
    def __init__(
        self,
        header: Header,
        bucket: str,
        key: str,
        etag: str,
        writer: BatchWriter,
        output: OutputSink,
        reject: RejectSink,
    ) -> None:
        self._encode = RowEncoder(header).encode
        self._confirm = confirmation_ids(bucket, key, etag)
        self._per_file = ',"SourceKey":{"S":' + json_string(key) + "}}"
        # A row this long or shorter fits whatever it holds (at most 4 UTF-8 bytes a character; the
        # names, ConfirmationId and dates add under 1 KiB): only a longer one is measured.
        self._surely_fits = (MAX_ITEM_BYTES - len(key.encode("utf-8", "surrogateescape")) - 1024) // 4
        self._writer, self._output, self._reject = writer, output, reject
        self._duplicates = DuplicateCounter()
        self.counts = Counts()

    def load(self, rows: Iterable[Row]) -> None:
        counts, put, output = self.counts, self._writer.put, self._output
        for line, fields in rows:
            counts.rows += 1
            if isinstance(fields, RowRejected):
                self._reject(line, str(fields), "")
                counts.rejected += 1
                continue
            try:
                text = "".join(fields)
                if not text.isascii():
                    byte = not_utf8(fields)
                    if byte:
                        raise RowRejected(f"row is not UTF-8 text (byte {byte}): export the file as UTF-8")
                order_id, attributes = self._encode(fields)
                confirmation = self._confirm(order_id)
                item = "{" + attributes + ',"ConfirmationId":{"S":"' + confirmation + '"}' + self._per_file
                if len(text) > self._surely_fits and (size := wire_item_bytes(item)) > MAX_ITEM_BYTES:
                    raise RowRejected(
                        f"row is {size:,} bytes as a DynamoDB item, over its 400 KB limit "
                        "(DynamoDB counts UTF-8 bytes): shorten its text"
                    )
            except RowRejected as error:
                self._reject(line, str(error), raw_text(fields))
                counts.rejected += 1
                continue
            put(order_id, item)
            self._duplicates.add(order_id)
            if order_id[0] in FORMULA_STARTS or _NEEDS_QUOTES.intersection(order_id):  # never empty
                output(line, report_line((order_id, confirmation)))
            else:
                output(line, order_id + "," + confirmation + "\n")
            counts.loaded += 1

    def item(self, fields: list[str]) -> tuple[str, str]:
        """(OrderId, wire item) of a row loaded before: a key settled after a sharded load."""
        order_id, attributes = self._encode(fields)
        confirmation = self._confirm(order_id)
        return order_id, "{" + attributes + ',"ConfirmationId":{"S":"' + confirmation + '"}' + self._per_file

    def finish(self) -> Counts:
        """Wait for every write (raises WriteFailed); then count the repeated keys."""
        self.counts.writes = self._writer.close()
        self.counts.duplicate = self._duplicates.count()
        return self.counts

    def abort(self) -> None:
        self._writer.abort()
