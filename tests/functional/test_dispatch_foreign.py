"""The dispatcher acts only on its own bucket's ObjectCreated records: any other record is dropped with
one log line and acknowledged, never a task; only a body it cannot parse comes back (poison)."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from offload_dispatch.settings import Settings, SettingsError

from tests.dispatcher import Context, jobs, tasks
from tests.events import s3_message, sqs_event
from tests.twin_cluster import join_instance

pytestmark = pytest.mark.functional
BUCKET = "orders-bucket"


def _varied(bucket: str, **fields: str) -> str:
    message = json.loads(s3_message(bucket, [("incoming/a.csv", '"etag-a"')]))
    message["Records"][0].update(fields)
    if fields.get("eventName", "").startswith("ObjectRemoved"):
        del message["Records"][0]["s3"]["object"]["eTag"]  # as S3 sends a delete
    return json.dumps(message)


def test_records_of_another_bucket_or_event_start_nothing(
    handler: ModuleType, twin: str, caplog: pytest.LogCaptureFixture
) -> None:
    join_instance(twin)
    foreign = [
        s3_message("someone-elses-bucket", [("incoming/a.csv", '"etag-a"')]),
        _varied(BUCKET, eventSource="aws:sqs"),
        _varied(BUCKET, eventName="ObjectRemoved:Delete"),
        _varied(BUCKET, eventName="ObjectRestore:Completed"),
    ]
    reply = handler.lambda_handler(sqs_event(*foreign, "{}"), Context())
    assert reply == {"batchItemFailures": [{"itemIdentifier": "msg-4"}]}  # only the unparsable body is poison
    assert tasks() == [] and jobs() == []
    dropped = [
        str(r.__dict__) for r in caplog.records if r.getMessage() == "dropped: not an upload to this stack's bucket"
    ]
    assert len(dropped) == len(foreign), dropped
    assert "someone-elses-bucket" in dropped[0] and "aws:sqs" in dropped[1] and "ObjectRemoved" in dropped[2]
    ours = s3_message(BUCKET, [("incoming/a.csv", '"etag-a"')])
    assert handler.lambda_handler(sqs_event(ours), Context()) == {"batchItemFailures": []}
    assert len(tasks()) == 1 and len(jobs()) == 1  # the same file from the stack's own bucket runs


def test_the_dispatcher_refuses_to_start_without_its_bucket() -> None:
    environ = {"CLUSTER_NAME": "c", "TASK_DEFINITION": "t", "CONTAINER_NAME": "w", "JOBS_TABLE": "jobs"}
    with pytest.raises(SettingsError, match="S3_BUCKET_NAME is not set on the dispatcher"):
        Settings.from_env(environ)
    assert Settings.from_env({**environ, "S3_BUCKET_NAME": BUCKET}).bucket == BUCKET


def test_the_watchdog_looks_up_quiet_jobs_after_the_configured_seconds() -> None:
    environ = {"CLUSTER_NAME": "c", "TASK_DEFINITION": "t", "CONTAINER_NAME": "w", "JOBS_TABLE": "jobs",
               "S3_BUCKET_NAME": BUCKET}
    assert Settings.from_env(environ).reconcile_after_seconds == 600
    assert Settings.from_env({**environ, "RECONCILE_AFTER_SECONDS": "3"}).reconcile_after_seconds == 3
    with pytest.raises(SettingsError, match="RECONCILE_AFTER_SECONDS='0' must be a whole number of seconds >= 1"):
        Settings.from_env({**environ, "RECONCILE_AFTER_SECONDS": "0"})
