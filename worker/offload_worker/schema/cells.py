"""string, boolean, set, json and binary cells -> their DynamoDB value.

A string (and binary) parser answers the value's text; the others answer the attribute's
whole wire value (`{"BOOL":true}`, `{"SS":[...]}`, `{"M":{...}}`). Set items must be unique and a
set cannot be empty (DynamoDB: "Each value within a set must be unique ... DynamoDB does not
support empty sets"), so items are trimmed, empty ones dropped and repeats kept once.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from decimal import Decimal
from json.encoder import encode_basestring_ascii as json_string
from typing import Any

from offload_worker.errors import RowRejected
from offload_worker.schema.item_values import MAX_CONTAINERS, nesting_rejected
from offload_worker.schema.model import Column
from offload_worker.schema.numbers import decimal_parser
from offload_worker.schema.shown import shown

Parser = Callable[[Any], str]
# Made once: json.loads / json.dumps with options build a new decoder / encoder on every call (~3 us).
_read_json = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal).decode
_write_json = json.JSONEncoder(separators=(",", ":")).encode


def string_parser(column: Column) -> Parser:
    name, trim, limit = column.name, column.trim, column.max_length
    allowed = frozenset(column.enum) if column.enum is not None else None
    pattern = re.compile(column.pattern) if column.pattern else None

    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise RowRejected(f"{name} {shown(value)} is not text")
        text = value.strip() if trim else value
        if allowed is not None and text not in allowed:
            raise RowRejected(f"{name} {shown(value)} is not one of {', '.join(column.enum or ())}")
        if pattern is not None and not pattern.fullmatch(text):
            raise RowRejected(f"{name} {shown(value)} does not match {column.pattern}")
        if limit is not None and len(text) * 4 > limit and len(text.encode("utf-8", "surrogateescape")) > limit:
            raise RowRejected(f"{name} is longer than {limit} bytes")
        return text

    return parse


def boolean_parser(column: Column) -> Parser:
    """Only the declared spellings (any letter case): anything else is a rejected row, never a guess."""
    spelled = {s.casefold(): "true" for s in column.true} | {s.casefold(): "false" for s in column.false}
    choices = ", ".join([*column.true, *column.false])
    name = column.name

    def parse(value: Any) -> str:
        if value is True or value is False:  # a JSON boolean
            return '{"BOOL":true}' if value else '{"BOOL":false}'
        found = spelled.get(value.strip().casefold()) if isinstance(value, str) else None
        if found is None:
            raise RowRejected(f"{name} {shown(value)} is not a boolean: write one of {choices}")
        return '{"BOOL":' + found + "}"

    return parse


def _items(name: str, value: Any, separator: str) -> list[Any]:
    """A set's items: a JSON list's (jsonl), or the text's split at the separator; nothing else is a set."""
    if isinstance(value, list):
        return [v.strip() if isinstance(v, str) else v for v in value]
    if not isinstance(value, str):
        raise RowRejected(f"{name} {shown(value)} is not text or a list")
    return [item.strip() for item in value.split(separator)]


def string_set_parser(column: Column) -> Parser:
    name, separator = column.name, column.separator

    def parse(value: Any) -> str:
        items = [i for i in dict.fromkeys(_items(name, value, separator)) if i != ""]
        if not all(isinstance(i, str) for i in items):
            raise RowRejected(f"{name} {shown(value)} holds an item that is not text")
        if not items:
            raise RowRejected(f"{name} {shown(value)} has no items (DynamoDB has no empty sets)")
        return '{"SS":[' + ",".join(json_string(i) for i in items) + "]}"

    return parse


def number_set_parser(column: Column) -> Parser:
    name, separator = column.name, column.separator
    number = decimal_parser(name, column.min, column.max)

    def parse(value: Any) -> str:
        texts = [number(i) for i in _items(name, value, separator) if i != ""]
        unique = list({Decimal(t): t for t in reversed(texts)}.values())[::-1]  # 1 and 1.0 are one number
        if not unique:
            raise RowRejected(f"{name} {shown(value)} has no items (DynamoDB has no empty sets)")
        return '{"NS":[' + ",".join(f'"{t}"' for t in unique) + "]}"

    return parse


def json_parser(column: Column) -> Parser:
    """A map or a list: a JSON value in a CSV cell, or the value itself in a JSON Lines record."""
    name = column.name
    number = decimal_parser(name)

    def wire(value: Any, containers: int = 0) -> Any:
        if isinstance(value, dict | list) and containers >= MAX_CONTAINERS:
            raise nesting_rejected(name)
        if isinstance(value, str):
            return {"S": value}
        if value is True or value is False:
            return {"BOOL": value}
        if value is None:
            return {"NULL": True}
        if isinstance(value, Decimal):
            return {"N": number(value)}
        if isinstance(value, dict):
            return {"M": {str(k): wire(v, containers + 1) for k, v in value.items()}}
        if isinstance(value, list):
            return {"L": [wire(v, containers + 1) for v in value]}
        raise RowRejected(f"{name} holds {shown(value)}, which is not a JSON value")

    def parse(value: Any) -> str:
        if isinstance(value, str):
            try:
                value = _read_json(value)
            except ValueError as error:
                raise RowRejected(f"{name} is not JSON ({error})") from None
            except RecursionError:  # nested past Python's limit, far past DynamoDB's
                raise nesting_rejected(name) from None
        if not isinstance(value, dict | list):
            raise RowRejected(f"{name} {shown(value)} is not a JSON map or list")
        return _write_json(wire(value))

    return parse


def binary_parser(column: Column) -> Parser:
    """base64 text -> the same bytes in canonical base64 (the wire form of B)."""
    name = column.name

    def parse(value: Any) -> str:
        try:
            data = base64.b64decode(value.strip() if isinstance(value, str) else b"?", validate=True)
        except (binascii.Error, ValueError):
            raise RowRejected(f"{name} {shown(value)} is not base64") from None
        return base64.b64encode(data).decode("ascii")

    return parse
