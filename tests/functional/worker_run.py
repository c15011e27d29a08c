"""Run the worker as ECS would: `python -m offload_worker` with env, over HTTP, and tell the task-state
function, as ECS and EventBridge would, that its task is RUNNING and then STOPPED with the process's
exit code: the worker only reports, the task-state function decides the job (docs/contract.md "Who
writes the record"). A process a test kills with a signal gets no stopped event (a lost host's
task): the test decides what follows."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError
from offload_contract import env as names
from offload_contract import job_id
from offload_contract.layout import Layout
from offload_dispatch.ledger import Ledger
from offload_dispatch.outcome import Outputs
from offload_dispatch.task_state import handle_task_change

BUCKET = "orders-bucket"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def worker_env(endpoint: str, key: str, etag: str | None = None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "S3_BUCKET_NAME": BUCKET, "S3_KEY": key,
           "TABLE_NAME": "Order", "JOBS_TABLE": "jobs", "WRITE_CONCURRENCY": "4", **extra}
    if etag:
        env["STATUS_KEY"] = etag
    return env


_OVERRIDES = (*names.TASK_OVERRIDES, names.SHARD_INDEX, names.SHARD_COUNT, names.SHARD_RANGE)


def _job_id(env: dict[str, str]) -> str:
    """The task's JOB_ID override, or the id the worker derives when run without one."""
    if env.get(names.JOB_ID):
        return env[names.JOB_ID]
    bucket, key, etag = env[names.S3_BUCKET_NAME], env[names.S3_KEY], env.get(names.STATUS_KEY, "")
    try:
        head = boto3.client("s3").head_object(Bucket=bucket, Key=key, **({"IfMatch": etag} if etag else {}))
    except ClientError:
        return job_id(bucket, key, etag)
    return job_id(bucket, key, str(head["ETag"]), head.get("VersionId"))


def task_event(env: dict[str, str], status: str, exit_code: int | None = None) -> dict[str, Any]:
    """The "ECS Task State Change" detail of the task that runs the worker with this env."""
    overrides = [{"name": n, "value": env[n]} for n in _OVERRIDES if env.get(n) and n != names.JOB_ID]
    overrides.append({"name": names.JOB_ID, "value": _job_id(env)})
    container: dict[str, Any] = {"name": "worker", "lastStatus": status}
    detail: dict[str, Any] = {
        "lastStatus": status,
        "taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/offload/{uuid.uuid4().hex}",
        "overrides": {"containerOverrides": [{"name": "worker", "environment": overrides}]},
        "containers": [container],
    }
    if status == "STOPPED":
        container["exitCode"] = exit_code
        detail.update(stopCode="EssentialContainerExited", stoppedReason="Essential container in task exited")
    return detail


def tell_task_state(env: dict[str, str], status: str, exit_code: int | None = None) -> str:
    """What the task-state function makes of the task's state change (nothing without a jobs table)."""
    if not env.get(names.JOBS_TABLE):
        return "no jobs table"
    if not env.get(names.JOB_ID) and not (env.get(names.S3_BUCKET_NAME) and env.get(names.S3_KEY)):
        return "no job: neither JOB_ID nor the input"
    ledger = Ledger(boto3.resource("dynamodb").Table(env[names.JOBS_TABLE]), 30)
    outputs = Outputs(boto3.client("s3"), Layout.from_env(env))
    return handle_task_change(task_event(env, status, exit_code), "worker", ledger, outputs)


def run_worker(endpoint: str, key: str, etag: str | None = None, **extra: str) -> Run:
    env = worker_env(endpoint, key, etag, **extra)
    tell_task_state(env, "RUNNING")
    done = subprocess.run([sys.executable, "-m", "offload_worker"], env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode >= 0:
        tell_task_state(env, "STOPPED", done.returncode)
    return Run(done.returncode, done.stdout, done.stderr)


class WorkerProcess(subprocess.Popen[str]):
    """A started worker; when it ends by itself, its task's stopped event reaches the task-state function."""

    def __init__(self, env: dict[str, str]) -> None:
        tell_task_state(env, "RUNNING")
        super().__init__([sys.executable, "-m", "offload_worker"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
        self._env, self._told = env, False

    def wait(self, timeout: float | None = None) -> int:
        code = super().wait(timeout)
        if not self._told:
            self._told = True
            if code >= 0:
                tell_task_state(self._env, "STOPPED", code)
        return code

    def poll(self) -> int | None:
        return None if super().poll() is None else self.wait()


def start_worker(endpoint: str, key: str, etag: str, **extra: str) -> WorkerProcess:
    return WorkerProcess(worker_env(endpoint, key, etag, **extra))


def put(key: str, body: bytes | str) -> str:
    data = body.encode() if isinstance(body, str) else body
    return str(boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=data)["ETag"])


def get_text(key: str) -> str:
    return str(boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode())


def keys(prefix: str = "") -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def items() -> dict[str, dict[str, Any]]:
    table = boto3.resource("dynamodb").Table("Order")
    found: dict[str, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {}
    while True:
        page = table.scan(**kwargs)
        found.update({i["OrderId"]: i for i in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def job(job_id: str) -> dict[str, Any]:
    return dict(boto3.resource("dynamodb").Table("jobs").get_item(Key={"JobId": job_id}).get("Item", {}))


def requeue(job_id: str) -> None:
    """What `offload rerun` does to a FAILED job's record before it starts the task again
    (bootstrap/offload/lib/jobs/rerun.py): the job is QUEUED, so its new task can end it."""
    boto3.resource("dynamodb").Table("jobs").update_item(
        Key={"JobId": job_id}, UpdateExpression="SET #st = :queued REMOVE #reason, #exit",
        ExpressionAttributeNames={"#st": "Status", "#reason": "Reason", "#exit": "ExitCode"},
        ExpressionAttributeValues={":queued": "QUEUED"},
    )
