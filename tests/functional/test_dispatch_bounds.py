"""The dispatcher against what RunTask really does: it takes time per call, and it refuses a
clientToken reused with other parameters (ConflictException)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from offload.twin.onprem import heartbeat

from tests.conftest import REGION
from tests.dispatcher import Context, jobs, tasks
from tests.events import s3_message, sqs_event
from tests.figures import say
from tests.twin_cluster import join_instance

pytestmark = pytest.mark.functional
BUCKET = "orders-bucket"
RUN_TASK_LATENCY = 0.3  # seconds per RunTask call, as a loaded region may answer


class SlowECS:
    """The ECS client, with every RunTask taking RUN_TASK_LATENCY longer."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def run_task(self, **kwargs: Any) -> Any:
        time.sleep(RUN_TASK_LATENCY)
        return self._real.run_task(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def agents_alive(twin: str) -> Iterator[list[str]]:
    """Managed instance ids to keep heartbeating (the twin drops an instance silent for 3 s)."""
    instances: list[str] = []
    done = threading.Event()

    def beat() -> None:
        while not done.wait(0.5):
            for instance in list(instances):
                heartbeat(twin, REGION, instance)

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    yield instances
    done.set()
    beater.join()


def _sharded_handler(twin: str, monkeypatch: pytest.MonkeyPatch, alive: list[str]) -> ModuleType:
    from tests.dispatcher import load_handler

    monkeypatch.setenv("SHARD_BYTES", "1000")
    monkeypatch.setenv("MAX_SHARDS", "16")
    handler = load_handler(monkeypatch)
    slow = SlowECS(boto3.client("ecs"))
    monkeypatch.setattr(handler.clients, "ecs", lambda: slow)
    for _ in range(4):  # room for 45 tasks each: 180 >= 10 x 16 + 16
        alive.append(join_instance(twin, memory_mib=512 * 45, cpu=256 * 45).managed_instance_id)
    return handler


def _files(count: int, prefix: str) -> list[str]:
    return [s3_message(BUCKET, [(f"incoming/{prefix}-{n}.csv", f"e{n}")], size=16_000) for n in range(count)]


def test_ten_files_of_sixteen_shards_start_inside_the_timeout(
    twin: str, monkeypatch: pytest.MonkeyPatch, agents_alive: list[str]
) -> None:
    handler = _sharded_handler(twin, monkeypatch, agents_alive)
    from offload_dispatch import start as start_module

    # The old way, measured here: one file's 16 RunTask calls one after another.
    monkeypatch.setattr(start_module, "RUN_TASK_THREADS", 1, raising=False)
    started = time.monotonic()
    assert handler.lambda_handler(sqs_event(*_files(1, "serial")), Context()) == {"batchItemFailures": []}
    serial_batch = (time.monotonic() - started) * 10  # a batch of ten such files
    monkeypatch.setattr(start_module, "RUN_TASK_THREADS", 8, raising=False)
    context = Context(timeout_seconds=30)
    started = time.monotonic()
    response = handler.lambda_handler(sqs_event(*_files(10, "big")), context)
    parallel = time.monotonic() - started
    say(f"10 files x 16 shards at {RUN_TASK_LATENCY}s/RunTask: {parallel:.1f} s (serial: {serial_batch:.1f} s)")
    assert response == {"batchItemFailures": []}
    assert len(tasks()) == 11 * 16 and all(len(j["Shards"]) == 16 for j in jobs())
    assert all(s.get("TaskArn") for j in jobs() for s in j["Shards"].values())
    assert parallel < 30 < serial_batch and parallel < serial_batch / 3


def test_too_little_time_left_hands_the_records_back_untouched(
    twin: str, monkeypatch: pytest.MonkeyPatch, agents_alive: list[str]
) -> None:
    handler = _sharded_handler(twin, monkeypatch, agents_alive)
    context = Context(timeout_seconds=handler.RESERVE_MS / 1000 - 1)
    response = handler.lambda_handler(sqs_event(*_files(2, "late")), context)
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]}
    assert jobs() == [] and tasks() == []


def _forget_task(job: dict[str, Any]) -> None:
    """As if the invocation had died between RunTask and recording its task: SQS redelivers."""
    boto3.resource("dynamodb").Table("jobs").update_item(
        Key={"JobId": job["JobId"]}, UpdateExpression="REMOVE TaskArn"
    )


def test_a_changed_placement_constraint_keeps_the_task_its_token_started(handler: ModuleType, twin: str) -> None:
    join_instance(twin, attributes={"site": "dc1"})
    body = s3_message(BUCKET, [("incoming/a.csv", '"etag-a"')])
    assert handler.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    (first,) = tasks()
    (job,) = jobs()
    _forget_task(job)
    handler.SETTINGS = dataclasses.replace(handler.SETTINGS, placement_constraint="attribute:site == dc1")
    assert handler.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    (job,) = jobs()
    say(f"ConflictException on redelivery: job {job['Status']}, reason: {job['Reason']}")
    assert len(tasks()) == 1 and job["TaskArn"] == first["taskArn"] and job["Status"] == "QUEUED"
    assert "ConflictException" in job["Reason"] and f"offload rerun {job['JobId']}" in job["Reason"]


def test_a_conflict_without_a_task_fails_the_job_with_what_to_do(handler: ModuleType) -> None:
    from offload_dispatch.dispatch import Line, dispatch_message

    ecs = boto3.client("ecs")
    with Stubber(ecs) as stub:
        stub.add_client_error("run_task", service_error_code="ConflictException", http_status_code=400,
                              service_message="The provided clientToken is already in use with a different request.")
        outcome = dispatch_message(s3_message(BUCKET, [("incoming/b.csv", "e1")]), handler.SETTINGS, ecs,
                                   handler._ledger(), Line(waiting=False), boto3.client("s3"))
    (job,) = jobs()
    assert outcome.refused == 1 and job["Status"] == "FAILED"
    assert "no task was started" in job["Reason"] and f"offload rerun {job['JobId']}" in job["Reason"]
