"""Sites as trust domains (issue 25 item 2): the dispatcher runs a file with its site's task
definition and placement, chosen by the key's prefix; a file under no site's prefix is a FAILED
job saying so, and no task starts. `offload rerun` picks the site the same way."""

from __future__ import annotations

import json
from types import ModuleType

import boto3
import pytest
from offload.lib.jobs import rerun as reruns
from offload.lib.jobs.store import Stack
from offload_contract import job_id
from offload_contract.layout import Layout

from tests.dispatcher import Context, jobs, load_handler, tasks
from tests.events import s3_message, sqs_event
from tests.twin_cluster import CLUSTER, CONTAINER, FAMILY, join_instance

pytestmark = pytest.mark.functional
BUCKET = "orders-bucket"
SITES = {
    "dc1": {"prefix": "dc1/", "task_definition": FAMILY, "placement_constraint": "attribute:site == dc1"},
    "dc2": {"prefix": "dc2/", "task_definition": f"{FAMILY}-dc2", "placement_constraint": "attribute:site == dc2"},
}


@pytest.fixture
def sited(twin: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("SITES", json.dumps(SITES))
    handler = load_handler(monkeypatch)
    boto3.client("ecs").register_task_definition(
        family=f"{FAMILY}-dc2", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
        containerDefinitions=[{"name": CONTAINER, "image": "offload-worker:dev", "memory": 512, "cpu": 256,
                               "essential": True}],
    )
    return handler


def test_a_file_runs_with_its_sites_task_definition_on_its_sites_hosts(sited: ModuleType, twin: str) -> None:
    join_instance(twin, attributes={"site": "dc1"})
    dc2 = join_instance(twin, attributes={"site": "dc2"})
    body = s3_message(BUCKET, [("incoming/dc2/a.csv", "e1")])
    assert sited.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    (task,) = tasks()
    assert task["taskDefinitionArn"].split("/")[-1].startswith(f"{FAMILY}-dc2:")
    assert task["containerInstanceArn"] == dc2.container_instance_arn
    (record,) = jobs()
    assert record["Status"] == "QUEUED"
    # Its id carries its site: only dc2's role may touch the record (dynamodb:LeadingKeys "dc2-*").
    assert record["JobId"] == "dc2-" + job_id(BUCKET, "incoming/dc2/a.csv", "e1")
    assert {"name": "JOB_ID", "value": record["JobId"]} in task["overrides"]["containerOverrides"][0]["environment"]


def test_a_file_under_no_sites_prefix_fails_and_starts_nothing(sited: ModuleType, twin: str) -> None:
    join_instance(twin, attributes={"site": "dc1"})
    body = s3_message(BUCKET, [("incoming/elsewhere/a.csv", "e1")])
    assert sited.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    assert tasks() == []
    (record,) = jobs()
    assert record["Status"] == "FAILED" and record["JobId"] == job_id(BUCKET, "incoming/elsewhere/a.csv", "e1")
    assert record["Reason"] == (
        "the file is under no site's prefix, so no site may read it: "
        "upload it under one of incoming/dc1/, incoming/dc2/"
    )


def _rerun_stack(twin: str) -> Stack:
    return Stack(region="us-east-1", bucket=BUCKET, layout=Layout(), jobs_table="jobs", orders_table="Order",
                 dlq_url="", cluster=CLUSTER, task_definition=FAMILY, container=CONTAINER, endpoint=twin,
                 sites=tuple((f"incoming/{s['prefix']}", s["task_definition"], s["placement_constraint"], name)
                             for name, s in SITES.items()))


def _failed_job(key: str, job: str = "j1") -> None:
    boto3.resource("dynamodb").Table("jobs").put_item(Item={
        "JobId": job, "Status": "FAILED", "Bucket": BUCKET, "Key": key, "ETag": '"e1"', "Attempts": 1})


def test_offload_rerun_runs_the_job_with_its_sites_task_definition(sited: ModuleType, twin: str) -> None:
    join_instance(twin, attributes={"site": "dc1"})
    dc2 = join_instance(twin, attributes={"site": "dc2"})
    _failed_job("incoming/dc2/a.csv", "dc2-j1")
    (arn,) = reruns.rerun(_rerun_stack(twin), "dc2-j1")
    (task,) = tasks()
    assert task["taskArn"] == arn and task["taskDefinitionArn"].split("/")[-1].startswith(f"{FAMILY}-dc2:")
    assert task["containerInstanceArn"] == dc2.container_instance_arn


def test_offload_rerun_refuses_a_file_under_no_sites_prefix_and_writes_nothing(sited: ModuleType, twin: str) -> None:
    _failed_job("incoming/elsewhere/a.csv")
    with pytest.raises(reruns.RerunRefused, match="under no site's prefix"):
        reruns.rerun(_rerun_stack(twin), "j1")
    assert [j["Status"] for j in jobs()] == ["FAILED"] and tasks() == []


def test_offload_rerun_refuses_a_job_whose_id_predates_sites(sited: ModuleType, twin: str) -> None:
    """Its id carries no site, so the site's role may not report on it: refused, saying what to do."""
    _failed_job("incoming/dc2/a.csv", "0" * 32)
    with pytest.raises(reruns.RerunRefused, match=r"does not begin with 'dc2-' .* upload the file again"):
        reruns.rerun(_rerun_stack(twin), "0" * 32)
    assert [j["Status"] for j in jobs()] == ["FAILED"] and tasks() == []
