"""The backlog's functions against the twin (moto over HTTP): the line read oldest first through the
Backlog index, started until RunTask finds no room, once per job however many passes race."""

from __future__ import annotations

import json
import threading
from types import ModuleType
from typing import Any

import boto3
import pytest
from offload_contract import jobs as job_fields

from tests.dispatcher import Context, jobs, overrides_of, tasks
from tests.events import s3_message, sqs_event
from tests.figures import say
from tests.twin_cluster import join_instance

pytestmark = pytest.mark.functional
BUCKET = "orders-bucket"


class Recorded:
    """The jobs table, noting each call: the backlog must never scan."""

    def __init__(self) -> None:
        self._table = boto3.resource("dynamodb").Table("jobs")
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._table, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            return method(**kwargs)

        return call


def _upload(n: int, minute: int) -> str:
    """An S3 event for incoming/f<n>.csv uploaded at 07:<minute>."""
    message = json.loads(s3_message(BUCKET, [(f"incoming/f{n}.csv", f"e{n}")]))
    message["Records"][0]["eventTime"] = f"2026-11-22T07:{minute:02}:00.000Z"
    return json.dumps(message)


def _pass(handler: ModuleType, table: Any = None, seconds: float = 30) -> Any:
    """One backlog pass, with clients of its own (boto3 sessions are not shared between threads)."""
    from offload_dispatch.backlog import start_waiting
    from offload_dispatch.ledger import Ledger

    session = boto3.session.Session()
    own = session.resource("dynamodb").Table("jobs")
    ledger = Ledger(own, handler.SETTINGS.job_ttl_days)
    return start_waiting(table or own, session.client("ecs"), handler.SETTINGS, ledger, lambda: seconds)


def _started_keys() -> list[str]:
    return sorted(overrides_of(t)["S3_KEY"] for t in tasks())


def test_the_line_is_read_oldest_first_through_the_index_never_a_scan(handler: ModuleType) -> None:
    from offload_dispatch.backlog import waiting_jobs

    minutes = [5, 1, 4, 2, 3]  # arrival order differs from upload-event order
    assert handler.lambda_handler(sqs_event(*[_upload(n, m) for n, m in enumerate(minutes)]), Context()) == {
        "batchItemFailures": []
    }
    boto3.resource("dynamodb").Table("jobs").put_item(Item={"JobId": "done", "Status": "SUCCEEDED"})
    table = Recorded()
    line = [str(j[job_fields.KEY]) for j in waiting_jobs(table, page=2)]
    assert line == ["incoming/f1.csv", "incoming/f3.csv", "incoming/f4.csv", "incoming/f2.csv", "incoming/f0.csv"]
    assert {name for name, _ in table.calls} == {"query"} and len(table.calls) == 3  # pages of 2
    assert all(kwargs["IndexName"] == job_fields.BACKLOG_INDEX for _, kwargs in table.calls)


def test_a_pass_starts_the_oldest_until_no_room_and_the_rest_keep_their_place(handler: ModuleType, twin: str) -> None:
    handler.lambda_handler(sqs_event(*[_upload(n, 10 - n) for n in range(5)]), Context())  # no instance: all wait
    before = {j[job_fields.KEY]: j[job_fields.WAITING_SINCE] for j in jobs()}
    join_instance(twin, memory_mib=1024)  # room for two tasks of 512 MiB
    done = _pass(handler)
    assert (done.started, done.stopped) == (2, "no room")
    assert _started_keys() == ["incoming/f3.csv", "incoming/f4.csv"]  # the two oldest arrivals
    waiting = {j[job_fields.KEY]: j for j in jobs() if j[job_fields.STATUS] == job_fields.WAITING_FOR_CAPACITY}
    assert sorted(waiting) == ["incoming/f0.csv", "incoming/f1.csv", "incoming/f2.csv"]
    assert all(j[job_fields.WAITING_SINCE] == before[k] for k, j in waiting.items())  # their place kept
    assert "RESOURCE:MEMORY" in waiting["incoming/f2.csv"][job_fields.REASON]


def test_a_new_file_does_not_jump_the_line(handler: ModuleType, twin: str) -> None:
    handler.lambda_handler(sqs_event(_upload(0, 1), _upload(1, 2)), Context())  # no instance yet: both wait
    join_instance(twin, memory_mib=1024)  # room for two, but no event says so yet
    assert handler.lambda_handler(sqs_event(_upload(2, 3)), Context()) == {"batchItemFailures": []}
    assert _started_keys() == ["incoming/f0.csv", "incoming/f1.csv"]  # the batch started from the head
    (newest,) = [j for j in jobs() if j[job_fields.KEY] == "incoming/f2.csv"]
    assert newest[job_fields.STATUS] == job_fields.WAITING_FOR_CAPACITY and job_fields.WAITING_SINCE in newest


def test_a_redelivered_event_keeps_its_job_in_line_at_its_place(handler: ModuleType, twin: str) -> None:
    """The Lambda died after the job joined the line, before SQS heard: the event comes again."""
    handler.lambda_handler(sqs_event(_upload(0, 1), _upload(1, 2)), Context())
    join_instance(twin, memory_mib=512)  # room for one
    handler.lambda_handler(sqs_event(_upload(1, 2)), Context())  # the younger one's event, again
    assert _started_keys() == ["incoming/f0.csv"]  # the head started, not the redelivered one
    (again,) = [j for j in jobs() if j[job_fields.KEY] == "incoming/f1.csv"]
    assert again[job_fields.STATUS] == job_fields.WAITING_FOR_CAPACITY and "TaskArn" not in again


def test_passes_racing_on_one_line_start_each_job_once(handler: ModuleType, twin: str) -> None:
    count = 12
    handler.lambda_handler(sqs_event(*[_upload(n, n) for n in range(count)]), Context())
    join_instance(twin, memory_mib=512 * count, cpu=256 * count)
    errors: list[BaseException] = []

    def race() -> None:
        try:
            _pass(handler)
        except Exception as error:  # shown below: a pass that fails is retried by the next
            errors.append(error)

    passes = [threading.Thread(target=race) for _ in range(4)]
    for thread in passes:
        thread.start()
    for thread in passes:
        thread.join()
    raced = len(tasks())
    _pass(handler)  # the next event's pass (or the sweep) takes what a failed pass left
    started = tasks()
    per_job = {overrides_of(t)["JOB_ID"] for t in started}
    say(
        f"4 passes racing on a line of {count}: tasks={raced} after the race, {len(started)} after one more pass, "
        f"jobs started={len(per_job)}, pass errors={[type(e).__name__ for e in errors]}"
    )
    assert len(started) == count and len(per_job) == count  # each job once, however the passes raced
    assert all(j[job_fields.STATUS] == job_fields.QUEUED and job_fields.WAITING_SINCE not in j for j in jobs())


def test_a_pass_short_of_time_starts_nothing_and_says_so(handler: ModuleType, twin: str) -> None:
    handler.lambda_handler(sqs_event(_upload(0, 1)), Context())
    join_instance(twin)
    done = _pass(handler, seconds=1)
    assert (done.started, done.stopped) == (0, "out of time") and tasks() == []
    assert jobs()[0][job_fields.STATUS] == job_fields.WAITING_FOR_CAPACITY


def test_a_waiting_sharded_job_starts_its_shards_in_order(twin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.dispatcher import load_handler

    monkeypatch.setenv("SHARD_BYTES", "1000")
    monkeypatch.setenv("MAX_SHARDS", "3")
    handler = load_handler(monkeypatch)
    body = s3_message(BUCKET, [("incoming/big.csv", "e1")], size=10_000)
    handler.lambda_handler(sqs_event(body), Context())  # no instance: all three shards wait
    order = []
    for _ in range(3):  # one slot frees at a time
        join_instance(twin, memory_mib=512)
        _pass(handler)
        order += [
            int(overrides_of(t)["SHARD_INDEX"]) for t in tasks() if int(overrides_of(t)["SHARD_INDEX"]) not in order
        ]
    (record,) = jobs()
    assert order == [0, 1, 2] and job_fields.WAITING_SINCE not in record
