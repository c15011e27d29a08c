"""DynamoDB-JSON lines (as ExportTable writes them): each record already is an item, loaded as it is.

The keys are read from its attributes (or a template over them), the derived attributes added;
every value, nested ones too, must be a typed DynamoDB value DynamoDB accepts (item_values.py),
so a malformed line is a rejected row, not a batch DynamoDB refuses whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from offload_worker.errors import RowRejected
from offload_worker.schema.dates import epoch_seconds
from offload_worker.schema.item_values import check_value
from offload_worker.schema.model import Schema
from offload_worker.schema.numbers import canonical, decimal_parser

_write_json = json.JSONEncoder(separators=(",", ":")).encode  # made once: json.dumps(...) makes one a call


def dynamodb_json_encoder(
    schema: Schema, constants: dict[str, str], confirm: Callable[[str], str]
) -> Callable[..., tuple[str, str, str]]:
    from offload_worker.load import report_line  # the reports' one writer of cells

    numbers = {k.attribute: decimal_parser(k.attribute) for k in schema.keys if k.type == "N"}

    def text(item: dict[str, Any], name: str) -> str:
        value = item.get(name)
        if not isinstance(value, dict) or len(value) != 1:
            raise RowRejected(f"item has no attribute {name}")
        found = next(iter(value.values()))
        if not isinstance(found, str):
            raise RowRejected(f"{name} is {next(iter(value))}, not a single S, N or B value")
        return found

    def encode(record: Any, line: int = 0) -> tuple[str, str, str]:
        if not isinstance(record, dict):  # the reader unwrapped ExportTable's {"Item": {...}} already
            raise RowRejected("line is not a DynamoDB-JSON item")
        for name, value in record.items():
            check_value(name, value)
        item = dict(record)
        for attribute, kind, index in schema.index_keys:  # DynamoDB refuses the item (index_keys.py)
            value = item.get(attribute)
            if value is not None and kind not in value:
                raise RowRejected(
                    f"{attribute} is {next(iter(value))}, but the table's index {index} keys it as {kind}"
                )
            if value is not None and value[kind] == "":
                raise RowRejected(f"{attribute} is empty, but it keys the table's index {index}: DynamoDB refuses that")
        identity = []
        for key in schema.keys:
            value = "".join(p.text if p.column is None else text(item, p.column.name) for p in key.parts)
            if not value:
                raise RowRejected(f"{key.attribute} is empty")
            if key.column is not None and key.column.name == key.attribute and key.type not in item[key.attribute]:
                written = next(iter(item[key.attribute]))
                raise RowRejected(f"{key.attribute} is {written}, the table's key is {key.type}")
            if key.type == "N":  # DynamoDB's one text of the number: {"N":"1.0"} and {"N":"1"} are one key
                value = canonical(numbers[key.attribute](value))
            item[key.attribute] = {key.type: value}
            identity.append(value)
        texts = {}
        for derived in schema.derived:
            if derived.kind == "uuid5":
                value = confirm("\x00".join(text(item, c.name) for c in derived.columns))
                item[derived.attribute] = {"S": value}
            elif derived.kind == "source":
                value = str(line) if derived.source == "line" else constants[derived.source]
                item[derived.attribute] = {"N" if derived.source == "line" else "S": value}
            elif (date := derived.columns[0].name) not in item:
                continue  # a TTL is omitted with its date
            else:
                value = str(ttl_epoch(text(item, date), date) + derived.days * 86400)
                item[derived.attribute] = {"N": value}
            texts[derived.attribute] = value
        out = report_line(texts.get(n) or text(item, n) for n in schema.output_columns)
        return "\x00".join(identity), _write_json(item), out

    return encode


def ttl_epoch(text: str, name: str) -> int:
    """A TTL's date attribute (ISO date or datetime text, or epoch seconds) as epoch seconds."""
    try:
        return epoch_seconds(text)
    except (ValueError, ArithmeticError):  # decimal.InvalidOperation is an ArithmeticError
        raise RowRejected(f"{name} {text!r} is not a date (ISO 8601 or epoch seconds)") from None
