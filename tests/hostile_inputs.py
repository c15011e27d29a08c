"""The hostile-input corpus: files and keys a real uploader will eventually send.

Each case says what must come of it (docs/reliability.md): the job's status and exit
code, how many rows load, and the reason the job record or rejects report gives.
Bodies are built here rather than stored, so the 1 MB field and the millions of blank
lines cost nothing in the repository.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.orders_csv import HEADER, csv_text, many, row


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    status: str  # SUCCEEDED or FAILED
    exit_code: int
    loaded: int  # items in the table afterwards
    reason: str = ""  # in the job's Reason (FAILED) or the rejects report (rows)
    key: str = ""  # default incoming/<name>.csv
    refused: bool = False  # the dispatcher starts no task for it
    item: dict[str, Any] = field(default_factory=dict)  # attributes OrderId "1" must have

    @property
    def s3_key(self) -> str:
        return self.key or f"incoming/{self.name}.csv"


def _text(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return csv_text(rows, header, newline).encode("utf-8")


def _ok(name: str, body: bytes, loaded: int, reason: str = "", key: str = "", **item: Any) -> Case:
    return Case(name, body, "SUCCEEDED", 0, loaded, reason, key, item=item)


def _file_fails(name: str, body: bytes, reason: str, key: str = "", refused: bool = False) -> Case:
    return Case(name, body, "FAILED", 1, 0, reason, key, refused)


_BLANKS = b"\n" * 1_000_000 + b"\r\n" * 1_000_000

CASES = (
    # headers
    _file_fails("missing-column", _text(row(1), header=HEADER.replace(",TotalProfit", "")),
                "header is missing required column(s) TotalProfit"),
    _file_fails("wrong-header", b"id,name,price\n1,a,2\n", "header is missing required column(s) Region"),
    _file_fails("duplicated-header", _text(row(1) + ",x", header=HEADER + ",OrderId"),
                "header names column 'OrderId' twice"),
    _ok("extra-column", _text(row(1) + ",note", row(2) + ",", header=HEADER + ",Notes"), 2,
        "ignored column(s) not in the schema: Notes"),
    _file_fails("semicolons", HEADER.replace(",", ";").encode() + b"\n", "separated by ';', not commas"),
    _file_fails("pdf-named-csv", b"%PDF-1.7\n\xff\xfe\x00\x01 binary\n", "header is missing required column(s)"),
    _file_fails("utf-16-export", _text(row(1)).decode().encode("utf-16"), "file is UTF-16 text"),
    _file_fails("latin-1-header", HEADER.replace("Region", "Région").encode("latin-1") + b"\n",
                "header is not UTF-8 text"),
    # rows and quoting
    _ok("extra-field-1,000", _text(row(1), row(2, UnitPrice="1,000")), 1, "row has 14 fields, the header has 13"),
    _ok("quoted-commas-and-quotes", _text(row(1, Region='"Ontario, East"', ItemType='"item ""7"""')), 1,
        Region="Ontario, East", ItemType='item "7"'),
    _ok("embedded-newline", _text(row(1, ItemType='"two\nlines"'), row(2, UnitSold="x")), 1,
        "4,UnitSold 'x' is not a whole number", ItemType="two\nlines"),
    _ok("crlf-and-bom", b"\xef\xbb\xbf" + _text(*many(3), newline="\r\n"), 3,
        Region="Ontario", TotalProfit=Decimal("119.88")),
    _ok("latin-1-row", _text(row(1)) + row(2, Region="Québec").encode("latin-1") + b"\n", 1,
        "row is not UTF-8 text (byte 0xe9): export the file as UTF-8,\"Qu\\xe9bec,Canada"),
    _ok("one-megabyte-field", _text(row(1), row(2, ItemType="x" * (1 << 20)), row(3)), 2,
        "bytes as a DynamoDB item, over its 400 KB limit"),
    # 150,000 characters but 450,000 UTF-8 bytes: DynamoDB counts bytes, and would refuse the whole batch
    _ok("cjk-150000-characters", _text(row(1), row(2, ItemType="漢" * 150_000), row(3), row(4)), 3,
        '3,"row is 450,'),
    _ok("unclosed-quote", _text(row(1), row(2, Region='"open'), row(3)), 1, "not valid CSV (lines 3-4)"),
    _file_fails("zero-bytes", b"", "file is empty (0 bytes)"),
    _ok("header-only", _text(), 0, "file has a header but no data rows"),
    _file_fails("blank-lines-only", b"\n\r\n   \n", "file has no header line"),
    _ok("millions-of-blank-lines", _text() + _BLANKS + row(1).encode() + b"\n" + _BLANKS + row(2, OrderId="").encode(),
        1, "4000003,OrderId is empty"),
    # numbers and dates
    _ok("number-1e309", _text(row(1, UnitPrice="1e309"), row(2)), 1, "UnitPrice '1e309' is not a plain decimal"),
    _ok("number-nan", _text(row(1, TotalCost="NaN"), row(2)), 1, "TotalCost 'NaN' is not a plain decimal"),
    _ok("number-minus-zero", _text(row(1, TotalProfit="-0")), 1, TotalProfit=0),
    _ok("number-quoted-1,000", _text(row(1, TotalRevenue='"1,000"'), row(2)), 1,
        "TotalRevenue '1,000' is not a plain decimal"),
    _ok("date-2-30-2021", _text(row(1, OrderDate="2/30/2021"), row(2)), 1, "OrderDate '2/30/2021' is not a real date"),
    _ok("order-id-too-long", _text(row("x" * 2000), row(2)), 1, "OrderId is longer than 1024 bytes"),
    # keys and names
    _file_fails("dot-dot-key", _text(row(1)), "'..' path segment", key="incoming/../processed/x.csv", refused=True),
    _ok("awkward-key", _text(row(1)), 1, key="incoming/2026/my orders + ü %41.csv"),
    _file_fails("very-long-key", _text(row(1)), "key is too long", key="incoming/" + "k" * 1000 + ".csv",
                refused=True),
    _file_fails("not-csv-suffix", _text(row(1)), "does not end in .csv", key="incoming/orders.xlsx", refused=True),
    # Issue 24: gzip is read, detected from its first bytes whatever the name; a broken one fails the file.
    _ok("gzip-named-csv", gzip.compress(_text(row(1)), mtime=0), 1),
    _file_fails("truncated-gzip", gzip.compress(_text(*many(50)), mtime=0)[:-12], "file is gzip-compressed but not valid"),
)
