"""Faults against the twin, each judged by what is stored afterwards, never by logs.

The dispatcher's handler runs in this process, the worker as `python -m offload_worker`
with its task's overrides (as the ECS agent starts it), the twin behind a fault proxy
where AWS must misbehave. Each test prints its figure.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import time
from types import ModuleType
from typing import Any

import boto3
import pytest
from offload.lib.jobs import rerun as reruns
from offload.lib.jobs.status import status_text
from offload.lib.jobs.store import Stack
from offload.samples import generate as sample_orders
from offload.twin.onprem import heartbeat
from offload_contract import confirmation_id
from offload_contract.layout import Layout

from tests.conftest import make_orders_stack, reset_twin
from tests.dispatcher import Context, jobs, overrides_of, run_as_agent, tasks
from tests.events import load, s3_message, sqs_event
from tests.faults import DynamoDBFaults, S3Resets, fault_proxy
from tests.figures import say
from tests.functional.worker_run import BUCKET, get_text, keys, put, requeue, run_worker, start_worker
from tests.twin_cluster import CLUSTER, CONTAINER, FAMILY, join_instance

pytestmark = pytest.mark.twin
KEY = "incoming/faults.csv"
OUTPUT = Layout().output_key(KEY)


def _orders(rows: int) -> tuple[str, list[str]]:
    text = sample_orders.text(rows)
    return text, [r["OrderId"] for r in csv.DictReader(io.StringIO(text))]


def _dispatch(handler: ModuleType, etag: str, copies: int = 1) -> dict[str, Any]:
    body = s3_message(BUCKET, [(KEY, etag)])
    return dict(handler.lambda_handler(sqs_event(*[body] * copies), Context()))


def _stored(order_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The items under these keys, by BatchGetItem (moto's Scan slows down badly past 10k items)."""
    client, found = boto3.client("dynamodb"), {}
    for start in range(0, len(order_ids), 100):
        request = {"Order": {"Keys": [{"OrderId": {"S": o}} for o in order_ids[start : start + 100]]}}
        while request:
            page = client.batch_get_item(RequestItems=request)
            found.update({i["OrderId"]["S"]: i for i in page["Responses"].get("Order", [])})
            request = page.get("UnprocessedKeys") or {}
    return found


def _assert_all_loaded(order_ids: list[str], etag: str) -> dict[str, dict[str, Any]]:
    loaded = _stored(order_ids)
    assert sorted(loaded) == sorted(order_ids) and _item_count() == len(set(order_ids))  # every row, nothing else
    assert all(loaded[o]["ConfirmationId"]["S"] == confirmation_id(BUCKET, KEY, etag, o) for o in order_ids)
    return loaded


def test_same_event_ten_times_starts_one_task_and_loads_every_row(handler: ModuleType, twin: str) -> None:
    text, order_ids = _orders(200)
    etag = put(KEY, text)
    waited = _dispatch(handler, etag, copies=3)  # no instance yet: the job waits in line, the copies are acked
    join_instance(twin)
    first = _dispatch(handler, etag, copies=4)  # four copies in one batch: the batch starts the line's head
    redelivered = _dispatch(handler, etag, copies=3)  # S3 repeating itself once more
    started = tasks()
    assert waited == first == redelivered == {"batchItemFailures": []}
    run = run_as_agent(twin, started[0])
    (job,) = jobs()
    loaded = _assert_all_loaded(order_ids, etag)
    say(f"dup x10: tasks={len(started)} jobs={len(jobs())} items={len(loaded)}/{len(order_ids)}")
    assert run.code == 0 and len(started) == 1
    assert job["Status"] == "SUCCEEDED" and job["RowsLoaded"] == 200


def _item_count() -> int:
    return int(boto3.client("dynamodb").describe_table(TableName="Order")["Table"]["ItemCount"])


def _stopped_event(task: dict[str, Any], exit_code: int) -> dict[str, Any]:
    event = load("ecs_task_stopped")
    event["detail"].update(taskArn=task["taskArn"], overrides=task["overrides"])
    event["detail"]["containers"][0]["exitCode"] = exit_code
    return event


def _operator_stack(twin: str) -> Stack:
    return Stack(region="us-east-1", bucket=BUCKET, layout=Layout(), jobs_table="jobs",
                               orders_table="Order", dlq_url="", cluster=CLUSTER, task_definition=FAMILY,
                               container=CONTAINER, endpoint=twin)


def test_worker_killed_halfway_then_rerun_loses_and_doubles_nothing(handler: ModuleType, twin: str) -> None:
    rows = 10_000
    text, order_ids = _orders(rows)
    etag = put(KEY, text)
    host = join_instance(twin)
    _dispatch(handler, etag)
    (task,) = tasks()
    env = overrides_of(task)
    worker = start_worker(twin, env.pop("S3_KEY"), env.pop("STATUS_KEY"), **env)
    deadline = time.monotonic() + 180
    while _item_count() < rows // 2 and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.kill(worker.pid, signal.SIGKILL)
    assert worker.wait() == -signal.SIGKILL
    at_kill = _item_count()
    assert keys("processed/") == [] and jobs()[0]["Status"] == "RUNNING"
    # The agent reports the container's exit (137); the task-state function marks the job.
    handler.task_state_handler(_stopped_event(task, 137), Context())
    assert jobs()[0]["Status"] == "FAILED" and "137" in jobs()[0]["Reason"]

    heartbeat(twin, "us-east-1", host.managed_instance_id)  # the machine is back (its agent never left)
    reruns.rerun(_operator_stack(twin), env["JOB_ID"])
    rerun_task = next(t for t in tasks() if t["taskArn"] != task["taskArn"])
    assert run_as_agent(twin, rerun_task).code == 0
    after_items, after_output, (job,) = _assert_all_loaded(order_ids, etag), get_text(OUTPUT), jobs()

    # A clean run of the same bytes on a fresh twin: the reference. Its items are compared on
    # every 25th key (reading every item back from moto takes long).
    reset_twin(twin, os.environ["AWS_ACCESS_KEY_ID"])  # the twin fixture's key
    make_orders_stack()
    assert put(KEY, text) == etag
    assert run_worker(twin, KEY, etag).code == 0
    sample = order_ids[::25]
    clean_items, clean_output = _stored(sample), get_text(OUTPUT)
    output_ids = [line.split(",")[0] for line in after_output.splitlines()[1:]]
    lost, duplicated = len(set(order_ids) - set(after_items)), len(output_ids) - len(set(output_ids))
    same_items = {o: after_items[o] for o in sample} == clean_items
    say(f"sigkill at {at_kill}/{rows} rows, then rerun: lost={lost} duplicated={duplicated} "
          f"output identical={after_output == clean_output} items identical={same_items} ({len(sample)} compared)")
    assert rows // 4 < at_kill < rows, "the kill must land mid-file"
    assert lost == 0 and duplicated == 0 and after_output == clean_output and same_items
    assert job["Status"] == "SUCCEEDED" and job["RowsLoaded"] == rows and job["RowsDuplicate"] == 0
    assert job["Attempts"] == 2


def test_throttling_and_30_percent_unprocessed_items_lose_nothing(twin: str) -> None:
    make_orders_stack()
    text, order_ids = _orders(2_000)
    etag = put(KEY, text)
    faults = DynamoDBFaults(unprocessed=0.3, throttled=0.1)
    with fault_proxy(twin, faults) as url:
        run = run_worker(twin, KEY, etag, AWS_ENDPOINT_URL_DYNAMODB=url)
    loaded = _assert_all_loaded(order_ids, etag)
    share = faults.items_unprocessed / faults.items_sent
    say(f"unprocessed {share:.0%} + throttled {faults.throttles}/{faults.batches} requests: "
          f"items={len(loaded)}/{len(order_ids)}")
    assert run.code == 0, run.stderr
    assert 0.25 < share < 0.35 and faults.throttles > 5
    (job,) = jobs()
    assert job["Status"] == "SUCCEEDED" and job["RowsLoaded"] == len(order_ids)


def _queues() -> tuple[str, str]:
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="offload-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName="offload-events", Attributes={
        "VisibilityTimeout": "0",  # redeliver at once: the test stands in for the timeout
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
    })["QueueUrl"]
    return queue, dlq


def _poll(handler: ModuleType, queue: str) -> int:
    """One pass of Lambda's SQS poller: receive, invoke, delete what succeeded. Returns messages seen."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    if not messages:
        return 0
    event = sqs_event(*[m["Body"] for m in messages])
    for record, message in zip(event["Records"], messages, strict=True):
        record.update(messageId=message["MessageId"], receiptHandle=message["ReceiptHandle"])
    failed = {f["itemIdentifier"] for f in handler.lambda_handler(event, Context())["batchItemFailures"]}
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def test_runtask_failures_wait_in_the_ledger_then_the_file_loads_once(handler: ModuleType, twin: str) -> None:
    queue, dlq = _queues()
    text, order_ids = _orders(50)
    etag = put(KEY, text)
    join_instance(twin, memory_mib=256)  # too small for the task: RunTask answers failures[]
    boto3.client("sqs").send_message(QueueUrl=queue, MessageBody=s3_message(BUCKET, [(KEY, etag)]))
    assert _poll(handler, queue) == 1
    assert _poll(handler, queue) == 0  # acknowledged: the ledger holds the file, SQS does not redeliver it
    (waiting,) = jobs()
    join_instance(twin)  # capacity arrives; ECS announces the instance
    handler.task_state_handler(load("ecs_container_instance_state_change"), Context())
    (task,) = tasks()
    assert run_as_agent(twin, task).code == 0
    (job,) = jobs()
    loaded = _assert_all_loaded(order_ids, etag)
    say(f"runtask failures then room: attempts={job['Attempts']} tasks={len(tasks())} "
          f"items={len(loaded)}/{len(order_ids)} waiting reason={waiting['Reason']!r}")
    assert waiting["Status"] == "WAITING_FOR_CAPACITY" and "RESOURCE:MEMORY" in waiting["Reason"]
    assert job["Status"] == "SUCCEEDED" and job["Attempts"] == 2 and "WaitingSince" not in job
    assert boto3.client("sqs").receive_message(QueueUrl=dlq).get("Messages", []) == []


def test_a_capacity_wait_never_reaches_the_dlq_a_poison_event_does_and_status_says_so(
    handler: ModuleType, twin: str
) -> None:
    queue, dlq = _queues()
    etag = put(KEY, sample_orders.text(5))
    join_instance(twin, memory_mib=256)
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody=s3_message(BUCKET, [(KEY, etag)]))
    sqs.send_message(QueueUrl=queue, MessageBody="not an S3 event")  # poison: fails every delivery
    deliveries = sum(_poll(handler, queue) for _ in range(5))  # the poison's 4th receive moves it to the DLQ
    status = status_text(
        Stack(region="us-east-1", bucket=BUCKET, layout=Layout(), jobs_table="jobs",
                            orders_table="Order", dlq_url=dlq, endpoint=twin))
    in_dlq = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    say(f"capacity wait + poison past maxReceiveCount=3: deliveries={deliveries} in_dlq={len(in_dlq)} "
        f"tasks={len(tasks())}")
    assert deliveries == 1 + 3 and [m["Body"] for m in in_dlq] == ["not an S3 event"] and tasks() == []
    assert "WAITING_FOR_CAPACITY" in status and "RESOURCE:MEMORY" in status
    assert f"1 event(s) in the dead-letter queue {dlq}: the dispatcher gave up on them" in status


def test_s3_connection_reset_mid_download_is_resumed(twin: str) -> None:
    make_orders_stack()
    text, order_ids = _orders(8_000)
    etag = put(KEY, text)
    resets = S3Resets(BUCKET, KEY, after_bytes=len(text) // 3, times=2)
    with fault_proxy(twin, resets) as url:
        run = run_worker(twin, KEY, etag, AWS_ENDPOINT_URL_S3=url)
    loaded = _assert_all_loaded(order_ids, etag)
    say(f"s3 reset x{resets.resets} mid-download: ranged re-reads={resets.ranged_gets} "
          f"items={len(loaded)}/{len(order_ids)}")
    assert run.code == 0, run.stderr
    assert resets.resets == 2 and resets.ranged_gets == 2
    assert get_text(OUTPUT).count("\n") == len(order_ids) + 1


def test_s3_reset_on_every_read_fails_cleanly_and_a_rerun_succeeds(twin: str) -> None:
    make_orders_stack()
    text, order_ids = _orders(2_000)
    etag = put(KEY, text)
    resets = S3Resets(BUCKET, KEY, after_bytes=0, times=1_000)  # no byte gets through: no progress to resume
    with fault_proxy(twin, resets) as url:
        broken = run_worker(twin, KEY, etag, AWS_ENDPOINT_URL_S3=url)
    (failed,) = jobs()
    no_output = keys("processed/") == []
    requeue(failed["JobId"])  # as `offload rerun` does
    again = run_worker(twin, KEY, etag)
    loaded = _assert_all_loaded(order_ids, etag)
    say(f"s3 reset on every read: exit={broken.code} reason={failed['Reason']!r} no output={no_output}; "
          f"rerun exit={again.code} items={len(loaded)}/{len(order_ids)}")
    assert broken.code == 3 and "Traceback" not in broken.stderr and broken.stderr.count("\n") == 1
    assert failed["Status"] == "FAILED" and "broke 6 times" in failed["Reason"] and no_output
    assert again.code == 0 and jobs()[0]["Status"] == "SUCCEEDED"
