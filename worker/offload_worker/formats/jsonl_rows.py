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

_KINDS = {list: "an array", str: "a string", Decimal: "a number", bool: "true or false", type(None): "null"}


def jsonl_rows(lines: Iterable[str], dynamodb_json: bool, line: int = 1) -> Iterator[Row]:
    """`lines`: the file's text from a line start, that line being number `line`."""
    loads = json.loads
    for number, text in enumerate(lines, line):
        if not text.isascii() and (byte := _undecodable(text)):
            yield number, RowRejected(f"line is not UTF-8 text (byte {byte}): export the file as UTF-8")
            continue
        try:
            value = loads(text, parse_float=Decimal, parse_int=Decimal)
        except ValueError as error:
            if text.strip():
                detail = f"{error.msg} at column {error.pos + 1}" if isinstance(error, json.JSONDecodeError) else error
                yield number, RowRejected(f"line is not valid JSON: {detail}")
            continue
        if type(value) is not dict:
            kind = _KINDS.get(type(value), "not an object")
            yield number, RowRejected(f"line is {kind}, not a JSON object: write one object per line")
            continue
        if dynamodb_json and len(value) == 1 and type(value.get("Item")) is dict:
            value = value["Item"]  # ExportTable's lines: {"Item": {...}}
        yield number, value


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
