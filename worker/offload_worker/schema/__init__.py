"""Declared schemas: a YAML file says what a file holds and where its rows go (docs/schemas.md).

load_schema parses and checks one (SchemaError: one line naming file, line and field);
Schema.compile makes a file's row encoder once, before its first row.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from offload_worker.schema.build import build
from offload_worker.schema.document import parse
from offload_worker.schema.encoder import Encoder
from offload_worker.schema.errors import SchemaError
from offload_worker.schema.model import Column, Derived, FileSpec, KeySpec, Schema
from offload_worker.schema.validate import check_structure

__all__ = [
    "Column",
    "Derived",
    "Encoder",
    "FileSpec",
    "KeySpec",
    "Schema",
    "SchemaError",
    "builtin_schema",
    "load_schema",
]


def load_schema(data: bytes, source: str) -> Schema:
    """Parse and check a schema file's bytes; `source` names it in messages (a file name or S3 key)."""
    document = parse(data, source)
    check_structure(document)
    return build(document, data)


@cache
def builtin_schema() -> Schema:
    """The orders schema the worker loads when no SCHEMA_KEY is set (the workshop's orders CSV)."""
    data = resources.files("offload_worker.schemas").joinpath("orders.yaml").read_bytes()
    return load_schema(data, "orders.yaml")
