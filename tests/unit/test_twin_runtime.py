"""The twin's Lambda runtime and S3 policy shim, piece by piece (no server); the agent is in test_twin_agent.py."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from offload.lib.jobs import status as jobs
from offload.samples import generate as sample_orders
from offload.samples import sample
from offload.twin import s3 as s3_shim
from offload.twin.awslambda import bootstrap as sandbox
from offload.twin.awslambda import runtime as lambda_runtime

MESSAGE = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": "{}", "MD5OfBody": "x", "Attributes": {"A": "1"}}


def test_sqs_event_has_the_fields_lambda_sends() -> None:
    (record,) = lambda_runtime.sqs_event([MESSAGE], "arn:aws:sqs:us-east-1:1:q", "us-east-1")["Records"]
    assert record["messageId"] == "m1" and record["receiptHandle"] == "r1" and record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:1:q" and record["attributes"] == {"A": "1"}


@pytest.mark.parametrize("reply, keep", [
    ({"result": {"batchItemFailures": []}}, set()),
    ({"result": {"batchItemFailures": [{"itemIdentifier": "m1"}]}}, {"m1"}),
    ({"result": None}, set()),
    ({"error": {"errorType": "ValueError"}}, None),
])
def test_partial_batch_failures_keep_only_the_named_messages(reply: dict, keep: set | None) -> None:
    assert lambda_runtime.failed_ids(reply) == keep


def test_sandbox_answers_each_request_and_reports_handler_errors(tmp_path: Path) -> None:
    (tmp_path / "fn.py").write_text(
        "def ok(event, context):\n    return {'got': event['n'], 'left': context.get_remaining_time_in_millis() > 0}\n"
        "def boom(event, context):\n    raise ValueError('bad ' + str(event['n']))\n"
    )
    requests = io.StringIO(json.dumps({"event": {"n": 1}, "request_id": "a", "deadline": 9e9}) + "\n")
    replies = io.StringIO()
    sandbox.serve(str(tmp_path), "fn.ok", requests, replies)
    assert json.loads(replies.getvalue()) == {"result": {"got": 1, "left": True}}
    requests = io.StringIO(json.dumps({"event": {"n": 2}, "request_id": "b", "deadline": 9e9}) + "\n")
    replies = io.StringIO()
    sandbox.serve(str(tmp_path), "fn.boom", requests, replies)
    error = json.loads(replies.getvalue())["error"]
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "bad 2"


@pytest.mark.parametrize("condition, applies", [
    ({"Bool": {"aws:SecureTransport": "false"}}, False),
    ({"Bool": {"aws:SecureTransport": ["true"]}}, True),
    ({"StringEquals": {"aws:SourceAccount": "123"}}, True),  # a key the twin cannot vouch for: moto decides
    ({}, True),
])
def test_s3_policy_statements_apply_by_the_twins_request_context(condition: dict, applies: bool) -> None:
    assert s3_shim.applies({"Effect": "Deny", "Condition": condition}) is applies


def test_shipped_sample_is_the_generators_output() -> None:
    assert sample("orders.csv").read_text() == sample_orders.text(250)


def test_jobs_table_shows_key_job_status_rows_progress_task_age_reason() -> None:
    rows = [{"JobId": "a" * 32, "Key": "incoming/a.csv", "Status": "SUCCEEDED", "RowsLoaded": 9, "RowsTotal": 10,
             "CreatedAt": 100, "TaskArn": "arn:aws:ecs:us-east-1:1:task/c/0123456789abcdef"},
            {"JobId": "b" * 32, "Key": "incoming/b.csv", "Status": "WAITING_FOR_CAPACITY", "CreatedAt": 40,
             "Reason": "no instance"},
            {"JobId": "c" * 32, "Key": "incoming/c.csv", "Status": "RUNNING", "CreatedAt": 100, "StartedAt": 100,
             "ProgressAt": 130, "BytesRead": 250, "SizeBytes": 1000, "RowsRead": 3000, "RowsPerSecond": 3000}]
    header, first, second, third = jobs.table(rows, now=160).splitlines()
    assert header.split() == ["KEY", "JOB", "STATUS", "ROWS", "PROGRESS", "TASK", "AGE", "REASON"]
    assert first.split() == ["incoming/a.csv", "a" * 12, "SUCCEEDED", "9/10", "100%", "0123456789ab", "60s"]
    assert second.split() == ["incoming/b.csv", "b" * 12, "WAITING_FOR_CAPACITY", "-", "-", "-", "2m", "no", "instance"]
    # a quarter of the bytes in 30 s: three quarters to go take 90 s
    assert third.split() == ["incoming/c.csv", "c" * 12, "RUNNING", "-", "25%", "3,000", "rows/s", "ETA", "90s", "-",
                             "60s"]


def test_a_sharded_job_shows_its_shards_done_rows_and_combined_progress() -> None:
    shards = {"0": {"Status": "SUCCEEDED", "Start": 0, "End": 600, "BytesRead": 600, "RowsRead": 60,
                    "RowsLoaded": 59},
              "1": {"Status": "RUNNING", "Start": 600, "End": 1200, "BytesRead": 0, "RowsRead": 0,
                    "RowsPerSecond": 100},
              "2": {"Status": "RUNNING", "Start": 1200, "End": 1800, "BytesRead": 300, "RowsRead": 30,
                    "RowsPerSecond": 200}}
    job = {"JobId": "d" * 32, "Key": "incoming/big.csv", "Status": "RUNNING", "CreatedAt": 100, "StartedAt": 100,
           "ProgressAt": 130, "ShardCount": 3, "Shards": shards}
    _header, line = jobs.table([job], now=160).splitlines()
    # half the bytes in 30 s: 30 s to go; the running shards' rates add up
    assert line.split() == ["incoming/big.csv", "d" * 12, "RUNNING", "59/90", "50%", "300", "rows/s", "ETA", "30s",
                            "shards", "1/3", "60s"]


def test_aws_managed_policies_are_built_for_the_twins_partition_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.iam.models import IAMBackend
    from offload.twin import iam

    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    iam.install()
    names = {p.name for p in IAMBackend("aws", "123456789012").aws_managed_policies}
    assert {"AmazonSSMManagedInstanceCore", "AmazonEC2ContainerServiceforEC2Role"} <= names
    assert IAMBackend("aws-cn", "123456789012").aws_managed_policies == []
