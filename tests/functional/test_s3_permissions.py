"""A missing input as S3 really answers it: 404 to a role that may s3:ListBucket the key's prefix,
403 AccessDenied to one that may not. The twin decides it from the role behind the worker's
STS credentials, as S3 does."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.conftest import make_orders_stack
from tests.functional.worker_run import BUCKET, job, run_worker

pytestmark = pytest.mark.functional
MISSING = "incoming/deleted-after-upload.csv"


def _task_role(name: str, may_list: bool) -> dict[str, str]:
    """A role with the worker's read grant (and the ListBucket grant of terraform/modules/cluster,
    if may_list), assumed through STS: the worker's environment for its credentials."""
    iam = boto3.client("iam")
    trust = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]}))
    statements = [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{BUCKET}/incoming/*"]}]
    if may_list:
        statements.append({"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{BUCKET}"],
                           "Condition": {"StringLike": {"s3:prefix": ["incoming/*"]}}})
    iam.put_role_policy(RoleName=name, PolicyName="worker",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    credentials = boto3.client("sts").assume_role(RoleArn=arn, RoleSessionName="task")["Credentials"]
    return {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"]}


def test_a_missing_input_is_rejected_with_list_bucket_and_a_permission_problem_without(twin: str) -> None:
    make_orders_stack()
    listing = _task_role("offload-worker-task", may_list=True)
    blind = _task_role("offload-worker-task-without-list", may_list=False)
    s3 = boto3.client("s3")
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0  # placeholder keys: moto's answers

    rejected = run_worker(twin, MISSING, '"e1"', JOB_ID="with-list", **listing)
    assert rejected.code == 1, rejected.stderr
    assert "does not exist" in rejected.stderr and job("with-list")["ExitCode"] == 1

    denied = run_worker(twin, MISSING, '"e1"', JOB_ID="without-list", **blind)
    record = job("without-list")
    assert denied.code == 4, denied.stderr
    assert "S3 denied s3:GetObject" in record["Reason"] and "role offload-worker-task-without-list" in record["Reason"]
    assert "s3:ListBucket" in record["Reason"] and record["ExitCode"] == 4 and record["Status"] == "FAILED"
    assert len(record["Reason"].splitlines()) == 1
