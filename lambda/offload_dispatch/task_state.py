"""EventBridge "ECS Task State Change": no job stays RUNNING after its task is gone."""

from __future__ import annotations

from typing import Any

from offload_contract import env

from offload_dispatch.ledger import Ledger


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
    stopped = detail.get("stoppedReason") or detail.get("stopCode") or "task stopped"
    if exit_code is None:
        return f"task stopped before the worker finished (host lost or task killed): {stopped}", None
    return f"worker exited with code {exit_code}: {worker.get('reason') or stopped}", int(exit_code)


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
    if shard is not None:
        return "failed" if ledger.shard_failed(jid, shard, reason, exit_code) else "shard failed; job already ended"
    return "failed" if ledger.failed(jid, reason, exit_code) else "ignored: job already ended"
