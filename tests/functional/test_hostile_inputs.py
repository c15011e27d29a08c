"""The hostile-input corpus through the dispatcher and the worker, on the twin.

Each case: the reason is in the job record or the rejects report, the exit code is
the documented one, a failed file leaves no output and no items, nothing prints a
traceback.
"""

from __future__ import annotations

from types import ModuleType

import boto3
import pytest
from offload_contract.layout import Layout

from tests.dispatcher import Context, jobs, run_as_agent, tasks
from tests.events import s3_message, sqs_event
from tests.figures import say
from tests.functional.worker_run import BUCKET, get_text, items, keys
from tests.hostile_inputs import CASES, Case
from tests.twin_cluster import join_instance

pytestmark = pytest.mark.functional


def test_the_corpus_has_at_least_20_kinds() -> None:
    assert len({c.name for c in CASES}) == len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input(handler: ModuleType, twin: str, case: Case) -> None:
    join_instance(twin)
    etag = '"0123456789abcdef"'
    if not case.refused:  # S3 itself may refuse or rewrite such keys; the event is what matters
        etag = boto3.client("s3").put_object(Bucket=BUCKET, Key=case.s3_key, Body=case.body)["ETag"]
    event = sqs_event(s3_message(BUCKET, [(case.s3_key, etag)]))
    assert handler.lambda_handler(event, Context()) == {"batchItemFailures": []}
    started = tasks()
    assert len(started) == (0 if case.refused else 1)
    said = ""
    if started:
        run = run_as_agent(twin, started[0])
        assert run.code == case.exit_code, run.stderr
        assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
        said = run.stderr.strip()
    (job,) = jobs()
    loaded = items()
    report = _rejects(case.s3_key)
    figure = (f"hostile {case.name}: status={job['Status']} exit={job['ExitCode']} items={len(loaded)} "
              f"reason={(job.get('Reason') or (report.splitlines()[-1] if report else ''))[:90]!r}")
    say(figure)
    assert (job["Status"], job["ExitCode"], len(loaded)) == (case.status, case.exit_code, case.loaded), figure
    if case.status == "FAILED":
        assert case.reason in job["Reason"] and (not said or case.reason in said)
        assert keys("processed/") == [] and loaded == {}
    else:
        output = get_text(Layout().output_key(case.s3_key))
        assert len(output.splitlines()) == case.loaded + 1
        assert case.reason in report + job.get("Reason", "")
        assert {k: loaded["1"][k] for k in case.item} == case.item


def _rejects(key: str) -> str:
    try:
        return get_text(Layout().rejects_key(key))
    except boto3.client("s3").exceptions.NoSuchKey:
        return ""
