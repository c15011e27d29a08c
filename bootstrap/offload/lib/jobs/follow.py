"""Follow jobs to their end: `offload submit --wait` and `offload status --watch` read this."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from offload_contract import jobs

from offload.lib.jobs.store import FINAL, Stack, get_job

POLL_SECONDS = 2.0


def follow(
    stack: Stack,
    job_ids: list[str],
    update: Callable[[str, dict[str, Any] | None], None],
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, dict[str, Any]]:
    """Poll each job until every one has ended; `update(job_id, record or None)` after each read.
    A job not in the table yet is one the dispatcher has not reached: it is waited for too."""
    ended: dict[str, dict[str, Any]] = {}
    while True:
        for job_id in job_ids:
            if job_id in ended:
                continue
            record = get_job(stack, job_id)
            update(job_id, record)
            if record is not None and record.get(jobs.STATUS) in FINAL:
                ended[job_id] = record
        if len(ended) == len(job_ids):
            return ended
        sleep(poll_seconds)


def failed(records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records.values() if r.get(jobs.STATUS) != jobs.SUCCEEDED]
