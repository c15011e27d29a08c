"""integer and decimal cells -> the exact number text DynamoDB gets (never a float).

DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 to 9.99...E+125 (positive or
negative) or zero (docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
A value already in Decimal's own form passes a regex and is sent as written; any other is
parsed as a Decimal. The messages are the orders loader's, word for word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Context, Decimal
from typing import Any

from offload_worker.errors import RowRejected
from offload_worker.schema.shown import shown

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_PLAIN_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,29})(?:\.[0-9]{1,6})?")
_PLAIN_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
MAX_DIGITS = 38
_MAX_MAGNITUDE = Decimal("9.9999999999999999999999999999999999999E+125")
_MIN_MAGNITUDE = Decimal("1E-130")
# One cell already in Decimal's form, non-zero: what a row's numbers pass together when all are plain.
_PLAIN_NONZERO = r"(?=[0-9.]*[1-9])(?:0|[1-9][0-9]{0,29})(?:\.[0-9]{1,6})?"
_PLAIN_NATURAL = r"(?:0|[1-9][0-9]{0,17})"

NumberParser = Callable[[Any], str]
_EXACT = Context(prec=MAX_DIGITS + 2)  # normalize() rounds to its context's precision: the default 28 is too few


def canonical(text: str) -> str:
    """A checked number's one text, as DynamoDB stores it ("leading and trailing zeroes are trimmed",
    HowItWorks.NamingRulesDataTypes): 1.50 -> 1.5, 1E+2 -> 100. A key's identity must be this text,
    or two spellings of one key escape `duplicates` and share a batch DynamoDB refuses whole."""
    number = Decimal(text)
    return "0" if number.is_zero() else format(number.normalize(_EXACT), "f")


def canonical_parser(parse: NumberParser) -> NumberParser:
    def parse_canonical(value: Any) -> str:
        return canonical(parse(value))

    return parse_canonical


def fast_pattern(kind: str, low: Decimal | None, high: Decimal | None) -> str | None:
    """The regex of a cell that needs no parsing (sent as written), or None when its bounds need a look."""
    if high is not None or (low is not None and low != 0):
        return None
    if kind == "integer":
        return _PLAIN_NATURAL if low == 0 else "(?:0|-?[1-9][0-9]{0,17})"
    return ("" if low == 0 else "-?") + _PLAIN_NONZERO


def _bounded(name: str, text: Any, number: Decimal, low: Decimal | None, high: Decimal | None) -> None:
    if low is not None and number < low:
        below = "must not be negative" if low == 0 else f"is below the minimum {low}"
        raise RowRejected(f"{name} {shown(text)} {below}")
    if high is not None and number > high:
        raise RowRejected(f"{name} {shown(text)} is above the maximum {high}")


def decimal_parser(name: str, low: Decimal | None = None, high: Decimal | None = None) -> NumberParser:
    unsigned = low is not None and low >= 0
    plain_ok = high is None and (low is None or low == 0)

    def parse(value: Any) -> str:
        if isinstance(value, Decimal):  # a JSON number (jsonl)
            return _checked_decimal(name, value, value, low, high)
        if not isinstance(value, str):
            raise RowRejected(f"{name} {shown(value)} is not a number")
        text = value.strip()
        if plain_ok and _PLAIN_DECIMAL.fullmatch(text) and not (text[0] == "-" and unsigned):
            return text if text.strip("-0.") else "0"  # "-0", "0.00" -> 0: one value, one representation
        if not _DECIMAL.fullmatch(text):
            raise RowRejected(f"{name} {shown(value)} is not a plain decimal number")
        return _checked_decimal(name, value, Decimal(text), low, high)

    return parse


def _checked_decimal(name: str, text: Any, number: Decimal, low: Decimal | None, high: Decimal | None) -> str:
    if not number.is_finite():
        raise RowRejected(f"{name} {shown(text)} is not a plain decimal number")
    if number.is_zero():
        _bounded(name, text, Decimal(0), low, high)
        return "0"
    digits = number.as_tuple().digits
    if len(digits) > MAX_DIGITS:  # DynamoDB counts digits after trimming zeros: 1.000...0 is 1
        if len("".join(map(str, digits)).rstrip("0")) > MAX_DIGITS:
            raise RowRejected(f"{name} {shown(text)} has more than {MAX_DIGITS} significant digits")
        number = number.normalize(_EXACT)
    if not _MIN_MAGNITUDE <= abs(number) <= _MAX_MAGNITUDE:
        raise RowRejected(f"{name} {shown(text)} is out of DynamoDB's number range")
    _bounded(name, text, number, low, high)
    return str(number)


def integer_parser(name: str, low: Decimal | None = None, high: Decimal | None = None) -> NumberParser:
    plain_ok = high is None and (low is None or low <= 0)
    unsigned = low is not None and low >= 0

    def parse(value: Any) -> str:
        if isinstance(value, Decimal):  # a JSON number: 12 or 12.0, not 12.5
            if not value.is_finite() or value != value.to_integral_value() or abs(value) >= Decimal(10) ** MAX_DIGITS:
                raise RowRejected(f"{name} {shown(value)} is not a whole number")
            number = int(value)
            _bounded(name, value, Decimal(number), low, high)
            return str(number)
        if not isinstance(value, str):
            raise RowRejected(f"{name} {shown(value)} is not a whole number")
        text = value.strip()
        if plain_ok and _PLAIN_INTEGER.fullmatch(text) and not (text[0] == "-" and unsigned) and text != "-0":
            return text
        if not _INTEGER.fullmatch(text) or len(text.lstrip("+-").lstrip("0")) > MAX_DIGITS:
            raise RowRejected(f"{name} {shown(value)} is not a whole number")
        number = int(text)
        _bounded(name, value, Decimal(number), low, high)
        return str(number)

    return parse
