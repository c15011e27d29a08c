"""Run a FAILED job's file again: the same ETag, so the same items; claimed first, so once."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from offload_contract import jobs
from offload_contract.ids import JOB_ID_PATTERN, JOB_SITE_SEPARATOR
from offload_contract.shards import client_token
from offload_contract.task import placement, task_overrides

from offload.lib.jobs.store import Stack, get_job, list_jobs, update


class RerunRefused(Exception):
    """The job cannot be rerun; str() says why in one line."""


def resolve(stack: Stack, shown: str) -> str:
    """The full job id from the prefix `offload status` shows (or the whole id)."""
    if JOB_ID_PATTERN.fullmatch(shown):
        return shown
    matches = [str(j[jobs.JOB_ID]) for j in list_jobs(stack) if str(j.get(jobs.JOB_ID, "")).startswith(shown)]
    if not matches:
        raise RerunRefused(f"no job {shown!r} in table {stack.jobs_table}: see `offload status`")
    if len(shown) < 6 or len(matches) > 1:
        raise RerunRefused(f"job id {shown!r} is ambiguous: give more of it (see `offload status`)")
    return matches[0]


def rerun(stack: Stack, job_id: str, force: bool = False) -> list[str]:
    """Start the worker again for a FAILED job (same file, same ETag); returns the task ARNs: one,
    or one per shard to run again (a sharded job reruns only the shards that did not finish).
    Writes are idempotent, so rows a killed run already loaded are written again, not twice.
    force: also a job still shown RUNNING whose task is known to be gone (host lost)."""
    job = get_job(stack, job_id)
    if job is None:
        raise RerunRefused(f"no job {job_id!r} in table {stack.jobs_table}: see `offload status`")
    status = job.get(jobs.STATUS)
    if status != jobs.FAILED and not (force and status == jobs.RUNNING):
        hint = " (if its task is gone, pass --force)" if status == jobs.RUNNING else ""
        raise RerunRefused(f"job {job_id} is {status}, not FAILED: only a failed job is rerun{hint}")
    try:
        stack.launch_for(str(job.get(jobs.KEY, "")))  # before the claim: nothing half-written
        site = stack.job_site_for(str(job.get(jobs.KEY, "")))
    except ValueError as error:
        raise RerunRefused(str(error)) from None
    if site and not job_id.startswith(site + JOB_SITE_SEPARATOR):  # dynamodb:LeadingKeys would refuse its reports
        raise RerunRefused(
            f"job {job_id}'s id does not begin with '{site}{JOB_SITE_SEPARATOR}' (it predates `sites`), so site "
            f"{site}'s tasks may not report on it: upload the file again to run it as a new job"
        )
    _check_schema(stack, job)
    previous = int(job.get(jobs.ATTEMPTS, 0))
    attempt = previous + 1
    # Claim the rerun first: of two operators rerunning at once, one starts a task.
    try:
        update(
            stack,
            job_id,
            "SET #st = :queued, #att = :att, #up = :now REMOVE #reason, #exit, #arn",
            {
                ":queued": {"S": jobs.QUEUED},
                ":att": {"N": str(attempt)},
                ":seen": {"S": str(status)},
                ":prev": {"N": str(previous)},
            },
            condition="#st = :seen AND (attribute_not_exists(#att) OR #att = :prev)",
        )
    except stack.client("dynamodb").exceptions.ConditionalCheckFailedException:
        raise RerunRefused(f"job {job_id} changed while this rerun started it: see `offload status`") from None
    shards = job.get(jobs.SHARDS)
    if not shards:
        # The dispatcher's token (the job id) would return the old task.
        task_arn = _run(stack, job, f"{job_id}-rerun-{attempt}", None)
        update(stack, job_id, "SET #arn = :arn, #up = :now", {":arn": {"S": task_arn}})
        return [task_arn]
    count = int(job[jobs.SHARD_COUNT])
    # Shards that finished keep their rows and staged parts. If all did, the one that failed while
    # assembling the results (or the last) runs again: it finds every shard done and assembles them.
    again = [i for i in range(count) if shards[str(i)].get(jobs.STATUS) != jobs.SUCCEEDED]
    again = again or [next((i for i in range(count) if shards[str(i)].get(jobs.REASON)), count - 1)]
    started = []
    for index in again:
        shard = (index, count, int(shards[str(index)][jobs.SHARD_START]), int(shards[str(index)][jobs.SHARD_END]))
        task_arn = _run(stack, job, client_token(job_id, index, attempt), shard)
        update(
            stack,
            job_id,
            "SET #sh.#i.#st = :queued, #sh.#i.#arn = :arn, #up = :now REMOVE #sh.#i.#reason",
            {":queued": {"S": jobs.QUEUED}, ":arn": {"S": task_arn}},
            names={"#sh": jobs.SHARDS, "#i": str(index)},
        )
        started.append(task_arn)
    return started


def _check_schema(stack: Stack, job: dict[str, Any]) -> None:
    """The schema version the job started with must still be in the bucket: the rerun loads with it,
    never with whatever `schemas` says today (its file may have changed since)."""
    schema_key = job.get(jobs.SCHEMA_KEY)
    if not schema_key:
        return
    try:
        stack.client("s3").head_object(Bucket=str(job[jobs.BUCKET]), Key=str(schema_key))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
            raise
        raise RerunRefused(
            f"job {job[jobs.JOB_ID]} loads with schema {job.get(jobs.SCHEMA)} version {schema_key}, which is no "
            "longer in the bucket: put that version of the schema's file back at that key, then rerun"
        ) from None


def _run(stack: Stack, job: dict[str, Any], token: str, shard: tuple[int, int, int, int] | None) -> str:
    job_id, bucket, key, etag = (str(job[n]) for n in (jobs.JOB_ID, jobs.BUCKET, jobs.KEY, jobs.ETAG))
    # The table and schema version the job was claimed with (absent: the orders table, built-in schema)
    table = str(job.get(jobs.TABLE) or stack.orders_table)
    schema_key = str(job[jobs.SCHEMA_KEY]) if job.get(jobs.SCHEMA_KEY) else None
    definition, constraint = stack.launch_for(key)  # its site's: only that site's role may read the file
    response = stack.client("ecs").run_task(
        cluster=stack.cluster,
        taskDefinition=definition,
        launchType="EXTERNAL",
        count=1,
        startedBy="offload-rerun",
        clientToken=token,
        overrides=task_overrides(
            stack.container, bucket, key, etag, job_id, stack.jobs_table, table, shard, schema_key
        ),
        **placement(constraint),
    )
    if not response.get("tasks"):
        reasons = ", ".join(sorted({f.get("reason", "?") for f in response.get("failures", [])}))
        why = f"rerun could not be placed ({reasons or 'no reason given'}): see `offload fleet`"
        update(
            stack,
            job_id,
            "SET #st = :failed, #reason = :why, #up = :now",
            {":failed": {"S": jobs.FAILED}, ":why": {"S": why}},
        )
        raise RerunRefused(f"job {job_id}: {why}")
    return str(response["tasks"][0]["taskArn"])
