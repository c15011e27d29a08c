"""Sites as trust domains with IAM enforced (issue 25, Must show): the stack is applied by Terraform
to the twin with two sites, then moto's request authorization is switched on (/moto-api/reset-auth,
the server side of `set_initial_no_auth_action_count`) and site dc1's task credentials (AssumeRole
of its task role, as ECS hands them to its tasks) are refused on site dc2's files and job records.

What is enforced, read from moto/iam/access_control.py and moto/core/authorization.py (5.x): S3
checks each request's action on the object's ARN against the caller's role policies, so the S3
refusals below are moto's. For DynamoDB moto checks Resource "*" only and ignores dynamodb:Attributes
and dynamodb:LeadingKeys; the twin's shim (bootstrap/offload/twin/dynamodb.py) judges the request
on the table's ARN with those keys, so the job-record refusals below are real requests refused
by the applied policy. Every role of the stack is then judged against its justified list
(tests/role_policies.py)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.jobs.store import FINAL, Stack, get_job, list_jobs
from offload.lib.terraform import targets
from offload.lib.terraform.runner import PLAN_NO_CHANGES, Runner
from offload.twin import onprem
from offload.twin.agent import LocalAgent
from offload.twin.runtime.process import ProcessRuntime
from offload_contract import job_id, jobs

from tests import role_policies
from tests.conftest import twin_headers
from tests.figures import say

pytestmark = pytest.mark.twin
SITES = {"dc1": {"attributes": {"site": "dc1"}, "prefix": "dc1/"},
         "dc2": {"attributes": {"site": "dc2"}, "prefix": "dc2/"}}
# issue 24 rides on this stack (one apply): two schemas below each site's prefix, one with a table of its
# own keyed as it declares (a bare N is YAML 1.1's false to yamldecode), one into the existing orders table.
EVENTS_YAML = """schema: 1
file: {format: jsonl}
table:
  partition_key: {attribute: PK, type: S, value: "CUST#{customer_id}"}
  sort_key: {attribute: SK, type: N, value: seq}
columns:
  - {name: customer_id, type: string, required: true}
  - {name: seq, type: integer, required: true}
duplicates: first
output: {columns: [PK, SK]}
"""
ORDERS_YAML = """schema: 1
file: {format: csv, delimiter: ";"}
table:
  partition_key: {attribute: OrderId, type: S, value: order_id}
columns:
  - {name: order_id, as: OrderId, type: string, required: true}
output: {columns: [OrderId]}
"""


@pytest.fixture
def sites_stack(twin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("OFFLOAD_TWIN_DIR", str(tmp_path / "twin"))
    monkeypatch.setenv("OFFLOAD_TWIN_ENDPOINT", twin)
    monkeypatch.setenv("OFFLOAD_TARGET", "twin")
    monkeypatch.setenv("TF_VAR_sites", json.dumps(SITES))
    (tmp_path / "events.yaml").write_text(EVENTS_YAML)
    (tmp_path / "orders.yaml").write_text(ORDERS_YAML)
    monkeypatch.setenv("TF_VAR_schemas", json.dumps({  # absolute paths: the twin applies a copy elsewhere
        "events": {"file": str(tmp_path / "events.yaml"), "prefix": "events/", "suffixes": [".jsonl", ".jsonl.gz"]},
        "orders": {"file": str(tmp_path / "orders.yaml"), "prefix": "orders/", "table": "offload-orders"},
    }))
    applied = CliRunner().invoke(cli, ["apply", "--auto-approve"])
    assert applied.exit_code == 0, applied.output[-3000:]
    runner = Runner(targets.for_target("twin"), quiet=True)
    assert runner.plan() == PLAN_NO_CHANGES  # the schemas' objects and tables (keys from their YAML) do not drift
    return runner.outputs()


def _task_credentials(role_name: str) -> dict[str, str]:
    role = boto3.client("iam").get_role(RoleName=role_name)["Role"]
    issued = boto3.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="task")["Credentials"]
    return {"aws_access_key_id": issued["AccessKeyId"], "aws_secret_access_key": issued["SecretAccessKey"],
            "aws_session_token": issued["SessionToken"]}


@pytest.fixture
def auth_restored(twin: str, twin_access_key: str) -> Iterator[None]:
    """The test switches moto's authorization on; it is off again afterwards (the twin is shared)."""
    try:
        yield
    finally:
        _authorize_after(twin, twin_access_key, b"inf")


def _authorize_after(twin: str, access_key: str, requests_without: bytes) -> None:
    """moto checks IAM after this many more unchecked requests (b"0": from now on, b"inf": never)."""
    requests.post(
        f"{twin}/moto-api/reset-auth", data=requests_without, timeout=10, headers=twin_headers(access_key)
    ).raise_for_status()


def _refused(call: Any, *args: Any, **kwargs: Any) -> bool:
    try:
        call(*args, **kwargs)
    except ClientError as error:
        assert error.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), error.response
        return True
    return False


def _assert_each_site_has_its_activation(outputs: dict[str, Any]) -> None:
    """`offload activation --site`: the site's own activation, as its own instance role, and the
    attributes its hosts declare."""
    printed = CliRunner().invoke(cli, ["activation", "--site", "dc2", "--env"])
    assert printed.exit_code == 0, printed.output
    dc2 = outputs["sites"]["dc2"]
    assert f"export OFFLOAD_ACTIVATION_ID='{dc2['activation_id']}'" in printed.output
    assert f"export OFFLOAD_ACTIVATION_CODE='{outputs['site_activation_codes']['dc2']}'" in printed.output
    assert """export OFFLOAD_INSTANCE_ATTRIBUTES='{"site":"dc2"}'""" in printed.output
    (activation,) = boto3.client("ssm").describe_activations(
        Filters=[{"FilterKey": "ActivationIds", "FilterValues": [dc2["activation_id"]]}])["ActivationList"]
    assert activation["IamRole"] == dc2["instance_role"] != outputs["sites"]["dc1"]["instance_role"]
    shown = CliRunner().invoke(cli, ["output"])
    assert shown.exit_code == 0 and "site_activation_codes = (sensitive)" in shown.output
    assert not any(code in shown.output for code in outputs["site_activation_codes"].values())
    unknown = CliRunner().invoke(cli, ["activation", "--site", "dc3"])
    assert unknown.exit_code != 0 and "the stack has no site 'dc3': its sites are dc1, dc2" in unknown.output


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _schema_key(name: str, text: str) -> str:
    return f"schemas/{name}/{_digest(text)}.yaml"


def _assert_the_schemas_are_in_the_stack(outputs: dict[str, Any]) -> None:
    """Uploaded content-addressed, the events table keyed as declared, the dispatcher told, and a file
    under a site's prefix routed to its schema (its job record keeps the schema, before any task)."""
    s3, ddb, bucket = boto3.client("s3"), boto3.client("dynamodb"), outputs["bucket"]
    for name, text in (("events", EVENTS_YAML), ("orders", ORDERS_YAML)):
        assert s3.get_object(Bucket=bucket, Key=_schema_key(name, text))["Body"].read().decode() == text
    table = ddb.describe_table(TableName="offload-events")["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("PK", "HASH"), ("SK", "RANGE")]
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == {"PK": "S", "SK": "N"}
    function = outputs["dispatcher_functions"]["dispatch"]
    settings = boto3.client("lambda").get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    declared = json.loads(settings["SCHEMAS"])
    assert declared["events"] == {"prefix": "events/", "key": _schema_key("events", EVENTS_YAML),
                                  "digest": _digest(EVENTS_YAML),
                                  "table": "offload-events", "suffixes": [".jsonl", ".jsonl.gz"], "whole_file": True}
    assert (declared["orders"]["table"], declared["orders"]["whole_file"]) == ("offload-orders", False)
    s3.put_object(Bucket=bucket, Key="incoming/dc1/events/day1.jsonl", Body=b'{"customer_id": "c1", "seq": 1}\n')
    deadline, record = time.monotonic() + 30, None
    while record is None and time.monotonic() < deadline:  # S3 -> SQS -> the dispatcher, in the twin
        found = ddb.scan(TableName=outputs["jobs_table"])["Items"]
        record = next((i for i in found if i["Key"]["S"] == "incoming/dc1/events/day1.jsonl"), None)
        time.sleep(0.3)
    assert record is not None, "the dispatcher kept no job for the upload"
    assert (record["Schema"]["S"], record["SchemaKey"]["S"], record["Table"]["S"]) == (
        "events", _schema_key("events", EVENTS_YAML), "offload-events")


def test_a_site_a_task_is_refused_on_site_b_and_on_the_jobs_fate(
    sites_stack: dict[str, Any], twin: str, twin_access_key: str, auth_restored: None, tmp_path: Path
) -> None:
    outputs, bucket = sites_stack, sites_stack["bucket"]
    assert set(outputs["sites"]) == {"dc1", "dc2"}
    assert outputs["sites"]["dc2"]["placement_constraint"] == "attribute:site == dc2"
    _assert_each_site_has_its_activation(outputs)
    _assert_the_schemas_are_in_the_stack(outputs)
    s3 = boto3.client("s3")  # the uploader's files, before authorization is on
    for key in ("incoming/dc1/a.txt", "incoming/dc2/b.txt"):  # not .csv: no job starts meanwhile
        s3.put_object(Bucket=bucket, Key=key, Body=b"OrderId\n")
    dc1_job, dc2_job = (job_id(bucket, f"incoming/{site}/a.csv", "e", site=site) for site in ("dc1", "dc2"))
    for job in (dc1_job, dc2_job):  # as the dispatcher claims them, before authorization is on
        boto3.client("dynamodb").put_item(TableName=outputs["jobs_table"],
                                          Item={jobs.JOB_ID: {"S": job}, jobs.STATUS: {"S": jobs.RUNNING}})
    dc1 = _task_credentials(f"{outputs['cluster_name']}-{outputs['region']}-dc1-task")
    _authorize_after(twin, twin_access_key, b"0")

    as_dc1 = boto3.client("s3", **dc1)
    # Its own site: allowed (else every refusal below would prove nothing).
    assert as_dc1.get_object(Bucket=bucket, Key="incoming/dc1/a.txt")["Body"].read() == b"OrderId\n"
    as_dc1.put_object(Bucket=bucket, Key="processed/dc1/a.txt", Body=b"ok")
    as_dc1.put_object(Bucket=bucket, Key="processed/.offload-shards/dc1/job/0000.output", Body=b"ok")
    # Site dc2's input, results, rejects and staged parts: refused by moto's IAM.
    assert _refused(as_dc1.get_object, Bucket=bucket, Key="incoming/dc2/b.txt")
    assert _refused(as_dc1.put_object, Bucket=bucket, Key="incoming/dc2/b.txt", Body=b"forged")
    assert _refused(as_dc1.put_object, Bucket=bucket, Key="processed/dc2/b.txt", Body=b"forged")
    assert _refused(as_dc1.delete_object, Bucket=bucket, Key="rejected/dc2/b.txt.rejects.csv")
    assert _refused(as_dc1.put_object, Bucket=bucket, Key="processed/.offload-shards/dc2/job/0000.output",
                    Body=b"planted")

    # The job records: dc1's task may report on its own job (its id begins with dc1-), never write
    # Status (only the task-state function marks a job SUCCEEDED), never touch dc2's job.
    as_dc1_jobs = boto3.client("dynamodb", **dc1)
    assert _update(as_dc1_jobs, outputs["jobs_table"], dc1_job, jobs.ROWS_READ, {"N": "5"}) is None
    assert _refused(_update, as_dc1_jobs, outputs["jobs_table"], dc1_job, jobs.STATUS, {"S": jobs.SUCCEEDED})
    assert _refused(_update, as_dc1_jobs, outputs["jobs_table"], dc2_job, jobs.REPORT, {"M": {}})
    assert _refused(as_dc1_jobs.get_item, TableName=outputs["jobs_table"], Key={jobs.JOB_ID: {"S": dc2_job}})
    assert _refused(as_dc1_jobs.put_item, TableName=outputs["jobs_table"],  # no whole forged record either
                    Item={jobs.JOB_ID: {"S": dc1_job}, jobs.STATUS: {"S": jobs.SUCCEEDED}})
    # issue 24: the declared tables only (the orders table, as schema orders declares it), and the schemas.
    assert as_dc1.get_object(Bucket=bucket, Key=_schema_key("events", EVENTS_YAML))["Body"].read()
    for table in ("offload-events", outputs["orders_table"]):
        assert as_dc1_jobs.describe_table(TableName=table)["Table"]["TableName"] == table
    probe = {"PK": {"S": "CUST#probe"}, "SK": {"N": "0"}}
    as_dc1_jobs.put_item(TableName="offload-events", Item=probe)
    assert _refused(as_dc1_jobs.delete_item, TableName="offload-events", Key=probe)
    assert _refused(as_dc1_jobs.batch_write_item,
                    RequestItems={outputs["jobs_table"]: [{"PutRequest": {"Item": {jobs.JOB_ID: {"S": dc1_job}}}}]})
    _authorize_after(twin, twin_access_key, b"inf")
    records = {job: boto3.client("dynamodb").get_item(TableName=outputs["jobs_table"], Key={jobs.JOB_ID: {"S": job}})
               ["Item"] for job in (dc1_job, dc2_job)}
    assert records[dc1_job][jobs.STATUS] == {"S": jobs.RUNNING} and records[dc1_job][jobs.ROWS_READ] == {"N": "5"}
    assert jobs.REPORT not in records[dc2_job]
    found = role_policies.stack_problems(outputs)
    assert found == [], f"a role allows more than its justified list: {found}"
    _assert_a_file_loads_through_its_schema(outputs, twin, tmp_path)
    say("sites with IAM enforced: dc1's task credentials refused on dc2's input, results, rejects, staged parts, "
        "dc2's job record and its own job's Status; schemas uploaded content-addressed, routed, their tables the "
        "only ones a site may load; a JSON Lines file loaded through its schema into its table (PK CUST#c1, SK 1)")


def _update(client: Any, table: str, job: str, attribute: str, value: dict[str, Any]) -> None:
    client.update_item(TableName=table, Key={jobs.JOB_ID: {"S": job}}, UpdateExpression="SET #a = :v",
                       ExpressionAttributeNames={"#a": attribute}, ExpressionAttributeValues={":v": value})


def _assert_a_file_loads_through_its_schema(outputs: dict[str, Any], twin: str, tmp_path: Path) -> None:
    """End to end: a dc1 host joins, the waiting events job starts, the worker loads it with SCHEMA_KEY's
    schema into the events table (templated PK, numeric SK) and the job is SUCCEEDED with its schema."""
    stack = Stack.from_outputs(outputs, twin)
    dc1 = outputs["sites"]["dc1"]
    instance = onprem.join(twin, outputs["region"], outputs["cluster_name"], dc1["activation_id"],
                           outputs["site_activation_codes"]["dc1"], attributes={"site": "dc1"})
    agent = LocalAgent(instance, twin, outputs["region"], tmp_path / "logs", heartbeat_seconds=1,
                       runtime=ProcessRuntime()).start()
    try:
        (job,) = [j for j in list_jobs(stack) if j.get("Key") == "incoming/dc1/events/day1.jsonl"]
        deadline = time.monotonic() + 60
        while job.get("Status") not in FINAL and time.monotonic() < deadline:
            time.sleep(0.3)
            job = get_job(stack, str(job["JobId"])) or job
    finally:
        agent.stop()
    assert (job["Status"], job.get("RowsLoaded"), job["Schema"]) == ("SUCCEEDED", 1, "events"), job
    item = boto3.client("dynamodb").get_item(TableName="offload-events", Key={"PK": {"S": "CUST#c1"},
                                                                               "SK": {"N": "1"}})
    assert "Item" in item, "the row is in the schema's table, keyed as the schema declares"
    assert not boto3.client("dynamodb").scan(TableName=outputs["orders_table"])["Items"]  # nothing in orders'
    output = boto3.client("s3").get_object(Bucket=outputs["bucket"], Key="processed/dc1/events/day1.jsonl")
    body = output["Body"].read()
    assert body.splitlines() == [b"PK,SK", b"CUST#c1,1"], body  # the schema's output columns
    shown = CliRunner().invoke(cli, ["status"])
    assert shown.exit_code == 0 and f"events@{_digest(EVENTS_YAML)[:8]}" in shown.output, shown.output


@pytest.mark.parametrize("sites, refusal", [
    ({"dc1": {"attributes": {}, "prefix": "dc1/"}, "sub": {"attributes": {}, "prefix": "dc1/sub/"}},
     "sites' prefixes must not overlap"),
    ({"DC_1": {"attributes": {}, "prefix": "dc1/"}}, "each site's name is 1-10 lowercase letters or digits"),
    ({"dc1": {"attributes": {}, "prefix": "/dc1"}}, "each site's prefix is a non-empty sub-prefix ending with '/'"),
])
def test_overlapping_or_malformed_sites_are_refused_before_anything_is_planned(
    twin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sites: dict[str, Any], refusal: str
) -> None:
    monkeypatch.setenv("OFFLOAD_TWIN_DIR", str(tmp_path / "twin"))
    monkeypatch.setenv("OFFLOAD_TWIN_ENDPOINT", twin)
    monkeypatch.setenv("OFFLOAD_TARGET", "twin")
    monkeypatch.setenv("TF_VAR_sites", json.dumps(sites))
    planned = CliRunner().invoke(cli, ["plan"])
    assert planned.exit_code != 0
    assert refusal in " ".join(planned.output.split()), planned.output[-2000:]
