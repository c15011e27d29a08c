"""EventBridge "ECS Task State Change": the job's fate is decided here, never by the worker.

A task RUNNING makes its job RUNNING. A task STOPPED with exit code 0 makes it SUCCEEDED once the
worker's reported output checks out in S3 (outcome.py), else FAILED saying what did not; any other
stop makes it FAILED with the worker's reported Reason, or what ECS said when the worker could not:
the container's reason (`OutOfMemoryError: …`, `CannotPullContainerError: …`), the task's stopCode
and stoppedReason. A stop the worker reported (SIGTERM from StopTask: "stopped by ECS: …") keeps its
words and gains ECS's stoppedReason."""

from __future__ import annotations

from typing import Any

from offload_contract import env, jobs

from offload_dispatch.ledger import Ledger
from offload_dispatch.outcome import Outputs

# The task's stopCode (ECS API reference, Task.stopCode)
USER_INITIATED = "UserInitiated"  # StopTask
FAILED_TO_START = "TaskFailedToStart"  # no container ran: the image could not be pulled, created or started


def _overrides(detail: dict[str, Any], container: str) -> dict[str, str]:
    for override in detail.get("overrides", {}).get("containerOverrides", []):
        if override.get("name") == container:
            return {str(v.get("name")): str(v.get("value")) for v in override.get("environment", [])}
    return {}


def job_of(detail: dict[str, Any], container: str) -> str | None:
    return _overrides(detail, container).get(env.JOB_ID)


def shard_of(detail: dict[str, Any], container: str) -> int | None:
    """The shard a task loads (None: the whole file)."""
    index = _overrides(detail, container).get(env.SHARD_INDEX, "")
    return int(index) if index.isdigit() else None


def stopped_task_failure(detail: dict[str, Any], container: str) -> tuple[str, int | None] | None:
    """(reason, exit code) when the stopped task means a failed job; None when it exited 0."""
    worker: dict[str, Any] = next((c for c in detail.get("containers", []) if c.get("name") == container), {})
    exit_code = worker.get("exitCode")
    if exit_code == 0:
        return None
    stop_code = detail.get("stopCode") or "no stopCode"
    said = worker.get("reason") or detail.get("stoppedReason") or "task stopped"
    if stop_code == USER_INITIATED:  # the worker had no time to record it (SIGKILL after the stop timeout)
        ended = f"worker exited with code {exit_code}" if exit_code is not None else "the worker never reported"
        return f"{jobs.STOPPED_BY_ECS}: {detail.get('stoppedReason') or 'StopTask'} ({stop_code}); {ended}", exit_code
    if exit_code is None:
        if stop_code == FAILED_TO_START:
            return f"task failed to start ({stop_code}): {said}", None
        return f"task stopped before the worker finished (host lost or task killed): {said} ({stop_code})", None
    return f"worker exited with code {exit_code}: {said} ({stop_code})", int(exit_code)


def ecs_note(detail: dict[str, Any]) -> str | None:
    """What ECS adds to a stop the worker recorded itself."""
    if detail.get("stopCode") != USER_INITIATED:
        return None
    return f"ECS: {detail.get('stoppedReason') or 'StopTask'} ({USER_INITIATED})"


def _reported_reason(record: dict[str, Any], shard: int | None) -> str:
    """The worker's own word on a failure it reported, if any."""
    if shard is not None:
        entry = record.get(jobs.SHARDS, {}).get(str(shard), {})
        return str(entry.get(jobs.REASON, "")) if entry.get(jobs.STATUS) == jobs.FAILED else ""
    report = record.get(jobs.REPORT, {})
    return str(report.get(jobs.REASON, "")) if report.get(jobs.REPORTED_STATUS) == jobs.FAILED else ""


def _exited_zero(detail: dict[str, Any], container: str, job_id: str, ledger: Ledger, outputs: Outputs) -> str:
    shard = shard_of(detail, container)
    report = ledger.job(job_id).get(jobs.REPORT, {})
    if shard is not None and (
        report.get(jobs.REPORTED_STATUS) != jobs.REPORTED_ASSEMBLED or report.get(jobs.REPORTED_SHARD) != shard
    ):
        return "ok: shard exited 0"  # the shard that assembled the results decides the job
    given = _overrides(detail, container)  # the dispatcher's, not the worker's word
    fields, problem = outputs.check(given.get(env.S3_BUCKET_NAME, ""), given.get(env.S3_KEY, ""), report)
    if problem:
        return "failed" if ledger.failed(job_id, f"worker exited with code 0 but {problem}", 0) else "ignored"
    claimed = {jobs.BUCKET: given.get(env.S3_BUCKET_NAME), jobs.KEY: given.get(env.S3_KEY)}
    claimed[jobs.ETAG] = given.get(env.STATUS_KEY)
    claimed = {name: value for name, value in claimed.items() if value}
    return "succeeded" if ledger.succeeded(job_id, fields, claimed) else "ignored: job already ended"


def handle_task_change(detail: dict[str, Any], container: str, ledger: Ledger, outputs: Outputs) -> str:
    status = detail.get("lastStatus")
    if status not in ("RUNNING", "STOPPED"):
        return f"ignored: {status}"
    jid = job_of(detail, container)
    if jid is None:
        return "ignored: not an offload task"
    if status == "RUNNING":
        return "running" if ledger.running(jid) else "ignored: job moved on"
    failure = stopped_task_failure(detail, container)
    if failure is None:
        return _exited_zero(detail, container, jid, ledger, outputs)
    reason, exit_code = failure
    shard = shard_of(detail, container)
    reported = _reported_reason(ledger.job(jid), shard)
    if reported:
        note = ecs_note(detail)
        reason = f"{reported}; {note}" if note else reported
    if shard is not None:
        return "failed" if ledger.shard_failed(jid, shard, reason, exit_code) else "shard failed; job already ended"
    return "failed" if ledger.failed(jid, reason, exit_code) else "ignored: job already ended"
