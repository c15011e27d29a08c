"""The whole stack, applied for real by Terraform against the twin, re-planned, destroyed."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from offload import stack
from offload.cli import cli
from offload.terraform import PLAN_NO_CHANGES, Runner

from tests.orders_csv import csv_text, many

pytestmark = pytest.mark.twin


@pytest.fixture
def twin_stack(twin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OFFLOAD_TWIN_DIR", str(tmp_path / "twin"))
    monkeypatch.setenv("OFFLOAD_TWIN_ENDPOINT", twin)
    monkeypatch.setenv("OFFLOAD_TARGET", "twin")
    return twin


def _status_until(runner: CliRunner, wanted: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        shown = runner.invoke(cli, ["status"])
        assert shown.exit_code == 0, shown.output
        if wanted in shown.output or time.monotonic() > deadline:
            return shown.output
        time.sleep(0.5)


def test_apply_replan_destroy(twin_stack: str, tmp_path: Path) -> None:
    runner = CliRunner()
    applied = runner.invoke(cli, ["apply", "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    outputs = Runner(stack.for_target("twin"), quiet=True).outputs()

    s3, ecs, sqs, ssm = (boto3.client(s) for s in ("s3", "ecs", "sqs", "ssm"))
    s3.head_bucket(Bucket=outputs["bucket"])
    definition = ecs.describe_task_definition(taskDefinition=outputs["task_definition_family"])["taskDefinition"]
    assert definition["requiresCompatibilities"] == ["EXTERNAL"] and definition["networkMode"] == "bridge"
    (container,) = definition["containerDefinitions"]
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    redrive = json.loads(sqs.get_queue_attributes(QueueUrl=outputs["queue_url"],
                                                  AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 10 and redrive["deadLetterTargetArn"].endswith("offload-events-dlq")
    (activation,) = ssm.describe_activations()["ActivationList"]
    assert activation["ActivationId"] == outputs["activation_id"] and activation["RegistrationLimit"] == 1
    assert activation["Expired"] is False
    notification = s3.get_bucket_notification_configuration(Bucket=outputs["bucket"])["QueueConfigurations"]
    assert notification[0]["Events"] == ["s3:ObjectCreated:*"]

    hidden = runner.invoke(cli, ["activation"])
    assert hidden.exit_code == 0 and outputs["activation_id"] in hidden.output
    assert outputs["activation_code"] not in hidden.output and "code hidden" in hidden.output
    exported = runner.invoke(cli, ["activation", "--env"])  # the stack's own, still unused
    assert f"export OFFLOAD_ACTIVATION_ID='{outputs['activation_id']}'" in exported.output

    shown = runner.invoke(cli, ["output"])
    assert shown.exit_code == 0 and outputs["activation_code"] not in shown.output
    assert "activation_code = (sensitive)" in shown.output

    # The event path runs in the twin: with no machine joined, the job waits and says why.
    dropped = tmp_path / "few.csv"
    dropped.write_text(csv_text(many(3)))
    sent = runner.invoke(cli, ["submit", str(dropped)])
    assert sent.exit_code == 0 and f"s3://{outputs['bucket']}/incoming/few.csv" in sent.output, sent.output
    table = _status_until(runner, "WAITING_FOR_CAPACITY")
    assert re.search(r"incoming/few\.csv\s+WAITING_FOR_CAPACITY\s+-\s+-\s+\d+s\s+\S", table), table

    assert Runner(stack.for_target("twin"), quiet=True).plan() == PLAN_NO_CHANGES

    destroyed = runner.invoke(cli, ["destroy", "--auto-approve"])
    assert destroyed.exit_code == 0, destroyed.output
    assert s3.list_buckets()["Buckets"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert ssm.describe_activations()["ActivationList"] == []
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert [r for r in boto3.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("offload")] == []
    clusters = ecs.describe_clusters(clusters=[outputs["cluster_name"]])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)


def test_apply_against_aws_without_credentials_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = CliRunner().invoke(cli, ["apply", "--target", "aws"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
        "(or use --target twin)"]
