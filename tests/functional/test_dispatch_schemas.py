"""Schemas in the dispatcher (issue 24): a file is routed by its site, then by its schema's prefix (the
longest that matches); its task gets the schema's object as SCHEMA_KEY and its table as TABLE_NAME, and
the claim keeps Schema, SchemaKey, SchemaDigest and Table, so a job started later from the backlog loads
with the version it was claimed with. A file under no schema's prefix, or without the schema's suffix,
is a FAILED job saying so. gzip and a duplicates rule other than `last` run as one task, and say why."""

from __future__ import annotations

import gzip
import importlib
import json
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.dispatcher import Context, jobs, load_handler, overrides_of, tasks
from tests.events import load, s3_message, sqs_event
from tests.twin_cluster import join_instance

pytestmark = pytest.mark.functional
BUCKET = "orders-bucket"
ORDERS_DIGEST, EVENTS_DIGEST, EU_DIGEST = "a" * 64, "b" * 64, "c" * 64


def _schema(name: str, prefix: str, digest: str, table: str, **extra: Any) -> dict[str, Any]:
    return {"prefix": prefix, "key": f"schemas/{name}/{digest}.yaml", "digest": digest, "table": table, **extra}


SCHEMAS = {
    "orders": _schema("orders", "orders/", ORDERS_DIGEST, "offload-orders"),
    "events": _schema("events", "events/", EVENTS_DIGEST, "offload-events", suffixes=[".jsonl", ".jsonl.gz"]),
    "eu": _schema("eu", "events/eu/", EU_DIGEST, "offload-eu", suffixes=[".jsonl"]),
    "firsts": _schema("firsts", "firsts/", "d" * 64, "offload-firsts", whole_file=True),
}


def _handler(monkeypatch: pytest.MonkeyPatch, schemas: dict[str, Any], **settings: str) -> ModuleType:
    monkeypatch.setenv("SCHEMAS", json.dumps(schemas))
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return load_handler(monkeypatch)


@pytest.fixture
def schemad(twin: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return _handler(monkeypatch, SCHEMAS, SHARD_BYTES="1000", MAX_SHARDS="3")


def _dispatch(handler: ModuleType, key: str, etag: str = "e1", size: int = 100) -> None:
    body = s3_message(BUCKET, [(key, etag)], size=size)
    assert handler.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}


def test_a_file_runs_with_the_schema_of_its_longest_prefix(schemad: ModuleType, twin: str) -> None:
    join_instance(twin)
    _dispatch(schemad, "incoming/events/eu/day1.jsonl")
    (task,) = tasks()
    given = overrides_of(task)
    assert given["SCHEMA_KEY"] == f"schemas/eu/{EU_DIGEST}.yaml"
    assert given["TABLE_NAME"] == "offload-eu"
    assert list(given) == ["S3_BUCKET_NAME", "S3_KEY", "STATUS_KEY", "JOB_ID", "JOBS_TABLE", "TABLE_NAME", "SCHEMA_KEY"]
    (record,) = jobs()
    assert record["Status"] == "QUEUED"
    assert (record["Schema"], record["SchemaKey"], record["SchemaDigest"], record["Table"]) == (
        "eu", f"schemas/eu/{EU_DIGEST}.yaml", EU_DIGEST, "offload-eu")


def test_a_file_under_no_schemas_prefix_fails_naming_the_prefixes(schemad: ModuleType, twin: str) -> None:
    join_instance(twin)
    _dispatch(schemad, "incoming/other/a.csv")
    assert tasks() == []
    (record,) = jobs()
    assert record["Status"] == "FAILED" and record["ExitCode"] == 1
    assert record["Reason"] == (
        "the file is under no schema's prefix, so no schema says how to load it: upload it under one of "
        "incoming/orders/, incoming/events/, incoming/events/eu/, incoming/firsts/"
    )
    assert "Schema" not in record


def test_a_file_without_its_schemas_suffix_fails_naming_them(schemad: ModuleType, twin: str) -> None:
    join_instance(twin)
    _dispatch(schemad, "incoming/events/day1.csv")
    assert tasks() == []
    (record,) = jobs()
    assert record["Status"] == "FAILED"
    assert record["Reason"] == (
        "file name does not end in .jsonl or .jsonl.gz (the suffixes of schema events): "
        "rename it, or add its suffix to the schema's `suffixes`"
    )


def test_a_schema_whose_duplicates_rule_is_not_last_runs_as_one_task(schemad: ModuleType, twin: str) -> None:
    join_instance(twin)
    _dispatch(schemad, "incoming/firsts/big.csv", size=10_000)  # 10 shards' worth at SHARD_BYTES=1000
    (task,) = tasks()
    assert "SHARD_RANGE" not in overrides_of(task)
    (record,) = jobs()
    assert "Shards" not in record
    assert record["WholeFileReason"] == (
        "the duplicates rule of schema firsts needs every row of the file in one task, so it runs as one")


def test_a_gzip_file_runs_as_one_task_and_a_plain_one_as_shards(schemad: ModuleType, twin: str) -> None:
    for _ in range(3):
        join_instance(twin)
    s3 = boto3.client("s3")
    packed = gzip.compress(b"".join(b'{"id": %d}\n' % n for n in range(2000)))
    gz = s3.put_object(Bucket=BUCKET, Key="incoming/events/big.jsonl.gz", Body=packed)["ETag"]
    plain = s3.put_object(Bucket=BUCKET, Key="incoming/events/big.jsonl", Body=b'{"id": 1}\n' * 1000)["ETag"]
    _dispatch(schemad, "incoming/events/big.jsonl.gz", gz, size=len(packed))
    _dispatch(schemad, "incoming/events/big.jsonl", plain, size=10_000)
    by_key = {r["Key"]: r for r in jobs()}
    whole = by_key["incoming/events/big.jsonl.gz"]
    assert "Shards" not in whole
    assert whole["WholeFileReason"] == (
        "gzip: a compressed stream cannot be cut into byte ranges, so the file runs as one task")
    sharded = by_key["incoming/events/big.jsonl"]
    assert sharded["ShardCount"] == 3 and "WholeFileReason" not in sharded
    started = [overrides_of(t) for t in tasks()]
    assert len(started) == 4  # the gzip file's one task and the plain file's three shards
    assert {o["SCHEMA_KEY"] for o in started} == {f"schemas/events/{EVENTS_DIGEST}.yaml"}
    assert sorted(o.get("SHARD_RANGE", "whole") for o in started) == ["0-3333", "3333-6666", "6666-10000", "whole"]


def test_a_job_started_from_the_backlog_loads_with_the_schema_it_was_claimed_with(
    twin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = _handler(monkeypatch, SCHEMAS)
    _dispatch(handler, "incoming/orders/a.csv")  # no instance yet: it waits in line
    (record,) = jobs()
    assert record["Status"] == "WAITING_FOR_CAPACITY" and record["SchemaDigest"] == ORDERS_DIGEST
    changed = {**SCHEMAS, "orders": _schema("orders", "orders/", "e" * 64, "offload-orders-v2")}
    monkeypatch.setenv("SCHEMAS", json.dumps(changed))  # terraform apply with a new version of the schema
    from offload_dispatch import settings

    settings.settings.cache_clear()
    import offload_dispatch.handler as module

    handler = importlib.reload(module)  # a cold start with the new SCHEMAS
    join_instance(twin)
    handler.task_state_handler(load("ecs_container_instance_state_change"), Context())
    (task,) = tasks()
    given = overrides_of(task)
    assert (given["SCHEMA_KEY"], given["TABLE_NAME"]) == (f"schemas/orders/{ORDERS_DIGEST}.yaml", "offload-orders")


def test_without_schemas_no_schema_key_and_no_schema_fields(handler: ModuleType, twin: str) -> None:
    join_instance(twin)
    _dispatch(handler, "incoming/a.csv")
    (task,) = tasks()
    given = overrides_of(task)
    assert "SCHEMA_KEY" not in given and given["TABLE_NAME"] == "Order"
    (record,) = jobs()
    assert not {"Schema", "SchemaKey", "SchemaDigest", "Table", "WholeFileReason"} & set(record)


def _failed_schema_job(schema_key: str) -> None:
    boto3.resource("dynamodb").Table("jobs").put_item(Item={
        "JobId": "j1", "Status": "FAILED", "Bucket": BUCKET, "Key": "incoming/events/a.jsonl", "ETag": '"e1"',
        "Attempts": 1, "Schema": "events", "SchemaKey": schema_key, "SchemaDigest": EVENTS_DIGEST,
        "Table": "offload-events"})


def _rerun_stack(twin: str) -> Any:
    from offload.lib.jobs.store import Stack
    from offload_contract.layout import Layout

    from tests.twin_cluster import CLUSTER, CONTAINER, FAMILY

    return Stack(region="us-east-1", bucket=BUCKET, layout=Layout(), jobs_table="jobs", orders_table="Order",
                 dlq_url="", cluster=CLUSTER, task_definition=FAMILY, container=CONTAINER, endpoint=twin)


def test_offload_rerun_loads_with_the_schema_version_the_job_started_with(schemad: ModuleType, twin: str) -> None:
    from offload.lib.jobs import rerun as reruns

    join_instance(twin)
    started_with = f"schemas/events/{EVENTS_DIGEST}.yaml"  # `schemas` has changed since: SCHEMAS names another
    boto3.client("s3").put_object(Bucket=BUCKET, Key=started_with, Body=b"schema: 1\n")
    _failed_schema_job(started_with)
    reruns.rerun(_rerun_stack(twin), "j1")
    (task,) = tasks()
    given = overrides_of(task)
    assert (given["SCHEMA_KEY"], given["TABLE_NAME"]) == (started_with, "offload-events")


def test_offload_rerun_refuses_when_the_jobs_schema_version_is_gone(schemad: ModuleType, twin: str) -> None:
    from offload.lib.jobs import rerun as reruns

    join_instance(twin)
    _failed_schema_job("schemas/events/gone.yaml")
    with pytest.raises(reruns.RerunRefused, match=r"schemas/events/gone\.yaml, which is no longer in the bucket"):
        reruns.rerun(_rerun_stack(twin), "j1")
    assert tasks() == []
    (record,) = jobs()
    assert record["Status"] == "FAILED" and record["Attempts"] == 1  # nothing claimed, nothing half-written
