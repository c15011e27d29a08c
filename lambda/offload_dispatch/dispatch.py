"""One SQS record -> at most one task per uploaded file, however often S3 repeats itself.

A file with no room waits in the backlog (docs/contract.md "The backlog") and its record is
acknowledged: the ledger holds it, SQS does not redeliver it, the dead-letter queue never sees a
capacity wait. A new file never jumps the line: while jobs wait, it joins the line behind them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from offload_contract import job_id, jobs
from offload_contract.shards import plan

from offload_dispatch.launch import NoCapacity
from offload_dispatch.ledger import Claim, Ledger
from offload_dispatch.routes import Route, route, whole_file_reason
from offload_dispatch.s3_records import Foreign, objects_in
from offload_dispatch.settings import Settings
from offload_dispatch.start import start_job

logger = Logger(service="offload-dispatch", child=True)
REFUSED_EXIT_CODE = 1  # as the worker's "file rejected" (docs/contract.md)
BEHIND_THE_LINE = "waiting in line behind older jobs for a free slot"


@dataclass
class Outcome:
    launched: int = 0
    duplicates: int = 0
    ignored: int = 0
    refused: int = 0
    waiting: int = 0  # jobs put in the backlog
    foreign: int = 0  # records of another bucket or another event: dropped, never a task


@dataclass
class Line:
    """Whether jobs wait, as this invocation knows it: asked once (`line_is_empty`), then kept."""

    waiting: bool


def dispatch_message(body: str, settings: Settings, ecs: Any, ledger: Ledger, line: Line, s3: Any) -> Outcome:
    """s3: to look at the first bytes of a file big enough to shard (gzip runs as one task)."""
    outcome = Outcome()
    for obj in objects_in(body, settings.bucket):
        if isinstance(obj, Foreign):  # acknowledged with the rest: delivering it again would not make it ours
            logger.warning("dropped: not an upload to this stack's bucket", extra=vars(obj))
            outcome.foreign += 1
            continue
        if not settings.layout.is_input(obj.key):
            logger.info("ignored: not an input file", extra={"bucket": obj.bucket, "key": obj.key})
            outcome.ignored += 1
            continue
        site = settings.site_for(obj.key)  # its id carries the site: the site's role may touch only its own jobs
        jid = job_id(obj.bucket, obj.key, obj.etag, obj.version_id, site.job_site if site else "")
        routed = route(settings, obj.key)
        ranges = plan(obj.size, settings.shard_bytes, settings.max_shards)
        fields = {}
        if isinstance(routed, Route):
            fields = routed.schema.claim_fields() if routed.schema else {}
            why = whole_file_reason(s3, obj.bucket, obj.key, obj.etag, routed.schema) if len(ranges) > 1 else None
            if why:  # one task; the record says why (`offload status` shows it)
                ranges, fields[jobs.WHOLE_FILE_REASON] = [(0, obj.size)], why
        claim, record = ledger.claim(jid, obj, ranges, fields)
        problem = routed if isinstance(routed, str) else None
        if problem:
            # Recorded, not dropped: the uploader sees why nothing ran in `offload status`.
            if ledger.failed(jid, problem, REFUSED_EXIT_CODE):
                logger.warning("refused: no task started", extra={"job_id": jid, "key": obj.key, "reason": problem})
                outcome.refused += 1
            else:
                outcome.duplicates += 1
            continue
        if claim is Claim.DUPLICATE:
            logger.info(
                "duplicate event acknowledged", extra={"job_id": jid, "key": obj.key, "status": record.get("Status")}
            )
            outcome.duplicates += 1
            continue
        if line.waiting or jobs.WAITING_SINCE in record:  # older jobs first; one in line keeps its place
            ledger.waiting(jid, str(record.get(jobs.REASON) or BEHIND_THE_LINE), obj.arrived_ms)
            line.waiting = True
            outcome.waiting += 1
            continue
        try:
            started = start_job(ecs, settings, obj, jid, ranges, record, ledger)
        except NoCapacity as error:
            ledger.waiting(jid, str(error), obj.arrived_ms)
            logger.warning("waiting for capacity", extra={"job_id": jid, "key": obj.key, "reason": str(error)})
            line.waiting = True
            outcome.waiting += 1
            continue
        if started:
            outcome.launched += started
        else:  # RunTask refused the token, and named no task: the job is FAILED saying what to do
            outcome.refused += 1
    return outcome
