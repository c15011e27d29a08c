"""What `offload status` shows: the backlog, the jobs as a table (progress for running ones, place in line for
waiting ones), then the dead-letter queue."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from offload_contract import jobs

from offload.lib.jobs.store import Stack, backlog, count_status, dead_letters, list_jobs
from offload.lib.text import age, printable

JOB_ID_SHOWN = 12  # `offload rerun` takes this prefix (or more) of a job id
SCHEMA_DIGEST_SHOWN = 8  # enough to tell a schema's versions apart at a glance


@dataclass(frozen=True)
class Progress:
    """How far a job is, from its record: a fraction of the object's bytes, a rate and an ETA."""

    fraction: float | None
    rows: int
    rows_per_second: int
    eta_seconds: float | None

    @classmethod
    def of(cls, job: dict[str, Any]) -> Progress:
        if job.get(jobs.SHARDS) and job.get(jobs.STATUS) != jobs.SUCCEEDED:
            return cls._of_shards(job)
        rows = int(job.get(jobs.ROWS_READ, 0))
        rate = int(job.get(jobs.ROWS_PER_SECOND, 0))
        if job.get(jobs.STATUS) == jobs.SUCCEEDED:
            return cls(1.0, rows, rate, 0.0)
        size, done = int(job.get(jobs.SIZE_BYTES, 0)), int(job.get(jobs.BYTES_READ, 0))
        if not size:
            return cls(None, rows, rate, None)
        elapsed = int(job.get(jobs.PROGRESS_AT, 0)) - int(job.get(jobs.STARTED_AT, 0))
        eta = (size - done) * elapsed / done if done and elapsed > 0 else None
        return cls(min(1.0, done / size), rows, rate, eta)

    @classmethod
    def _of_shards(cls, job: dict[str, Any]) -> Progress:
        """A sharded job's progress: its shards' bytes and rows added up, their rates too (they run at once)."""
        shards = list(job[jobs.SHARDS].values())
        size = sum(int(s.get(jobs.SHARD_END, 0)) - int(s.get(jobs.SHARD_START, 0)) for s in shards)
        done = sum(
            min(int(s.get(jobs.BYTES_READ, 0)), int(s[jobs.SHARD_END]) - int(s[jobs.SHARD_START])) for s in shards
        )
        rows = sum(int(s.get(jobs.ROWS_READ, 0)) for s in shards)
        rate = sum(int(s.get(jobs.ROWS_PER_SECOND, 0)) for s in shards if s.get(jobs.STATUS) == jobs.RUNNING)
        elapsed = int(job.get(jobs.PROGRESS_AT, 0) or job.get(jobs.UPDATED_AT, 0)) - int(job.get(jobs.STARTED_AT, 0))
        eta = (size - done) * elapsed / done if done and elapsed > 0 else None
        return cls(min(1.0, done / size) if size else None, rows, rate, eta)

    def text(self) -> str:
        if self.fraction is None:
            return "-"
        if self.fraction >= 1.0:
            return "100%"
        eta = f" ETA {age(self.eta_seconds)}" if self.eta_seconds is not None else ""
        return f"{self.fraction:.0%} {self.rows_per_second:,} rows/s{eta}"


def waited(seconds: float) -> str:
    """45s, 3m12s, 2h05m: how long the head of the line has waited, to the second while that matters."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


@dataclass(frozen=True)
class Backlog:
    """The jobs waiting for capacity, oldest first (the Backlog index), and how many jobs hold a slot."""

    waiting: tuple[dict[str, Any], ...]  # JobId and WaitingSince (epoch ms) of each, oldest first
    running: int
    starting: int  # QUEUED: RunTask placed the task, the worker has not opened the file yet

    @classmethod
    def read(cls, stack: Stack) -> Backlog:
        return cls(tuple(backlog(stack)), count_status(stack, jobs.RUNNING), count_status(stack, jobs.QUEUED))

    def places(self) -> dict[str, int]:
        """Job id -> place in line: 1 + the waiting jobs that arrived before it (docs/contract.md)."""
        places: dict[str, int] = {}
        place, previous = 0, None
        for index, job in enumerate(self.waiting, start=1):
            since = int(job[jobs.WAITING_SINCE])
            place, previous = (place if since == previous else index), since
            places[str(job[jobs.JOB_ID])] = place
        return places

    def text(self, now: float) -> str:
        """`backlog: waiting 7 (oldest 3m12s), running 16`, and `starting K` while tasks start."""
        line = f"backlog: waiting {len(self.waiting)}"
        if self.waiting:
            line += f" (oldest {waited(now - int(self.waiting[0][jobs.WAITING_SINCE]) / 1000)})"
        line += f", running {self.running}"
        return line + (f", starting {self.starting}" if self.starting else "")


def _reason(job: dict[str, Any], places: dict[str, int]) -> str:
    """Its place in line, its Reason, and why a file big enough to shard runs as one task."""
    place = places.get(str(job.get(jobs.JOB_ID, "")))
    parts = (
        f"#{place} in line" if place is not None else "",
        str(job.get(jobs.REASON, "")),
        str(job.get(jobs.WHOLE_FILE_REASON, "")),
    )
    return "; ".join(part for part in parts if part)


def _schema(job: dict[str, Any]) -> str:
    """The schema the job loads with: its name and the start of its digest (the version), "-" for orders'
    built-in one."""
    if not job.get(jobs.SCHEMA):
        return "-"
    return f"{job[jobs.SCHEMA]}@{str(job.get(jobs.SCHEMA_DIGEST, ''))[:SCHEMA_DIGEST_SHOWN]}"


def _shard_rows(job: dict[str, Any]) -> str:
    """A sharded job's rows so far: those its finished shards loaded, of those they read."""
    shards = list(job.get(jobs.SHARDS, {}).values())
    if not any(jobs.ROWS_LOADED in s for s in shards):
        return "-"
    return (
        f"{sum(int(s.get(jobs.ROWS_LOADED, 0)) for s in shards)}/{sum(int(s.get(jobs.ROWS_READ, 0)) for s in shards)}"
    )


def _task(job: dict[str, Any]) -> str:
    """The task, or for a sharded job how many of its shards are done: "shards 2/3"."""
    shards = job.get(jobs.SHARDS)
    if not shards:
        return str(job.get(jobs.TASK_ARN, "-")).rsplit("/", 1)[-1][:12]
    done = sum(1 for s in shards.values() if s.get(jobs.STATUS) == jobs.SUCCEEDED)
    return f"shards {done}/{len(shards)}"


def status_text(stack: Stack, now: float | None = None, with_dead_letters: bool = True) -> str:
    """What `offload status` shows: the backlog, the jobs, then any events the dispatcher gave up on."""
    current = now if now is not None else time.time()
    line = Backlog.read(stack)
    note = dead_letter_note(stack) if with_dead_letters else ""
    shown = line.text(current) + os.linesep + table(list_jobs(stack), current, line.places())
    return shown + (os.linesep + note if note else "")


def dead_letter_note(stack: Stack) -> str:
    stuck = dead_letters(stack)
    if not stuck:
        return ""
    return (
        f"{stuck} event(s) in the dead-letter queue {stack.dlq_url}: the dispatcher gave up on them; "
        "once instances have room, redrive them to the queue (SQS console: Start DLQ redrive)"
    )


def table(rows: Iterable[dict[str, Any]], now: float | None = None, places: dict[str, int] | None = None) -> str:
    """The jobs as an aligned text table: key, job, (schema, when a job has one), status, rows, progress,
    task, age, reason (a waiting job's starts with its place in line, from `places`)."""
    current = now if now is not None else time.time()
    rows = list(rows)
    schemas = any(job.get(jobs.SCHEMA) for job in rows)  # a stack without schemas shows today's columns
    lines: list[tuple[str, ...]] = [
        ("KEY", "JOB", *(("SCHEMA",) if schemas else ()), "STATUS", "ROWS", "PROGRESS", "TASK", "AGE", "REASON")
    ]
    for job in rows:
        counted = jobs.ROWS_LOADED in job
        cells = (
            str(job.get(jobs.KEY, "")),
            str(job.get(jobs.JOB_ID, "-"))[:JOB_ID_SHOWN],
            *((_schema(job),) if schemas else ()),
            str(job.get(jobs.STATUS, "")),
            f"{job.get(jobs.ROWS_LOADED, 0)}/{job.get(jobs.ROWS_TOTAL, 0)}" if counted else _shard_rows(job),
            Progress.of(job).text(),
            _task(job),
            age(current - int(job.get(jobs.CREATED_AT, current))),
            _reason(job, places or {}),
        )
        lines.append(tuple(printable(cell) for cell in cells))  # a key or a reason is anyone's text
    aligned = len(lines[0]) - 1  # every column but the reason, which ends the line
    widths = [max(len(line[i]) for line in lines) for i in range(aligned)]
    return os.linesep.join(
        (
            "  ".join(cell.ljust(width) for cell, width in zip(line[:aligned], widths, strict=True)) + "  " + line[-1]
        ).rstrip()
        for line in lines
    )
