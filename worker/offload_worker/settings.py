"""The worker's settings, read once from the environment (docs/contract.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from offload_contract import env
from offload_contract.layout import Layout
from offload_contract.shards import parse_range

from offload_worker.errors import ConfigError
from offload_worker.limits import task_plan


@dataclass(frozen=True)
class Settings:
    region: str
    bucket: str
    key: str
    etag: str | None
    job_id: str | None
    table: str
    jobs_table: str | None
    layout: Layout
    write_concurrency: int
    processes: int
    write_deadline_seconds: int
    progress_seconds: int
    cluster: str | None  # the ECS cluster: the dimension of the job's metrics
    shard: tuple[int, int, int, int] | None = None  # (index, count, start, end) of a shard task
    shard_wait_seconds: int = env.DEFAULT_SHARD_WAIT_SECONDS
    processes_reason: str = ""  # why `processes` (limits.py), for the job record
    schema_key: str | None = None  # the schema object in `bucket`; None: the built-in orders schema

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        def required(name: str) -> str:
            value = environ.get(name, "")
            if not value:
                raise ConfigError(
                    f"{name} is not set: the dispatcher passes it as a container override; "
                    "set it to run the worker by hand"
                )
            return value

        def bounded(name: str, default: int, low: int, high: int) -> int:
            text = environ.get(name) or str(default)
            if not text.isdigit() or not low <= int(text) <= high:
                raise ConfigError(f"{name}={text!r} must be a whole number from {low} to {high}")
            return int(text)

        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise ConfigError("AWS_REGION is not set: set it to the region of the bucket and tables")
        try:
            layout = Layout.from_env(environ)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        processes = task_plan(environ.get(env.WORKER_PROCESSES), environ.get(env.WORKER_CPU_UNITS))
        return cls(
            shard=_shard(environ),
            shard_wait_seconds=bounded(env.SHARD_WAIT_SECONDS, env.DEFAULT_SHARD_WAIT_SECONDS, 1, 86400),
            region=region,
            bucket=required(env.S3_BUCKET_NAME),
            key=required(env.S3_KEY),
            etag=environ.get(env.STATUS_KEY) or None,
            job_id=environ.get(env.JOB_ID) or None,
            table=environ.get(env.TABLE_NAME) or env.DEFAULT_TABLE_NAME,
            schema_key=environ.get(env.SCHEMA_KEY) or None,
            jobs_table=environ.get(env.JOBS_TABLE) or None,
            layout=layout,
            write_concurrency=bounded(
                env.WRITE_CONCURRENCY, env.DEFAULT_WRITE_CONCURRENCY, 1, env.MAX_WRITE_CONCURRENCY
            ),
            processes=processes.count,
            processes_reason=processes.reason,
            write_deadline_seconds=bounded(env.WRITE_DEADLINE_SECONDS, env.DEFAULT_WRITE_DEADLINE_SECONDS, 1, 86400),
            cluster=environ.get(env.CLUSTER_NAME) or None,
            progress_seconds=bounded(env.PROGRESS_SECONDS, env.DEFAULT_PROGRESS_SECONDS, 1, 3600),
        )


def _shard(environ: Mapping[str, str]) -> tuple[int, int, int, int] | None:
    given = [environ.get(name) for name in env.SHARD_OVERRIDES]
    if not any(given):
        return None
    index, count, span = given
    if not (index and count and span and index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise ConfigError(
            f"{', '.join(env.SHARD_OVERRIDES)} must all be set, with {env.SHARD_INDEX} below {env.SHARD_COUNT}: "
            "the dispatcher sets them on a shard task"
        )
    if not environ.get(env.JOBS_TABLE):
        raise ConfigError(f"a shard task needs {env.JOBS_TABLE}: its shards meet in the job record")
    try:
        start, end = parse_range(span)
    except ValueError as error:
        raise ConfigError(f"{env.SHARD_RANGE}: {error}") from None
    return int(index), int(count), start, end
