"""The orders CSV schema: header matching and row-to-item conversion.

Pure functions, no AWS. Numbers stay Decimal end to end so DynamoDB stores
exactly what the file said (no float rounding, no E-notation).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from offload_worker.errors import FileRejected

ORDER_ID = "OrderId"
STRING_COLUMNS = ("Region", "Country", "ItemType", "SalesChannel", "OrderPriority")
DATE_COLUMNS = ("OrderDate", "ShipDate")
INTEGER_COLUMNS = ("UnitSold",)
DECIMAL_COLUMNS = ("UnitPrice", "TotalRevenue", "TotalCost", "TotalProfit")
NON_NEGATIVE = ("UnitSold", "UnitPrice")
# The workshop's header order, used for our own samples and the docs.
COLUMNS = (
    "Region",
    "Country",
    "ItemType",
    "SalesChannel",
    "OrderPriority",
    "OrderDate",
    "OrderId",
    "ShipDate",
    "UnitSold",
    "UnitPrice",
    "TotalRevenue",
    "TotalCost",
    "TotalProfit",
)

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MAX_DIGITS = 38  # DynamoDB number precision
_MAX_MAGNITUDE = Decimal("9.9999999999999999999999999999999999999E+125")
_MAX_KEY_BYTES = 1024  # well inside DynamoDB's 2048-byte partition key limit


class RowRejected(ValueError):
    """One row cannot be loaded; str() is the reason written to the rejects report."""


@dataclass(frozen=True)
class Header:
    """Where each known column sits in the file's rows."""

    positions: dict[str, int]
    width: int
    ignored: tuple[str, ...]

    @classmethod
    def parse(cls, names: Sequence[str]) -> Header:
        cleaned = [n.strip() for n in names]
        other = next((d for d in ";\t|" if len(cleaned) == 1 and d in cleaned[0]), None)
        if other:
            raise FileRejected(
                f"header is separated by {other!r}, not commas: export the file as comma-separated CSV", line=1
            )
        positions: dict[str, int] = {}
        for index, name in enumerate(cleaned):
            if name in positions:
                raise FileRejected(f"header names column {name!r} twice", line=1)
            positions[name] = index
        missing = [c for c in COLUMNS if c not in positions]
        if missing:
            raise FileRejected(
                f"header is missing required column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}",
                line=1,
            )
        ignored = tuple(n for n in cleaned if n not in COLUMNS)
        return cls(positions={c: positions[c] for c in COLUMNS}, width=len(cleaned), ignored=ignored)


def parse_decimal(column: str, text: str) -> Decimal:
    value = text.strip()
    if not _DECIMAL.fullmatch(value):
        raise RowRejected(f"{column} {text!r} is not a plain decimal number")
    number = Decimal(value)
    if number.is_zero():
        return Decimal(0)  # "-0", "0.00" -> 0: one value, one representation
    if len(number.as_tuple().digits) > _MAX_DIGITS:
        raise RowRejected(f"{column} {text!r} has more than {_MAX_DIGITS} significant digits")
    if abs(number) > _MAX_MAGNITUDE:
        raise RowRejected(f"{column} {text!r} is out of DynamoDB's number range")
    if column in NON_NEGATIVE and number < 0:
        raise RowRejected(f"{column} {text!r} must not be negative")
    return number


def parse_integer(column: str, text: str) -> int:
    value = text.strip()
    if not _INTEGER.fullmatch(value) or len(value.lstrip("+-")) > _MAX_DIGITS:
        raise RowRejected(f"{column} {text!r} is not a whole number")
    number = int(value)
    if column in NON_NEGATIVE and number < 0:
        raise RowRejected(f"{column} {text!r} must not be negative")
    return number


def parse_date(column: str, text: str) -> str:
    match = _DATE.fullmatch(text.strip())
    if not match:
        raise RowRejected(f"{column} {text!r} is not a date in M/D/YYYY form")
    month, day, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise RowRejected(f"{column} {text!r} is not a real date") from None


def parse_order_id(text: str) -> str:
    order_id = text.strip()
    if not order_id:
        raise RowRejected("OrderId is empty")
    if len(order_id.encode("utf-8")) > _MAX_KEY_BYTES:
        raise RowRejected(f"OrderId is longer than {_MAX_KEY_BYTES} bytes")
    return order_id


def to_item(header: Header, row: Sequence[str]) -> dict[str, Any]:
    """The DynamoDB item for one CSV row, without the per-file attributes."""
    if len(row) != header.width:
        raise RowRejected(f"row has {len(row)} fields, the header has {header.width}")
    pos = header.positions
    item: dict[str, Any] = {ORDER_ID: parse_order_id(row[pos[ORDER_ID]])}
    for column in STRING_COLUMNS:
        item[column] = row[pos[column]].strip()
    for column in DATE_COLUMNS:
        item[column] = parse_date(column, row[pos[column]])
    for column in INTEGER_COLUMNS:
        item[column] = parse_integer(column, row[pos[column]])
    for column in DECIMAL_COLUMNS:
        item[column] = parse_decimal(column, row[pos[column]])
    return item
