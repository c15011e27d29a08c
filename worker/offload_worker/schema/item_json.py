"""DynamoDB-JSON lines (as ExportTable writes them): each record already is an item, loaded as it is.

The keys are read from its attributes (or a template over them), the derived attributes added;
each top-level value must be one typed DynamoDB value, so a malformed line is a rejected row,
not a batch DynamoDB refuses whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from offload_worker.errors import RowRejected
from offload_worker.schema.dates import epoch_seconds
from offload_worker.schema.model import Schema

_write_json = json.JSONEncoder(separators=(",", ":")).encode  # made once: json.dumps(...) makes one a call
_TYPES = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})


def dynamodb_json_encoder(
    schema: Schema, constants: dict[str, str], confirm: Callable[[str], str]
) -> Callable[..., tuple[str, str, str]]:
    from offload_worker.load import report_line  # the reports' one writer of cells

    def text(item: dict[str, Any], name: str) -> str:
        value = item.get(name)
        if not isinstance(value, dict) or len(value) != 1:
            raise RowRejected(f"item has no attribute {name}")
        found = next(iter(value.values()))
        if not isinstance(found, str):
            raise RowRejected(f"{name} is {next(iter(value))}, not a single S, N or B value")
        return found

    def encode(record: Any, line: int = 0) -> tuple[str, str, str]:
        item = record.get("Item", record) if isinstance(record, dict) else None
        if not isinstance(item, dict):
            raise RowRejected("line is not a DynamoDB-JSON item")
        for name, value in item.items():
            if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in _TYPES:
                raise RowRejected(f'{name} is not a DynamoDB-JSON value such as {{"S": "text"}}')
        item = dict(item)
        identity = []
        for key in schema.keys:
            value = "".join(p.text if p.column is None else text(item, p.column.name) for p in key.parts)
            if not value:
                raise RowRejected(f"{key.attribute} is empty")
            if key.column is None or key.column.name != key.attribute:
                item[key.attribute] = {key.type: value}
            elif key.type not in item[key.attribute]:
                written = next(iter(item[key.attribute]))
                raise RowRejected(f"{key.attribute} is {written}, the table's key is {key.type}")
            identity.append(value)
        texts = {}
        for derived in schema.derived:
            if derived.kind == "uuid5":
                value = confirm("\x00".join(text(item, c.name) for c in derived.columns))
                item[derived.attribute] = {"S": value}
            elif derived.kind == "source":
                value = str(line) if derived.source == "line" else constants[derived.source]
                item[derived.attribute] = {"N" if derived.source == "line" else "S": value}
            else:
                value = str(epoch_seconds(text(item, derived.columns[0].name)) + derived.days * 86400)
                item[derived.attribute] = {"N": value}
            texts[derived.attribute] = value
        out = report_line(texts.get(n) or text(item, n) for n in schema.output_columns)
        return "\x00".join(identity), _write_json(item), out

    return encode
