"""EventBridge "ECS Task State Change": no job stays RUNNING after its task is gone, and its Reason
says what ECS said when the worker could not: the container's reason (`OutOfMemoryError: …`,
`CannotPullContainerError: …`), the task's stopCode and stoppedReason. A stop the worker recorded
itself (SIGTERM from StopTask: "stopped by ECS: …") keeps its words and gains ECS's stoppedReason."""

from __future__ import annotations

from typing import Any

from offload_contract import env, jobs

from offload_dispatch.ledger import Ledger

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


def handle_task_change(detail: dict[str, Any], container: str, ledger: Ledger) -> str:
    if detail.get("lastStatus") != "STOPPED":
        return "ignored: not stopped"
    jid = job_of(detail, container)
    if jid is None:
        return "ignored: not an offload task"
    failure = stopped_task_failure(detail, container)
    if failure is None:
        return "ok: exited 0"
    reason, exit_code = failure
    shard = shard_of(detail, container)
    if shard is not None and ledger.shard_failed(jid, shard, reason, exit_code):
        return "failed"
    if shard is None and ledger.failed(jid, reason, exit_code):
        return "failed"
    note = ecs_note(detail)
    if note and ledger.add_to_stop_reason(jid, shard, note):
        return "stopped: ECS's reason added"
    return "shard failed; job already ended" if shard is not None else "ignored: job already ended"
