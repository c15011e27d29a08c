"""JSON Lines rows: (line number, the line's JSON object), numbers kept exact as Decimal.

A line is what the CSV reader calls one (\\n, \\r\\n or \\r ends it; JSON text holds no raw line
break), so a shard's boundary is simply a line start. A line that is not a JSON object, or not
UTF-8, is a rejected row with its line number; blank lines are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from json.encoder import encode_basestring as json_string
from typing import Any

from offload_worker.errors import RowRejected
from offload_worker.formats.csv_rows import Row

# Made once: json.loads with options builds a new decoder on every call (about 3 us a line).
_read = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal).decode
_KINDS = {list: "an array", str: "a string", Decimal: "a number", bool: "true or false", type(None): "null"}


def jsonl_rows(lines: Iterable[str], dynamodb_json: bool, line: int = 1) -> Iterator[Row]:
    """`lines`: the file's text from a line start, that line being number `line`."""
    loads = _read
    for number, text in enumerate(lines, line):
        if not text.isascii() and (byte := _undecodable(text)):
            yield number, RowRejected(f"line is not UTF-8 text (byte {byte}): export the file as UTF-8")
            continue
        try:
            value = loads(text)
        except RecursionError:  # nested past Python's limit (DynamoDB's is 32 levels)
            yield number, RowRejected("line nests too deep to read: DynamoDB takes at most 32 levels")
            continue
        except ValueError as error:
            if text.strip():
                detail = f"{error.msg} at column {error.pos + 1}" if isinstance(error, json.JSONDecodeError) else error
                yield number, RowRejected(f"line is not valid JSON: {detail}")
            continue
        if ("\\ud" in text or "\\uD" in text) and _lone_surrogate(value):  # only a line with such an escape is walked
            yield number, RowRejected("line holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff): it is no text")
            continue
        if type(value) is not dict:
            kind = _KINDS.get(type(value), "not an object")
            yield number, RowRejected(f"line is {kind}, not a JSON object: write one object per line")
            continue
        if dynamodb_json and len(value) == 1 and _exported(value.get("Item")):
            value = value["Item"]  # ExportTable's lines: {"Item": {...}}; unwrapped here only, once
        yield number, value


def _exported(inner: Any) -> bool:
    """{"Item": <item>}, not an item whose one attribute is named Item ({"Item": {"S": "x"}})."""
    return type(inner) is dict and all(type(v) is dict for v in inner.values())


def _lone_surrogate(value: Any) -> bool:
    """A decoded pair is one character: a surrogate left in a string is an unpaired escape."""
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(_lone_surrogate(v) for v in value)


def _undecodable(text: str) -> str | None:
    for char in text:
        if "\udc80" <= char <= "\udcff":
            return f"0x{ord(char) - 0xDC00:02x}"
    return None


def json_text(value: Any) -> str:
    """A record as JSON again for the rejects report, numbers as the file wrote them."""
    if isinstance(value, dict):
        return "{" + ",".join(json_string(str(k)) + ":" + json_text(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
