"""The dispatcher's handler against the twin over HTTP, with SQS events as AWS sends them."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import boto3
import pytest
from offload_contract import job_id
from offload_dispatch.s3_records import epoch_ms

from tests.dispatcher import Context, jobs, overrides_of, tasks
from tests.events import load, s3_message, sqs_event
from tests.figures import say
from tests.twin_cluster import join_instance

pytestmark = pytest.mark.functional
BUCKET = "orders-bucket"


def test_duplicates_in_one_batch_and_a_later_batch_start_one_task(handler: ModuleType, twin: str) -> None:
    join_instance(twin)
    body = s3_message(BUCKET, [("incoming/a.csv", '"etag-a"')])
    first = handler.lambda_handler(sqs_event(body, body, body), Context())
    later = handler.lambda_handler(sqs_event(body), Context())
    started = tasks()
    say(f"dup x4: tasks={len(started)} jobs={len(jobs())}")
    assert first == {"batchItemFailures": []} and later == {"batchItemFailures": []}
    assert len(started) == 1 and len(jobs()) == 1
    (record,) = jobs()
    assert record["Status"] == "QUEUED" and record["TaskArn"] == started[0]["taskArn"]
    assert record["JobId"] == job_id(BUCKET, "incoming/a.csv", "etag-a")
    assert started[0]["launchType"] == "EXTERNAL"


def test_awkward_key_reaches_the_task_decoded(handler: ModuleType, twin: str) -> None:
    join_instance(twin)
    key = "incoming/my orders+ü%.csv"
    handler.lambda_handler(sqs_event(s3_message(BUCKET, [(key, "e1")])), Context())
    (task,) = tasks()
    assert overrides_of(task) == {
        "S3_BUCKET_NAME": BUCKET, "S3_KEY": key, "STATUS_KEY": "e1",
        "JOB_ID": job_id(BUCKET, key, "e1"), "JOBS_TABLE": "jobs", "TABLE_NAME": "Order",
    }


def _host_joined() -> dict[str, Any]:
    return load("ecs_container_instance_state_change")


def test_no_instance_acknowledges_the_record_and_the_job_waits_in_line(handler: ModuleType) -> None:
    waiting = s3_message(BUCKET, [("incoming/w.csv", "e1")])
    ignored = s3_message(BUCKET, [("processed/w.csv", "e2")])
    event = sqs_event(waiting, ignored)
    event["Records"].append(load("sqs_s3_test_event")["Records"][0])
    response = handler.lambda_handler(event, Context())
    assert response == {"batchItemFailures": []}  # the ledger holds the file: SQS must not redeliver it
    (record,) = jobs()
    assert record["Status"] == "WAITING_FOR_CAPACITY" and "No Container Instances" in record["Reason"]
    arrived = json.loads(waiting)["Records"][0]["eventTime"]
    assert record["WaitingLine"] == "waiting" and record["WaitingSince"] == epoch_ms(arrived)
    assert tasks() == []


def test_full_instance_waits_in_line_then_a_joining_host_starts_it_once(handler: ModuleType, twin: str) -> None:
    join_instance(twin, memory_mib=256)  # the task needs 512
    body = s3_message(BUCKET, [("incoming/big.csv", "e1")])
    assert handler.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    (record,) = jobs()
    assert record["Status"] == "WAITING_FOR_CAPACITY" and "RESOURCE:MEMORY" in record["Reason"]
    join_instance(twin)  # capacity arrives: ECS says so with a container instance state change
    assert handler.task_state_handler(_host_joined(), Context())["result"].startswith("backlog pass: 1 task(s)")
    handler.task_state_handler(_host_joined(), Context())  # the event repeated: nothing new
    assert handler.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}  # S3 repeating itself
    (record,) = jobs()
    assert len(tasks()) == 1 and record["Status"] == "QUEUED" and record["TaskArn"] == tasks()[0]["taskArn"]
    assert "Reason" not in record and "WaitingSince" not in record and "WaitingLine" not in record


def test_keys_outside_the_input_prefix_start_nothing(handler: ModuleType, twin: str) -> None:
    join_instance(twin)
    body = s3_message(BUCKET, [("processed/a.csv", "e"), ("rejected/a.csv.rejects.csv", "e"),
                               ("elsewhere/a.csv", "e"), ("incoming/", "e")])
    assert handler.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    assert tasks() == [] and jobs() == []


def test_unloadable_input_keys_are_refused_with_a_reason_and_no_task(handler: ModuleType, twin: str) -> None:
    join_instance(twin)
    body = s3_message(BUCKET, [("incoming/a.txt", "e"), ("incoming/../a.csv", "e")])
    for _ in range(2):  # a repeated event changes nothing
        assert handler.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    assert tasks() == []
    reasons = sorted((j["Key"], j["Status"], j["ExitCode"], j["Reason"].split(":")[0]) for j in jobs())
    assert reasons == [
        ("incoming/../a.csv", "FAILED", 1, "key has a '.' or '..' path segment, which tools that resolve paths move "
                                          "elsewhere"),
        ("incoming/a.txt", "FAILED", 1, "file name does not end in .csv"),
    ]


def test_stopped_task_marks_a_running_job_failed_once(handler: ModuleType) -> None:
    jid = job_id(BUCKET, "incoming/orders-2026-11.csv", "d41d8cd98f00b204e9800998ecf8427e")
    table = boto3.resource("dynamodb").Table("jobs")
    table.put_item(Item={"JobId": jid, "Status": "RUNNING"})
    event = load("ecs_task_stopped")
    event["detail"]["overrides"]["containerOverrides"][0]["environment"][3]["value"] = jid
    assert handler.task_state_handler(event, Context()) == {"result": "failed"}
    record = table.get_item(Key={"JobId": jid})["Item"]
    assert record["Status"] == "FAILED" and record["ExitCode"] == 3 and "exited with code 3" in record["Reason"]
    table.put_item(Item={"JobId": jid, "Status": "SUCCEEDED"})
    assert handler.task_state_handler(event, Context()) == {"result": "ignored: job already ended"}


def test_task_lost_with_its_host_fails_the_job(handler: ModuleType) -> None:
    table = boto3.resource("dynamodb").Table("jobs")
    table.put_item(Item={"JobId": "JOB_ID_PLACEHOLDER", "Status": "RUNNING"})
    event = load("ecs_task_stopped")
    event["detail"]["containers"][0].pop("exitCode")
    event["detail"]["stoppedReason"] = "Host instance lost"
    assert handler.task_state_handler(event, Context()) == {"result": "failed"}
    assert "host lost" in table.get_item(Key={"JobId": "JOB_ID_PLACEHOLDER"})["Item"]["Reason"]


def test_a_versioned_bucket_makes_each_upload_its_own_job(handler: ModuleType, twin: str) -> None:
    join_instance(twin, limit=1)
    bodies = []
    for version in ("v-1", "v-2", "v-2"):  # identical bytes uploaded twice, then S3 repeating itself
        message = json.loads(s3_message(BUCKET, [("incoming/a.csv", '"same-etag"')]))
        message["Records"][0]["s3"]["object"]["versionId"] = version
        bodies.append(json.dumps(message))
    assert handler.lambda_handler(sqs_event(*bodies), Context()) == {"batchItemFailures": []}
    assert sorted(j["JobId"] for j in jobs()) == sorted(
        job_id(BUCKET, "incoming/a.csv", "same-etag", v) for v in ("v-1", "v-2")
    )
    assert len(tasks()) == 2


def test_the_placement_constraint_applies_to_every_run_task(twin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.dispatcher import load_handler

    monkeypatch.setenv("PLACEMENT_CONSTRAINT", "attribute:site == dc2")
    handler = load_handler(monkeypatch)
    join_instance(twin, attributes={"site": "dc1"})
    body = s3_message(BUCKET, [("incoming/a.csv", '"etag-a"')])
    assert handler.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    (record,) = jobs()
    assert record["Status"] == "WAITING_FOR_CAPACITY" and "MemberOf placement constraint" in record["Reason"]
    dc2 = join_instance(twin, attributes={"site": "dc2"})
    handler.task_state_handler(_host_joined(), Context())
    (started,) = tasks()
    assert started["containerInstanceArn"] == dc2.container_instance_arn


def test_a_large_file_runs_as_shards_and_the_backlog_starts_only_those_that_waited(
    twin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.dispatcher import load_handler

    monkeypatch.setenv("SHARD_BYTES", "1000")
    monkeypatch.setenv("MAX_SHARDS", "3")
    handler = load_handler(monkeypatch)
    join_instance(twin, memory_mib=600)  # room for one task
    body = s3_message(BUCKET, [("incoming/big.csv", "e1")], size=10_000)
    first = handler.lambda_handler(sqs_event(body), Context())
    (record,) = jobs()
    shards = record["Shards"]
    assert first == {"batchItemFailures": []} and record["Status"] == "WAITING_FOR_CAPACITY"
    assert record["WaitingLine"] == "waiting"  # in line for the shards that found no room
    # The shards start in parallel: any one of them may take the only room.
    assert sorted(shards[i]["Status"] for i in "012") == ["QUEUED", "WAITING_FOR_CAPACITY", "WAITING_FOR_CAPACITY"]
    assert [(shards[i]["Start"], shards[i]["End"]) for i in "012"] == [(0, 3333), (3333, 6666), (6666, 10_000)]
    # The batch's backlog pass tried the first waiting shard again: the reason is its own.
    assert record["Reason"].startswith("shard ") and "RESOURCE:MEMORY" in record["Reason"]
    join_instance(twin, memory_mib=600)
    join_instance(twin, memory_mib=600)
    handler.task_state_handler(_host_joined(), Context())
    more = handler.lambda_handler(sqs_event(body), Context())  # S3 repeats itself: nothing new starts
    started = tasks()
    assert more == {"batchItemFailures": []} and len(started) == 3
    assert sorted(overrides_of(t)["SHARD_RANGE"] for t in started) == ["0-3333", "3333-6666", "6666-10000"]
    assert len({t["containerInstanceArn"] for t in started}) == 3
    (record,) = jobs()
    assert record["Status"] == "QUEUED" and all(record["Shards"][i]["TaskArn"] for i in "012")
    assert "WaitingSince" not in record
