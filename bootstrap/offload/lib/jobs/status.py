"""What `offload status` shows: the jobs as a table, then the dead-letter queue."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

from offload_contract import jobs

from offload.lib.jobs.store import Stack, dead_letters, list_jobs
from offload.lib.text import age


def status_text(stack: Stack, now: float | None = None) -> str:
    """What `offload status` shows: the jobs, then any events the dispatcher gave up on."""
    text = table(list_jobs(stack), now)
    stuck = dead_letters(stack)
    if stuck:
        text += (
            f"{os.linesep}{stuck} event(s) in the dead-letter queue {stack.dlq_url}: the dispatcher gave up on them; "
            "once instances have room, redrive them to the queue (SQS console: Start DLQ redrive)"
        )
    return text


def table(rows: Iterable[dict[str, Any]], now: float | None = None) -> str:
    """The jobs as an aligned text table: key, status, rows, task, age, reason."""
    current = now if now is not None else time.time()
    lines = [("KEY", "STATUS", "ROWS", "TASK", "AGE", "REASON")]
    for job in rows:
        counted = jobs.ROWS_LOADED in job
        lines.append(
            (
                str(job.get(jobs.KEY, "")),
                str(job.get(jobs.STATUS, "")),
                f"{job.get(jobs.ROWS_LOADED, 0)}/{job.get(jobs.ROWS_TOTAL, 0)}" if counted else "-",
                str(job.get(jobs.TASK_ARN, "-")).rsplit("/", 1)[-1][:12],
                age(current - int(job.get(jobs.CREATED_AT, current))),
                str(job.get(jobs.REASON, "")),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    return os.linesep.join(
        ("  ".join(cell.ljust(width) for cell, width in zip(line[:5], widths, strict=True)) + "  " + line[5]).rstrip()
        for line in lines
    )
