"""The live table's secondary-index keys against what the schema makes (DescribeTable's
GlobalSecondaryIndexes / LocalSecondaryIndexes and AttributeDefinitions).

DynamoDB refuses a write whose index key attribute has another type, is not a scalar, or is an
empty string or binary ("A value specified for a secondary index key is not supported. The
AttributeValue for a key attribute cannot contain an empty string value": the dynamodb-csv#41,
dynalite#184 reports; captured against DynamoDB by dynoxide#94). One such item fails its whole
batch, so a type that can never fit fails the job here, before any write, and an empty value
there is a rejected row (schema/encoder.py).
"""

from __future__ import annotations

from typing import Any

from offload_worker.errors import ConfigError
from offload_worker.schema import Schema

IndexKeys = tuple[tuple[str, str, str], ...]  # (attribute, S|N|B, index name)


def index_keys(table: str, schema: Schema, described: dict[str, Any], types: dict[str, str]) -> IndexKeys:
    found: dict[str, tuple[str, str]] = {}
    for index in (*described.get("GlobalSecondaryIndexes", []), *described.get("LocalSecondaryIndexes", [])):
        for key in index.get("KeySchema", []):
            name = key["AttributeName"]
            found.setdefault(name, (types.get(name, "?"), index["IndexName"]))
    made = _made(schema)
    for name, (kind, index_name) in sorted(found.items()):
        if name in made and made[name] != kind:
            what = made[name] or "a list, map, set or boolean"
            raise ConfigError(
                f"table {table}'s index {index_name} keys {name} as {kind}, but the schema {schema.name} makes "
                f"{name} {what}: give {name} a type whose value is {kind}, or name the attribute otherwise (`as`)"
            )
    return tuple((name, kind, index_name) for name, (kind, index_name) in sorted(found.items()))


def _made(schema: Schema) -> dict[str, str | None]:
    """Each attribute the schema writes -> its wire type (None: not S, N or B). A DynamoDB-JSON item's
    attributes are the file's: checked per row."""
    made: dict[str, str | None] = {c.attribute: c.wire for c in schema.columns}
    made |= {k.attribute: k.type for k in schema.keys}
    for derived in schema.derived:
        numeric = derived.kind == "ttl" or (derived.kind == "source" and derived.source == "line")
        made[derived.attribute] = "N" if numeric else "S"
    return made
