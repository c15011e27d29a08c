"""The schema file's structure as JSON Schema (draft 2020-12), checked with `jsonschema`.

What JSON Schema cannot say (a reference names a declared column, a default is a valid value
of its type) build.py checks next, with the same one-line errors.
"""

from __future__ import annotations

from typing import Any

TYPES = ("string", "integer", "decimal", "boolean", "date", "datetime", "string_set", "number_set", "json", "binary")
SOURCES = ("bucket", "key", "etag", "line")
EMPTY = ("omit", "null", "reject")
DUPLICATES = ("last", "first", "reject")

_TEXT = {"type": "string", "minLength": 1}
_NAME = {"type": "string", "minLength": 1, "maxLength": 255}  # DynamoDB: key attribute names 1-255 bytes (characters
# here: a non-ASCII name may still be over 255 bytes)
_KEY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["attribute", "type", "value"],
    "properties": {"attribute": _NAME, "type": {"enum": ["S", "N", "B"]}, "value": _TEXT},
}
_COLUMN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "type"],
    "properties": {
        "name": _TEXT,
        "type": {"enum": list(TYPES)},
        "as": _NAME,
        "required": {"type": "boolean"},
        "optional": {"type": "boolean"},
        "trim": {"type": "boolean"},
        "default": {"type": "string"},
        "empty": {"enum": list(EMPTY)},
        "min": {"type": "number"},
        "max": {"type": "number"},
        "enum": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "pattern": _TEXT,
        "max_length": {"type": "integer", "minimum": 1},
        "true": {"type": "array", "minItems": 1, "items": _TEXT},
        "false": {"type": "array", "minItems": 1, "items": _TEXT},
        "format": _TEXT,
        "output": {"enum": ["iso", "epoch"]},
        "separator": {"type": "string", "minLength": 1, "maxLength": 1},
    },
}
_DERIVED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["as"],
    "minProperties": 2,
    "maxProperties": 2,
    "properties": {
        "as": _NAME,
        "uuid5": {"type": "array", "minItems": 1, "items": _TEXT},
        "source": {"enum": list(SOURCES)},
        "ttl": {
            "type": "object",
            "additionalProperties": False,
            "required": ["from", "days"],
            "properties": {"from": _TEXT, "days": {"type": "integer", "minimum": 0}},
        },
    },
}
STRUCTURE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema", "file", "table", "columns"],
    "properties": {
        "schema": {"const": 1},
        "name": _TEXT,
        "file": {
            "type": "object",
            "additionalProperties": False,
            "required": ["format"],
            "properties": {
                "format": {"enum": ["csv", "jsonl"]},
                "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
                "quote": {"type": "string", "minLength": 1, "maxLength": 1},
                "header": {
                    "oneOf": [
                        {"const": "first-row"},
                        {"type": "array", "minItems": 1, "uniqueItems": True, "items": _TEXT},
                    ],
                },
                "dynamodb_json": {"type": "boolean"},
            },
        },
        "table": {
            "type": "object",
            "additionalProperties": False,
            "required": ["partition_key"],
            "properties": {"partition_key": _KEY, "sort_key": _KEY},
        },
        "columns": {"type": "array", "items": _COLUMN},
        "derived": {"type": "array", "items": _DERIVED},
        "duplicates": {"enum": list(DUPLICATES)},
        "output": {
            "type": "object",
            "additionalProperties": False,
            "required": ["columns"],
            "properties": {"columns": {"type": "array", "minItems": 1, "uniqueItems": True, "items": _TEXT}},
        },
    },
}
