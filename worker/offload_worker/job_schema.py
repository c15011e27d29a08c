"""The job's schema: SCHEMA_KEY's object (checked against the digest its key names) or the built-in
orders schema; and the live table checked against the schema's keys before the file is read."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from offload_worker.errors import AccessDenied, ConfigError, WorkerError
from offload_worker.identity import caller
from offload_worker.index_keys import index_keys
from offload_worker.schema import Encoder, Schema, SchemaError, builtin_schema, load_schema

# Terraform uploads each schema content-addressed: schemas/<name>/<sha256 of its bytes>.yaml
_CONTENT_ADDRESSED = re.compile(r"(?:^|/)schemas/[^/]+/(?P<digest>[0-9a-f]{64})\.yaml$")
_KEY_ROLES = {"HASH": "partition key", "RANGE": "sort key"}


@dataclass(frozen=True)
class SchemaFile:
    """A schema as load processes get it (its bytes: a compiled one does not cross processes)."""

    data: bytes | None = None  # None: the built-in orders schema
    source: str = ""
    index_keys: tuple[tuple[str, str, str], ...] = ()  # the table's, found by check_table

    def load(self) -> Schema:
        loaded = builtin_schema() if self.data is None else load_schema(self.data, self.source)
        return replace(loaded, index_keys=self.index_keys) if self.index_keys else loaded


def fetch_schema(s3: Any, bucket: str, key: str | None) -> tuple[SchemaFile, Schema]:
    """The schema the job loads with; ConfigError (one line) when it cannot be read or is not valid."""
    if not key:
        return SchemaFile(), builtin_schema()
    where = f"s3://{bucket}/{key}"
    named = _CONTENT_ADDRESSED.search(key)
    if named is None:
        raise ConfigError(f"SCHEMA_KEY {key!r} is not schemas/<name>/<sha256>.yaml, as Terraform uploads schemas")
    try:
        data: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NotFound"):
            raise ConfigError(f"schema {where} does not exist: `terraform apply` uploads it") from None
        if code in ("AccessDenied", "403", "Forbidden"):
            raise AccessDenied(
                f"S3 denied s3:GetObject on schema {where} to {caller()}: grant the task role it"
            ) from None
        raise WorkerError(f"cannot read schema {where}: {code or error}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != named["digest"]:
        raise ConfigError(
            f"schema {where} has sha256 {digest}, not the {named['digest']} its key names: upload it again"
        )
    try:
        return SchemaFile(data, key), load_schema(data, key)
    except SchemaError as error:
        raise ConfigError(str(error)) from None


def _describe(keys: list[tuple[str, str, str]]) -> str:
    return " and ".join(f"{_KEY_ROLES[role]} {name} ({kind})" for name, role, kind in keys)


def checked_schema(dynamodb: Any, table: str, schema: tuple[SchemaFile, Schema]) -> tuple[SchemaFile, Schema]:
    """check_table; the schema then knows the table's index keys (so do the load processes' copies)."""
    index_keys = check_table(dynamodb, table, schema[1])
    if not index_keys:
        return schema
    return replace(schema[0], index_keys=index_keys), replace(schema[1], index_keys=index_keys)


def check_table(dynamodb: Any, table: str, schema: Schema) -> tuple[tuple[str, str, str], ...]:
    """DescribeTable: the table's key attributes and types must be the schema's, and an attribute the
    schema makes that a secondary index keys must have that key's type; else the job fails before any
    write. Answers the index keys (attribute, type, index)."""
    try:
        described = dynamodb.meta.client.describe_table(TableName=table)["Table"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise ConfigError(
                f"table {table} does not exist: create it or set TABLE_NAME to the schema's table"
            ) from None
        if code in ("AccessDeniedException", "AccessDenied", "UnrecognizedClientException"):
            raise AccessDenied(
                f"DynamoDB denied dynamodb:DescribeTable on {table} to {caller()}: grant the task role it "
                "(terraform/modules/cluster does)"
            ) from None
        raise WorkerError(f"cannot describe table {table}: {code or error}") from None
    types = {a["AttributeName"]: a["AttributeType"] for a in described.get("AttributeDefinitions", [])}
    order = {"HASH": 0, "RANGE": 1}
    live = sorted(
        ((k["AttributeName"], k["KeyType"], types.get(k["AttributeName"], "?")) for k in described["KeySchema"]),
        key=lambda k: order[k[1]],
    )
    declared = sorted(((k.attribute, k.role, k.type) for k in schema.keys), key=lambda k: order[k[1]])
    if live != declared:
        raise ConfigError(
            f"table {table} has {_describe(live)}; the schema {schema.name} declares {_describe(declared)}: "
            "load into a table with the schema's keys, or change the schema's table section"
        )
    return index_keys(table, schema, described, types)


@dataclass(frozen=True)
class FileLoad:
    """What every load loop of one file shares: the schema, the file's header, its compiled encoder."""

    schema_file: SchemaFile
    schema: Schema
    names: list[str] | None  # the csv header (from the file or the schema); None for jsonl
    encoder: Encoder
    etag: str
