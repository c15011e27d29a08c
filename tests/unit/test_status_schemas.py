"""`offload status` shows each job's schema (issue 24): its name and the start of its digest, the version
the job loads with, and why a file big enough to shard runs as one task. Without schemas, today's table."""

from __future__ import annotations

from offload.lib.jobs.status import table
from offload_contract import jobs

NOW = 1_800_000_000
DIGEST = "3f2a9c1d" + "0" * 56


def _job(job_id: str, **more: object) -> dict[str, object]:
    return {jobs.JOB_ID: job_id, jobs.KEY: f"incoming/{job_id}", jobs.STATUS: jobs.QUEUED, jobs.CREATED_AT: NOW, **more}


def _row(shown: str, job_id: str) -> list[str]:
    (line,) = [line for line in shown.splitlines() if line.startswith(f"incoming/{job_id} ")]
    return line.split()


def test_each_job_shows_its_schema_and_version() -> None:
    shown = table(
        [
            _job("events.jsonl", **{jobs.SCHEMA: "events", jobs.SCHEMA_DIGEST: DIGEST, jobs.SCHEMA_KEY: "k"}),
            _job("a.csv"),  # claimed before the stack had schemas: the built-in orders schema
        ],
        NOW,
    )
    assert shown.splitlines()[0].split() == [
        "KEY", "JOB", "SCHEMA", "STATUS", "ROWS", "PROGRESS", "TASK", "AGE", "REASON"
    ]
    assert _row(shown, "events.jsonl")[2:4] == ["events@3f2a9c1d", "QUEUED"]
    assert _row(shown, "a.csv")[2:4] == ["-", "QUEUED"]


def test_a_file_run_as_one_task_says_why() -> None:
    why = "gzip: a compressed stream cannot be cut into byte ranges, so the file runs as one task"
    shown = table([_job("big.jsonl.gz", **{jobs.WHOLE_FILE_REASON: why})], NOW, {"big.jsonl.gz": 2})
    assert shown.splitlines()[1].endswith(f"#2 in line; {why}")


def test_without_schemas_the_table_is_todays() -> None:
    shown = table([_job("a.csv", **{jobs.REASON: "RunTask: RESOURCE:MEMORY"})], NOW)
    assert shown.splitlines()[0].split() == ["KEY", "JOB", "STATUS", "ROWS", "PROGRESS", "TASK", "AGE", "REASON"]
    assert shown.splitlines()[1].endswith("  RunTask: RESOURCE:MEMORY")
