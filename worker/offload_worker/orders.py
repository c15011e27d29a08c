"""The orders CSV schema: header matching and row-to-item conversion.

Pure functions, no AWS. A row becomes its DynamoDB item in wire JSON directly
(no SDK serializer on the row path). Numbers are checked as Decimal and sent as
the Decimal's own text, so DynamoDB stores exactly what the file said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring_ascii as json_string
from operator import itemgetter

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
# Already in Decimal's own form (no '+', no leading zeros, no exponent, few digits): sent as written.
_PLAIN_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,29})(?:\.[0-9]{1,6})?")
_PLAIN_INTEGER = re.compile(r"0|[1-9][0-9]{0,17}")
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


def parse_decimal(column: str, text: str) -> str:
    """The number's exact text as DynamoDB gets it (Decimal's own form)."""
    value = text.strip()
    if _PLAIN_DECIMAL.fullmatch(value) and not (value[0] == "-" and column in NON_NEGATIVE):
        return value if value.strip("-0.") else "0"  # "-0", "0.00" -> 0: one value, one representation
    if not _DECIMAL.fullmatch(value):
        raise RowRejected(f"{column} {text!r} is not a plain decimal number")
    number = Decimal(value)
    if number.is_zero():
        return "0"
    if len(number.as_tuple().digits) > _MAX_DIGITS:
        raise RowRejected(f"{column} {text!r} has more than {_MAX_DIGITS} significant digits")
    if abs(number) > _MAX_MAGNITUDE:
        raise RowRejected(f"{column} {text!r} is out of DynamoDB's number range")
    if column in NON_NEGATIVE and number < 0:
        raise RowRejected(f"{column} {text!r} must not be negative")
    return str(number)


def parse_integer(column: str, text: str) -> str:
    """The whole number's text as DynamoDB gets it."""
    value = text.strip()
    if _PLAIN_INTEGER.fullmatch(value):
        return value
    if not _INTEGER.fullmatch(value) or len(value.lstrip("+-")) > _MAX_DIGITS:
        raise RowRejected(f"{column} {text!r} is not a whole number")
    number = int(value)
    if column in NON_NEGATIVE and number < 0:
        raise RowRejected(f"{column} {text!r} must not be negative")
    return str(number)


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


_PLAIN_NONZERO = r"(?=[0-9.]*[1-9])(?:0|[1-9][0-9]{0,29})(?:\.[0-9]{1,6})?"
# Every number of a row already in Decimal's own form, non-zero, in range and of the right sign: sent as written.
_ROW_NUMBERS = re.compile("\x00".join([r"(?:0|[1-9][0-9]{0,17})", _PLAIN_NONZERO, *(["-?" + _PLAIN_NONZERO] * 3)]))


class RowEncoder:
    """CSV rows of one file -> (OrderId, the item's attributes as DynamoDB wire JSON, without braces).

    Built for speed (it runs once per row): one C-level pick of the columns, one regex for all
    five numbers in the usual case, a date cache, one f-string. Any value off the fast path goes
    through the parse_* functions in column order, so the first problem is the one reported."""

    _DATE_CACHE_LIMIT = 1 << 16  # dates repeat across rows; the cache stays small

    def __init__(self, header: Header) -> None:
        pos = header.positions
        self._width = header.width
        order = (ORDER_ID, *STRING_COLUMNS, *DATE_COLUMNS, *INTEGER_COLUMNS, *DECIMAL_COLUMNS)
        self._pick = itemgetter(*(pos[c] for c in order))
        self._dates: dict[str, str] = {}

    def _date(self, column: str, text: str) -> str:
        if len(self._dates) >= self._DATE_CACHE_LIMIT:
            self._dates.clear()
        found = self._dates[text] = json_string(parse_date(column, text))
        return found

    def encode(self, row: Sequence[str]) -> tuple[str, str]:
        if len(row) != self._width:
            raise RowRejected(f"row has {len(row)} fields, the header has {self._width}")
        key, region, country, item, channel, priority, ordered, shipped, *numbers = self._pick(row)
        order_id = parse_order_id(key)
        dates = self._dates
        ordered = dates.get(ordered) or self._date("OrderDate", ordered)
        shipped = dates.get(shipped) or self._date("ShipDate", shipped)
        if not _ROW_NUMBERS.fullmatch("\x00".join(numbers)):
            numbers = [parse_integer(c, t) for c, t in zip(INTEGER_COLUMNS, numbers[:1], strict=True)] + [
                parse_decimal(c, t) for c, t in zip(DECIMAL_COLUMNS, numbers[1:], strict=True)
            ]
        sold, price, revenue, cost, profit = numbers
        q = json_string
        return order_id, (
            f'"OrderId":{{"S":{q(order_id)}}},"Region":{{"S":{q(region.strip())}}},'
            f'"Country":{{"S":{q(country.strip())}}},"ItemType":{{"S":{q(item.strip())}}},'
            f'"SalesChannel":{{"S":{q(channel.strip())}}},"OrderPriority":{{"S":{q(priority.strip())}}},'
            f'"OrderDate":{{"S":{ordered}}},"ShipDate":{{"S":{shipped}}},"UnitSold":{{"N":"{sold}"}},'
            f'"UnitPrice":{{"N":"{price}"}},"TotalRevenue":{{"N":"{revenue}"}},"TotalCost":{{"N":"{cost}"}},'
            f'"TotalProfit":{{"N":"{profit}"}}'
        )
