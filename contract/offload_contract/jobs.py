"""The job record kept in the jobs table, one item per (bucket, key, ETag)."""

from __future__ import annotations

import time

# Key of the jobs table
JOB_ID = "JobId"
# Its global secondary index: Status (hash), UpdatedAt (range), all attributes; the watchdog's way to open jobs
STATUS_INDEX = "ByStatus"
# The backlog (docs/contract.md "The backlog"): a job waiting for capacity, or with a shard waiting, carries
# WAITING_LINE and WAITING_SINCE, and only then, so the sparse index BACKLOG_INDEX (hash WAITING_LINE, range
# WAITING_SINCE, all attributes) holds exactly the waiting work, oldest first. Read it, never scan the table.
BACKLOG_INDEX = "Backlog"
WAITING_LINE = "WaitingLine"  # the index's hash key: always BACKLOG_LINE (one line per jobs table)
BACKLOG_LINE = "waiting"
WAITING_SINCE = "WaitingSince"  # the index's range key: the upload's arrival, epoch milliseconds (FIFO order)

# Statuses, in the order a job normally passes through them.
QUEUED = "QUEUED"  # ledger entry made, RunTask not yet confirmed
WAITING_FOR_CAPACITY = "WAITING_FOR_CAPACITY"  # in the backlog: no room, or older jobs wait before it
RUNNING = "RUNNING"  # the worker has started
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
STATUSES = (QUEUED, WAITING_FOR_CAPACITY, RUNNING, SUCCEEDED, FAILED)
FINAL_STATUSES = (SUCCEEDED, FAILED)

# Attributes
BUCKET = "Bucket"
KEY = "Key"
ETAG = "ETag"
STATUS = "Status"
REASON = "Reason"
TASK_ARN = "TaskArn"
ATTEMPTS = "Attempts"  # RunTask attempts made by the dispatcher
CREATED_AT = "CreatedAt"  # epoch seconds
UPDATED_AT = "UpdatedAt"
STARTED_AT = "StartedAt"
FINISHED_AT = "FinishedAt"
ROWS_TOTAL = "RowsTotal"
ROWS_LOADED = "RowsLoaded"
ROWS_REJECTED = "RowsRejected"
ROWS_DUPLICATE = "RowsDuplicate"
OUTPUT_KEY = "OutputKey"
REJECTS_KEY = "RejectsKey"
DURATION_MS = "DurationMs"
# Progress of a RUNNING job, written by the worker every few seconds (PROGRESS_SECONDS)
ROWS_READ = "RowsRead"
BYTES_READ = "BytesRead"
SIZE_BYTES = "SizeBytes"  # the object's size
ROWS_PER_SECOND = "RowsPerSecond"
PROGRESS_AT = "ProgressAt"  # epoch seconds of the last progress update
THROTTLED_MS = "ThrottledMs"  # time DynamoDB throttled the load (the writer slowed down)
EXIT_CODE = "ExitCode"
LOAD_PROCESSES = "LoadProcesses"  # how many load processes the worker ran
LOAD_PROCESSES_REASON = "LoadProcessesReason"  # and why that many (its limits)
SCHEMA = "Schema"  # the schema's name (terraform `schemas`); absent: the built-in orders schema
SCHEMA_KEY = "SchemaKey"  # the content-addressed schema object the job loads with (and reruns with)
SCHEMA_DIGEST = "SchemaDigest"  # its sha256, hex
TABLE = "Table"  # the table the job loads into, written with the claim (a schema's; absent: TABLE_NAME's)
WHOLE_FILE_REASON = "WholeFileReason"  # why a file big enough to shard runs as one task (gzip, duplicates)
EXPIRES_AT = "ExpiresAt"  # the table's TTL attribute
# A sharded job (docs/contract.md): one record, its shards in a map
SHARD_COUNT = "ShardCount"
SHARDS = "Shards"  # {"0": {Status, TaskArn, Start, End, Entry, Rows..., ...}, "1": ...}
SHARDS_DONE = "ShardsDone"  # number set of the shards whose rows are written and parts staged
# A shard's own attributes, inside Shards: Status, TaskArn, Reason, ExitCode, the Rows* counts,
# RowsRead and BytesRead as above, and these
SHARD_START = "Start"
SHARD_END = "End"
SHARD_SUMMARY = "Summary"  # its range parsed from both states it may start in (docs/contract.md)
SHARD_ENTRY = "Entry"  # where its first row starts: {Offset, Line, Quoted}, followed through the summaries
ENTRY_OFFSET = "Offset"
ENTRY_LINE = "Line"
ENTRY_QUOTED = "Quoted"  # -1: a row starts there; else the length of the quoted field still open
OUTPUT_BYTES = "OutputBytes"  # its staged part of the output
REJECTS_BYTES = "RejectsBytes"

# What the worker reports (docs/contract.md "Who writes the record"). The worker never writes Status or
# any other field above: the task-state function decides the job's fate from the task's exit code and
# the report, after checking the reported output in S3.
REPORT = "Report"  # map, replaced whole on every report; its fields:
REPORTED_STATUS = "Status"  # RUNNING, then LOADED (a shard task: ASSEMBLED when it assembled the job) or FAILED
REPORTED_LOADED = "LOADED"
REPORTED_ASSEMBLED = "ASSEMBLED"
REPORTED_SHARD = "Shard"  # the shard that assembled the results
OUTPUT_ETAG = "OutputETag"  # the committed output object's ETag, as S3 returned it
REJECTS_ETAG = "RejectsETag"
# ... and StartedAt, FinishedAt, ExitCode, Reason, RowsTotal, RowsLoaded, RowsRejected, RowsDuplicate,
# OutputKey, RejectsKey, DurationMs, ThrottledMs with the meanings above.
# The top-level attributes the task role may UpdateItem (IAM dynamodb:Attributes; the key must be listed):
# the report, progress, the load processes, and a sharded job's shard entries and ShardsDone.
WORKER_FIELDS = (
    JOB_ID,
    REPORT,
    ROWS_READ,
    BYTES_READ,
    SIZE_BYTES,
    ROWS_PER_SECOND,
    PROGRESS_AT,
    LOAD_PROCESSES,
    LOAD_PROCESSES_REASON,
    SHARDS,
    SHARDS_DONE,
)

# How a Reason starts when SIGTERM (ECS's StopTask) ended the load; the task-state handler adds ECS's stoppedReason
STOPPED_BY_ECS = "stopped by ECS"


def now() -> int:
    return int(time.time())


def expires_at(ttl_days: int, at: int | None = None) -> int:
    return (at if at is not None else now()) + ttl_days * 86400
