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

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.terraform import targets
from offload.lib.terraform.runner import PLAN_NO_CHANGES, Runner
from offload_contract import job_id, jobs

from tests import role_policies
from tests.conftest import twin_headers
from tests.figures import say
from tests.twin import schema_loads

pytestmark = pytest.mark.twin
SITES = {"dc1": {"attributes": {"site": "dc1"}, "prefix": "dc1/"},
         "dc2": {"attributes": {"site": "dc2"}, "prefix": "dc2/"}}


@pytest.fixture
def sites_stack(twin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("OFFLOAD_TWIN_DIR", str(tmp_path / "twin"))
    monkeypatch.setenv("OFFLOAD_TWIN_ENDPOINT", twin)
    monkeypatch.setenv("OFFLOAD_TARGET", "twin")
    monkeypatch.setenv("TF_VAR_sites", json.dumps(SITES))
    monkeypatch.setenv("TF_VAR_schemas", json.dumps(schema_loads.variable(tmp_path)))  # issue 24, same apply
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


def _assert_the_schemas_are_in_the_stack(outputs: dict[str, Any]) -> None:
    """Uploaded content-addressed, the events table keyed as declared, the dispatcher told, and dc1's
    files routed to their schemas (each job record keeps its schema, before any task)."""
    s3, ddb, bucket = boto3.client("s3"), boto3.client("dynamodb"), outputs["bucket"]
    for name, text in schema_loads.SCHEMAS.items():
        assert s3.get_object(Bucket=bucket, Key=schema_loads.schema_key(name))["Body"].read().decode() == text
    table = ddb.describe_table(TableName="offload-events")["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("PK", "HASH"), ("SK", "RANGE")]
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == {"PK": "S", "SK": "N"}
    function = outputs["dispatcher_functions"]["dispatch"]
    settings = boto3.client("lambda").get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    declared = json.loads(settings["SCHEMAS"])
    assert declared["events"] == {"prefix": "events/", "key": schema_loads.schema_key("events"),
                                  "digest": schema_loads.digest(schema_loads.EVENTS_YAML),
                                  "table": "offload-events", "suffixes": [".jsonl", ".jsonl.gz"], "whole_file": True}
    assert (declared["orders"]["table"], declared["orders"]["whole_file"]) == ("offload-orders", False)
    dashboard = boto3.client("cloudwatch").get_dashboard(DashboardName=outputs["dashboard_name"])
    body = json.loads(dashboard["DashboardBody"])
    throttled = [m[3] for w in body["widgets"] for m in w["properties"]["metrics"] if m[0] == "AWS/DynamoDB"]
    assert sorted(throttled) == ["offload-events", "offload-orders"], throttled  # each loaded table, once
    schema_loads.upload(outputs)


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
    assert as_dc1.get_object(Bucket=bucket, Key=schema_loads.schema_key("events"))["Body"].read()
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
    schema_loads.assert_loaded(outputs, twin, tmp_path / "logs")
    say("sites with IAM enforced: dc1's task credentials refused on dc2's input, results, rejects, staged parts, "
        "dc2's job record and its own job's Status; schemas uploaded content-addressed, routed, their tables the "
        "only ones a site may load; JSON Lines (plain, gzip) and a ';' CSV with a BOM loaded through their schemas, "
        "a type error a rejected row with its line, a schema that disagrees with its table failed before any write")


def _update(client: Any, table: str, job: str, attribute: str, value: dict[str, Any]) -> None:
    client.update_item(TableName=table, Key={jobs.JOB_ID: {"S": job}}, UpdateExpression="SET #a = :v",
                       ExpressionAttributeNames={"#a": attribute}, ExpressionAttributeValues={":v": value})


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
