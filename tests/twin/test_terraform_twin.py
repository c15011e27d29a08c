"""The whole stack, applied for real by Terraform against the twin, re-planned, destroyed."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.terraform import targets as stack
from offload.lib.terraform import tooling
from offload.lib.terraform.runner import PLAN_NO_CHANGES, Runner

from tests import instance_role_policy, role_policies
from tests.conftest import REPO
from tests.figures import say
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


@pytest.mark.parametrize("provider", ["3.39", "current"])
def test_apply_replan_destroy(
    provider: str, twin_stack: str, tmp_path: Path, twin_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the twin's 3.39 and, where the machine has one offline, the current provider (5.x)."""
    if provider == "current" and tooling.current_provider_mirror() is None:
        pytest.skip("no aws provider >= 5 offline on this machine: the twin runs 3.39 only")
    monkeypatch.setenv("OFFLOAD_TWIN_PROVIDER", provider)
    version = stack.twin_provider()
    runner = CliRunner()
    applied = runner.invoke(cli, ["apply", "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    outputs = Runner(stack.for_target("twin"), quiet=True).outputs()
    role = instance_role_policy.read_back(outputs["instance_role"], outputs["cluster_name"])
    beyond = instance_role_policy.problems(*role)
    assert beyond == [], f"the on-prem instance role allows more than its agents call: {beyond}"

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
    alarms = {a["AlarmName"]: a for a in boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert sorted(alarms) == sorted([
        "offload-dlq-not-empty", "offload-task-events-dlq-not-empty", "offload-jobs-stuck-queued",
        "offload-jobs-stuck-running", "offload-agent-disconnected",
        "offload-dispatch-errors", "offload-task-state-errors", "offload-watchdog-errors",
        "offload-backlog-too-old"])
    assert all(a["AlarmActions"] == [outputs["alarm_topic_arn"]] for a in alarms.values())
    assert alarms["offload-agent-disconnected"]["Namespace"] == "Offload"
    _assert_rendered_policies_are_least_privilege(outputs)
    _assert_rendered_trust_and_alarm_key(outputs)

    if provider == "3.39":  # what follows is the CLI's, the same with either provider: once is enough
        _assert_cli_on_the_stack(runner, outputs, tmp_path, twin_log)

    assert Runner(stack.for_target("twin"), quiet=True).plan() == PLAN_NO_CHANGES
    if provider != "3.39":
        # Provider 5.x's destroy waits ~45 s on SQS policy propagation here; 3.39's covers the same modules.
        say(f"twin stack with aws provider {version}: applied, re-planned with no changes")
        return

    destroyed = runner.invoke(cli, ["destroy", "--auto-approve"])
    assert destroyed.exit_code == 0, destroyed.output
    assert s3.list_buckets()["Buckets"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert ssm.describe_activations()["ActivationList"] == []
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert [r for r in boto3.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("offload")] == []
    clusters = ecs.describe_clusters(clusters=[outputs["cluster_name"]])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    say(f"twin stack with aws provider {version}: applied, re-planned with no changes, destroyed")


def _assert_cli_on_the_stack(runner: CliRunner, outputs: dict[str, Any], tmp_path: Path, twin_log: Path) -> None:
    """activation, output, plan and submit/status on the applied stack; the activation code stays secret."""
    hidden = runner.invoke(cli, ["activation"])
    assert hidden.exit_code == 0 and outputs["activation_id"] in hidden.output
    assert outputs["activation_code"] not in hidden.output and "code hidden" in hidden.output
    exported = runner.invoke(cli, ["activation", "--env"])  # the stack's own, still unused
    assert f"export OFFLOAD_ACTIVATION_ID='{outputs['activation_id']}'" in exported.output

    shown = runner.invoke(cli, ["output"])
    assert shown.exit_code == 0 and outputs["activation_code"] not in shown.output
    assert "activation_code = (sensitive)" in shown.output
    _assert_activation_code_stays_secret(runner, outputs["activation_code"], tmp_path, twin_log)

    # The event path runs in the twin: with no machine joined, the job waits and says why.
    dropped = tmp_path / "few.csv"
    dropped.write_text(csv_text(many(3)))
    sent = runner.invoke(cli, ["submit", str(dropped)])
    assert sent.exit_code == 0 and f"s3://{outputs['bucket']}/incoming/few.csv" in sent.output, sent.output
    table = _status_until(runner, "WAITING_FOR_CAPACITY")
    assert re.search(r"incoming/few\.csv\s+[0-9a-f]{12}\s+WAITING_FOR_CAPACITY\s+-\s+-\s+-\s+\d+s\s+\S", table), table


def _flat(value: Any) -> Any:
    """A policy as IAM means it: a one-item list and its item are the same thing."""
    if isinstance(value, dict):
        return {k: _flat(v) for k, v in value.items()}
    if isinstance(value, list):
        return _flat(value[0]) if len(value) == 1 else [_flat(v) for v in value]
    return value


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return [statements] if isinstance(statements, dict) else list(statements)


def _actions(document: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for statement in _statements(document):
        actions = statement.get("Action", [])
        found += [actions] if isinstance(actions, str) else actions
    return found


def _assert_rendered_policies_are_least_privilege(outputs: dict[str, Any]) -> None:
    """What Terraform actually rendered into the twin, read back through the AWS APIs."""
    s3, sqs, iam = (boto3.client(s) for s in ("s3", "sqs", "iam"))
    bucket, bucket_arn = outputs["bucket"], f"arn:aws:s3:::{outputs['bucket']}"
    policy = _flat(json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]))
    (tls,) = [s for s in _statements(policy) if s["Effect"] == "Deny"]
    assert tls["Principal"] == "*" and tls["Action"] == "s3:*"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(tls["Resource"]) == sorted([bucket_arn, f"{bucket_arn}/*"])
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}

    queue_policy = _flat(json.loads(sqs.get_queue_attributes(QueueUrl=outputs["queue_url"],
                                                       AttributeNames=["Policy"])["Attributes"]["Policy"]))
    for statement in _statements(queue_policy):
        assert statement["Effect"] == "Allow" and statement["Principal"] == {"Service": "s3.amazonaws.com"}
        assert _actions(queue_policy) == ["sqs:SendMessage"]
        assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == bucket_arn

    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("offload")]
    documents = []
    for role in roles:
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            documents.append((role, name, iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]))
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)
            documents.append((role, attached["PolicyName"], document["PolicyVersion"]["Document"]))
    wildcards = [(role, name, a) for role, name, doc in documents for a in _actions(
        json.loads(doc) if isinstance(doc, str) else doc) if a == "*" or a.endswith(":*")]
    say(f"policies: {len(roles)} roles, {len(documents)} policies, wildcard actions={len(wildcards)}")
    assert len(roles) >= 4 and wildcards == []
    beyond = role_policies.stack_problems(outputs)  # the task, execution and dispatcher roles, as README promises
    assert beyond == [], f"a role allows more than its justified list: {beyond}"


def _assert_rendered_trust_and_alarm_key(outputs: dict[str, Any]) -> None:
    """Service trust pinned to this account (ecs-tasks, ssm), and the alarm topic under a key CloudWatch may
    use, as the provider rendered them into the twin."""
    iam, kms, sns = (boto3.client(s) for s in ("iam", "kms", "sns"))
    account = boto3.client("sts").get_caller_identity()["Account"]
    trusts = {r["RoleName"]: _flat(r["AssumeRolePolicyDocument"]) for r in iam.list_roles()["Roles"]
              if r["RoleName"].startswith("offload-us-east-1-")}
    pinned = {name for name, doc in trusts.items() for statement in _statements(doc)
              if statement.get("Condition", {}).get("StringEquals", {}).get("aws:SourceAccount") == account}
    assert pinned == {"offload-us-east-1-worker-task", "offload-us-east-1-worker-execution",
                      "offload-us-east-1-ecs-anywhere"}, trusts

    key = kms.describe_key(KeyId="alias/offload-alarms")["KeyMetadata"]
    topic = sns.get_topic_attributes(TopicArn=outputs["alarm_topic_arn"])["Attributes"]
    assert topic["KmsMasterKeyId"] == key["Arn"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    policy = _flat(json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]))
    (cloudwatch,) = [s for s in _statements(policy) if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    alarms = f"arn:aws:cloudwatch:us-east-1:{account}:alarm:offload-*"
    assert cloudwatch["Condition"]["ArnLike"] == {"aws:SourceArn": alarms}


def _assert_activation_code_stays_secret(runner: CliRunner, code: str, tmp_path: Path, twin_log: Path) -> None:
    """Not in a plan that replaces the activation, nor the twin's logs, nor any tracked file."""
    more = tmp_path / "more.tfvars"
    more.write_text("instance_count = 2\n")
    planned = runner.invoke(cli, ["plan", "--var-file", str(more)])
    assert planned.exit_code == 0 and "aws_ssm_activation" in planned.output, planned.output
    assert "activation_code    = \"(redacted by offload)\" -> (known after apply)" in planned.output
    assert code not in planned.output and code not in runner.invoke(cli, ["status"]).output
    assert code not in twin_log.read_text(errors="replace")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    leaks = [name for name in tracked.decode().split("\0") if name and (REPO / name).is_file()
             and code.encode() in (REPO / name).read_bytes()]
    assert leaks == []


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
