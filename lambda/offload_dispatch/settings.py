"""Settings from the function's environment, checked once at cold start."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from offload_contract import env, jobs
from offload_contract.ids import job_site
from offload_contract.layout import Layout, parse_suffixes


class SettingsError(RuntimeError):
    """The function is misconfigured; the message names the variable to fix."""


@dataclass(frozen=True)
class Site:
    """A trust domain (terraform `sites`): the files under `input_prefix` run with its task
    definition, whose role may read only them, and its placement."""

    name: str
    input_prefix: str
    task_definition: str
    placement_constraint: str | None = None
    job_site: str = ""  # what its job ids begin with (offload_contract.ids.job_site); "": it takes every input


def parse_sites(value: str, input_prefix: str) -> tuple[Site, ...]:
    """SITES (docs/contract.md): JSON, name -> {prefix, task_definition, placement_constraint}."""
    try:
        sites = json.loads(value)
        parsed = tuple(
            Site(
                name=str(name),
                input_prefix=input_prefix + str(site.get("prefix") or ""),
                task_definition=str(site["task_definition"]),
                placement_constraint=site.get("placement_constraint") or None,
                job_site=job_site(str(name), str(site.get("prefix") or "")),
            )
            for name, site in sites.items()
        )
    except (ValueError, AttributeError, KeyError, TypeError) as error:
        raise SettingsError(
            f"{env.SITES} is not a JSON object of sites with a task_definition each ({error}): "
            "terraform sets it from the `sites` variable"
        ) from None
    if not parsed:
        raise SettingsError(f"{env.SITES} names no site: unset it for one site taking every input")
    return parsed


@dataclass(frozen=True)
class Schema:
    """A declared file type (terraform `schemas`): files under `prefix` (below their site's) load
    with the content-addressed schema object `key` into `table`."""

    name: str
    prefix: str
    key: str
    digest: str
    table: str
    suffixes: tuple[str, ...]
    whole_file: bool = False  # its duplicates rule (not `last`) needs every row in one task

    def claim_fields(self) -> dict[str, Any]:
        """What the job record keeps of it: reruns and the backlog start the job with these."""
        return {
            jobs.SCHEMA: self.name,
            jobs.SCHEMA_KEY: self.key,
            jobs.SCHEMA_DIGEST: self.digest,
            jobs.TABLE: self.table,
        }


def parse_schemas(value: str, default_suffixes: tuple[str, ...]) -> tuple[Schema, ...]:
    """SCHEMAS: JSON, name -> {prefix, key, digest, table, suffixes?, whole_file?}."""
    try:
        parsed = tuple(
            Schema(
                name=str(name),
                prefix=str(entry["prefix"]),
                key=str(entry["key"]),
                digest=str(entry["digest"]),
                table=str(entry["table"]),
                suffixes=tuple(str(suffix) for suffix in entry.get("suffixes") or ()) or default_suffixes,
                whole_file=entry.get("whole_file") is True,
            )
            for name, entry in json.loads(value).items()
        )
    except (ValueError, AttributeError, KeyError, TypeError) as error:
        raise SettingsError(
            f"{env.SCHEMAS} is not a JSON object of schemas with a prefix, key, digest and table each ({error}): "
            "terraform sets it from the `schemas` variable"
        ) from None
    if not parsed:
        raise SettingsError(f"{env.SCHEMAS} names no schema: unset it to load every file with the orders schema")
    return parsed


@dataclass(frozen=True)
class Settings:
    cluster: str
    task_definition: str
    container: str
    jobs_table: str
    table: str
    layout: Layout
    suffixes: tuple[str, ...]
    job_ttl_days: int
    stuck_after_seconds: int
    reconcile_after_seconds: int
    bucket: str  # the stack's: a record naming any other is dropped
    placement_constraint: str | None = None
    shard_bytes: int = env.DEFAULT_SHARD_BYTES
    max_shards: int = env.DEFAULT_MAX_SHARDS
    sites: tuple[Site, ...] = ()  # empty: one site taking every input (task_definition, placement_constraint)
    schemas: tuple[Schema, ...] = ()  # empty: every file is orders (the built-in schema) into `table`

    def site_for(self, key: str) -> Site | None:
        """The site whose prefix the key is under (terraform keeps them from overlapping); None: no site's."""
        if not self.sites:
            return Site("default", self.layout.input_prefix, self.task_definition, self.placement_constraint)
        return next((site for site in self.sites if key.startswith(site.input_prefix)), None)

    def no_site_reason(self) -> str:
        prefixes = ", ".join(site.input_prefix for site in self.sites)
        return f"the file is under no site's prefix, so no site may read it: upload it under one of {prefixes}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        def required(name: str) -> str:
            value = environ.get(name, "").strip()
            if not value:
                raise SettingsError(
                    f"{name} is not set on the dispatcher function: set it in its environment "
                    "(terraform/modules/dispatch sets it)"
                )
            return value

        ttl = environ.get(env.JOB_TTL_DAYS) or str(env.DEFAULT_JOB_TTL_DAYS)
        if not ttl.isdigit() or int(ttl) < 1:
            raise SettingsError(f"{env.JOB_TTL_DAYS}={ttl!r} must be a whole number of days >= 1")
        stuck = environ.get(env.STUCK_AFTER_SECONDS) or str(env.DEFAULT_STUCK_AFTER_SECONDS)
        if not stuck.isdigit() or int(stuck) < 60:
            raise SettingsError(f"{env.STUCK_AFTER_SECONDS}={stuck!r} must be a whole number of seconds >= 60")
        reconcile = environ.get(env.RECONCILE_AFTER_SECONDS) or str(env.DEFAULT_RECONCILE_AFTER_SECONDS)
        if not reconcile.isdigit() or int(reconcile) < 1:
            raise SettingsError(f"{env.RECONCILE_AFTER_SECONDS}={reconcile!r} must be a whole number of seconds >= 1")
        shard_bytes = environ.get(env.SHARD_BYTES) or str(env.DEFAULT_SHARD_BYTES)
        if not shard_bytes.isdigit() or int(shard_bytes) < 1:
            raise SettingsError(f"{env.SHARD_BYTES}={shard_bytes!r} must be a whole number of bytes >= 1")
        max_shards = environ.get(env.MAX_SHARDS) or str(env.DEFAULT_MAX_SHARDS)
        if not max_shards.isdigit() or not 1 <= int(max_shards) <= env.MAX_MAX_SHARDS:
            raise SettingsError(
                f"{env.MAX_SHARDS}={max_shards!r} must be a whole number from 1 to {env.MAX_MAX_SHARDS}"
            )
        try:
            layout = Layout.from_env(environ)
            suffixes = parse_suffixes(environ.get(env.INPUT_SUFFIXES))
        except ValueError as error:
            raise SettingsError(str(error)) from None
        sites_value = environ.get(env.SITES, "").strip()
        schemas_value = environ.get(env.SCHEMAS, "").strip()
        return cls(
            schemas=parse_schemas(schemas_value, suffixes) if schemas_value else (),
            sites=parse_sites(sites_value, layout.input_prefix) if sites_value else (),
            cluster=required(env.CLUSTER_NAME),
            task_definition=required(env.TASK_DEFINITION),
            container=required(env.CONTAINER_NAME),
            jobs_table=required(env.JOBS_TABLE),
            table=environ.get(env.TABLE_NAME) or env.DEFAULT_TABLE_NAME,
            layout=layout,
            suffixes=suffixes,
            job_ttl_days=int(ttl),
            stuck_after_seconds=int(stuck),
            reconcile_after_seconds=int(reconcile),
            bucket=required(env.S3_BUCKET_NAME),
            placement_constraint=environ.get(env.PLACEMENT_CONSTRAINT) or None,
            shard_bytes=int(shard_bytes),
            max_shards=int(max_shards),
        )


@cache
def settings() -> Settings:
    return Settings.from_env(os.environ)
