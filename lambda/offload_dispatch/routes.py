"""Which site and schema a file belongs to (docs/contract.md `SITES`, `SCHEMAS`), and whether it may shard.

A file's key is INPUT_PREFIX + <site prefix> + <schema prefix> + rest: the site picks the task
definition (its role reads only its files), the schema the worker's SCHEMA_KEY and TABLE_NAME.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from offload_dispatch.settings import Schema, Settings, Site

GZIP_MAGIC = b"\x1f\x8b"  # RFC 1952: every gzip member starts with these two bytes
GZIP_WHOLE = "gzip: a compressed stream cannot be cut into byte ranges, so the file runs as one task"


@dataclass(frozen=True)
class Route:
    site: Site
    schema: Schema | None  # None: no schemas declared, the built-in orders schema into TABLE_NAME


def route(settings: Settings, key: str) -> Route | str:
    """The file's site and schema, or why it has none (one line, for its FAILED job)."""
    site = settings.site_for(key)
    if not settings.schemas:  # today's checks, in today's order
        problem = settings.layout.key_problem(key, settings.suffixes)
        return problem or (Route(site, None) if site else settings.no_site_reason())
    if site is None:
        return settings.no_site_reason()
    rest = key[len(site.input_prefix) :]
    under = [schema for schema in settings.schemas if rest.startswith(schema.prefix)]
    if not under:
        prefixes = ", ".join(site.input_prefix + s.prefix for s in settings.schemas)
        return (
            f"the file is under no schema's prefix, so no schema says how to load it: upload it under one of {prefixes}"
        )
    schema = max(under, key=lambda s: len(s.prefix))  # the longest prefix: the most specific declaration
    if not any(key.lower().endswith(suffix.lower()) for suffix in schema.suffixes):
        return (
            f"file name does not end in {' or '.join(schema.suffixes)} (the suffixes of schema {schema.name}): "
            "rename it, or add its suffix to the schema's `suffixes`"
        )
    return settings.layout.path_problem(key) or Route(site, schema)


def whole_file_reason(s3: Any, bucket: str, key: str, etag: str, schema: Schema | None) -> str | None:
    """Why a file whose size would shard it must run as one task; None: it may shard. Looks at its first
    two bytes (a ranged GET of that version: If-Match its ETag) for gzip, detected by content, never name."""
    if schema is not None and schema.whole_file:
        return f"the duplicates rule of schema {schema.name} needs every row of the file in one task, so it runs as one"
    try:
        head = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-1", IfMatch=etag)["Body"].read()
    except ClientError as error:  # gone or changed since the event: the worker fails it with the reason
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "PreconditionFailed", "412", "404"):
            return None
        raise
    return GZIP_WHOLE if head[:2] == GZIP_MAGIC else None
