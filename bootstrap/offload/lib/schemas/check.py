"""`offload schema check S`: parse and check a schema file as the worker does; a summary when it is good."""

from __future__ import annotations

from pathlib import Path

from offload_worker.schema import Schema, SchemaError, load_schema


class Unusable(Exception):
    """The schema cannot be used; str() is its one line (`<file>:<line>: <field>: <what to write>`)."""


def check(path: Path) -> Schema:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise Unusable(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        return load_schema(data, str(path))
    except SchemaError as error:
        raise Unusable(str(error)) from None


def summary(schema: Schema) -> list[str]:
    """What the worker will do with it: the lines `offload schema check` prints."""
    file = schema.file
    if file.format == "csv":
        header = "first row" if file.header is None else f"given: {','.join(file.header)}"
        shape = f"csv, delimiter {file.delimiter!r}, quote {file.quote!r}, header {header}"
    else:
        shape = "jsonl (DynamoDB-JSON items)" if file.dynamodb_json else "jsonl"
    keys = ", ".join(f"{k.attribute} ({k.type}, {'partition' if k.role == 'HASH' else 'sort'})" for k in schema.keys)
    columns = ", ".join(
        f"{c.name}{f' as {c.attribute}' if c.attribute != c.name else ''}: {c.type}" for c in schema.columns
    )
    derived = ", ".join(f"{d.attribute} ({d.kind})" for d in schema.derived)
    return [
        f"{schema.source}: OK, schema {schema.name!r}",
        f"  digest   sha256:{schema.digest}",
        f"  file     {shape}; gzip or plain, found from its first bytes",
        f"  keys     {keys}",
        f"  columns  {len(schema.columns)}: {columns or '(the items as they are)'}",
        *([f"  derived  {derived}"] if derived else []),
        f"  duplicates {schema.duplicates}; output {','.join(schema.output_columns)}",
    ]
