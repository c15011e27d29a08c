"""Lambda entry points: thin, typed, delegating to plain functions.

`lambda_handler`: SQS batch of S3 events -> RunTask(EXTERNAL), with partial
batch failures so only the records that could not be placed come back.
`task_state_handler`: EventBridge ECS Task State Change -> job RUNNING, SUCCEEDED (its results checked) or FAILED.
`watchdog_handler`: every few minutes, the stuck-job, agent and backlog metrics for the alarms, and the
jobs whose task stopped without its event reaching `task_state_handler`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from offload_contract import jobs, metrics

from offload_dispatch import clients, watchdog
from offload_dispatch.backlog import Pass, line_is_empty, start_waiting
from offload_dispatch.dispatch import Line, dispatch_message
from offload_dispatch.ledger import Ledger
from offload_dispatch.outcome import Outputs
from offload_dispatch.settings import settings
from offload_dispatch.start import seconds_per_record
from offload_dispatch.task_state import handle_task_change

logger = Logger(service="offload-dispatch")
SETTINGS = settings()  # cold start: a misconfigured function fails here, with the variable's name
# A batch where every record waits is still a normal answer, not a function error.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# Left for the last record started, plus time to answer: past it, a record is handed back untouched
# (SQS delivers it again) rather than the function timing out and the whole batch coming back.
RESERVE_MS = (seconds_per_record(SETTINGS.max_shards) + 2) * 1000
INSTANCE_EVENT = "ECS Container Instance State Change"


class NotStarted(Exception):
    """Too little of the invocation is left to start this record's tasks: SQS delivers it again."""


def _table() -> Any:
    return clients.dynamodb().Table(SETTINGS.jobs_table)


def _ledger() -> Ledger:
    return Ledger(_table(), SETTINGS.job_ttl_days)


def _outputs() -> Outputs:
    return Outputs(clients.s3(), SETTINGS.layout)


def _start_waiting(context: LambdaContext) -> Pass:
    """A backlog pass in what is left of this invocation (less the time to answer)."""

    def seconds_left() -> float:
        return context.get_remaining_time_in_millis() / 1000 - 2

    return start_waiting(_table(), clients.ecs(), SETTINGS, _ledger(), seconds_left)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    line = Line(waiting=not line_is_empty(_table()))  # asked once per batch

    def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
        if lambda_context.get_remaining_time_in_millis() < RESERVE_MS:
            raise NotStarted(f"{lambda_context.get_remaining_time_in_millis()} ms left of this invocation")
        outcome = dispatch_message(record.body, SETTINGS, clients.ecs(), _ledger(), line, clients.s3())
        logger.info("message done", extra={"message_id": record.message_id, **vars(outcome)})

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    if line.waiting:  # from the head of the line, so the files just queued wait their turn only
        try:
            _start_waiting(context)
        except ClientError:  # the records are answered already: the next stopped task or sweep retries the line
            logger.exception("backlog pass failed")
    return dict(response)


@logger.inject_lambda_context
def task_state_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    detail = event.get("detail", {})
    if event.get("detail-type") == INSTANCE_EVENT:  # a host joined or its agent reconnected: room, maybe
        started = _start_waiting(context)
        logger.info("container instance state change", extra={"instance": detail.get("containerInstanceArn")})
        return {"result": f"backlog pass: {started.started} task(s) started, {started.stopped}"}
    result = handle_task_change(detail, SETTINGS.container, _ledger(), _outputs())
    logger.info("task state change", extra={"task_arn": detail.get("taskArn"), "result": result})
    if detail.get("lastStatus") == "STOPPED":
        _start_waiting(context)  # its slot is free: the oldest waiting job starts
    return {"result": result}


@logger.inject_lambda_context
def watchdog_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    table, now = clients.dynamodb().Table(SETTINGS.jobs_table), jobs.now()
    # First the jobs whose task ended unheard of, so they no longer count as stuck.
    reconciled = watchdog.reconcile(
        table,
        clients.ecs(),
        SETTINGS.cluster,
        SETTINGS.container,
        (_ledger(), _outputs()),
        now,
        SETTINGS.reconcile_after_seconds,
    )
    stuck = watchdog.stuck_jobs(table, SETTINGS.stuck_after_seconds, now)
    queued = watchdog.stuck_queued(table, SETTINGS.stuck_after_seconds, now)
    connected, lost = watchdog.agents(clients.ecs(), SETTINGS.cluster)
    swept = _start_waiting(context)  # the safety net: events lost, a pass cut short
    figures = {
        metrics.JOBS_STUCK_RUNNING: len(stuck),
        metrics.JOBS_STUCK_QUEUED: len(queued),
        metrics.AGENTS_CONNECTED: len(connected),
        metrics.AGENTS_DISCONNECTED: len(lost),
        **watchdog.backlog_figures(table, now),  # what still waits once this run has started what fits
    }
    watchdog.publish(clients.cloudwatch(), SETTINGS.cluster, figures)
    if stuck or queued or lost or reconciled.stopped or reconciled.missing:
        logger.warning(
            "needs attention",
            extra={
                "stuck_jobs": stuck[:20],
                "stuck_queued": queued[:20],
                "disconnected_instances": lost[:20],
                "reconciled": vars(reconciled),
            },
        )
    return {
        "stuck": len(stuck),
        "stuck_queued": len(queued),
        "disconnected": len(lost),
        **vars(reconciled),
        "backlog_started": swept.started,
    }
