"""Entry point: settings from the environment, one summary line, a documented exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from offload_contract import env, job_id

from offload_worker import metrics
from offload_worker.clients import clients
from offload_worker.errors import ConfigError, FileRejected, WorkerError
from offload_worker.job_schema import checked_schema, fetch_schema
from offload_worker.ledger import JobLedger
from offload_worker.results import Result
from offload_worker.run import process, report_file_failure
from offload_worker.settings import Settings
from offload_worker.shards.record import ShardLedger
from offload_worker.shards.shard import process_shard
from offload_worker.stop import SIGNALS

logger = Logger(service="offload-worker")

USAGE = f"""Load one file (CSV or JSON Lines, plain or gzip) from S3 into DynamoDB, as its schema declares.
Settings come from the environment:
  {env.S3_BUCKET_NAME}, {env.S3_KEY} (required), {env.STATUS_KEY} (ETag), {env.JOB_ID},
  {env.SCHEMA_KEY} (the schema object; unset: the built-in orders schema),
  {env.TABLE_NAME} (default {env.DEFAULT_TABLE_NAME}), {env.JOBS_TABLE}, {env.INPUT_PREFIX},
  {env.OUTPUT_PREFIX}, {env.REJECTED_PREFIX}, {env.WRITE_CONCURRENCY},
  {env.WORKER_PROCESSES}, {env.WORKER_CPU_UNITS}, {env.WRITE_DEADLINE_SECONDS}, AWS_REGION, AWS_ENDPOINT_URL.
Exit codes: 0 loaded (rows may be rejected), 1 file rejected, 2 bad settings, 3 AWS failure: rerun,
  143 stopped by SIGTERM (ECS StopTask; 130: SIGINT): rerun."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="offload-worker", description=USAGE, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)
    SIGNALS.install()
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as error:
        print(f"offload-worker: {error}", file=sys.stderr)
        return error.exit_code
    try:
        s3, dynamodb, dynamodb_client = clients(settings.region, settings.write_concurrency)
    except ConfigError as error:
        print(f"offload-worker: {error}", file=sys.stderr)
        return error.exit_code
    jid = settings.job_id or _job_id_by_hand(s3, settings)
    ledger: JobLedger
    if settings.shard is None:
        ledger = JobLedger(dynamodb, settings.jobs_table, jid)
    else:
        index, count = settings.shard[:2]
        ledger = ShardLedger(dynamodb, settings.jobs_table, jid, index, count)
        logger.append_keys(shard=f"{index + 1}/{count}")
    logger.append_keys(bucket=settings.bucket, key=settings.key, job_id=ledger.job_id)
    try:
        SIGNALS.arm()
        schema = fetch_schema(s3, settings.bucket, settings.schema_key)
        schema = checked_schema(dynamodb, settings.table, schema)  # before the file's first byte is read
        if isinstance(ledger, ShardLedger):
            result = process_shard(settings, s3, dynamodb_client, ledger, schema)
        else:
            result = process(settings, s3, dynamodb_client, ledger, schema)
    except WorkerError as error:
        SIGNALS.finishing()  # the failure is recorded whatever arrives now
        if isinstance(error, FileRejected):
            try:
                report_file_failure(s3, settings, error)
            except Exception as report_error:  # noqa: BLE001 - the job record still carries the reason
                logger.error("could not write the rejects report", extra={"error": str(report_error)})
        return _fail(ledger, settings, str(error), error.exit_code, error.kind)
    except Exception as error:  # noqa: BLE001 - anything else is reported, not a traceback
        SIGNALS.finishing()
        return _fail(ledger, settings, f"{type(error).__name__}: {error}", 3, "unexpected")
    if isinstance(ledger, ShardLedger):  # the last shard reports the job when it assembles the results
        return _shard_done(settings, result)
    ledger.loaded(result.job_fields())  # the task-state function marks it SUCCEEDED once the task stops
    if settings.cluster:
        metrics.emit(settings.cluster, result)
    logger.info("file loaded", extra={"result": result.as_log()})
    print(
        f"offload-worker: loaded {result.rows_loaded}/{result.rows_total} rows "
        f"({result.rows_rejected} rejected, {result.rows_duplicate} duplicate) "
        f"into {settings.table} in {result.duration_ms} ms; output s3://{settings.bucket}/{result.output_key}",
        file=sys.stderr,
    )
    return 0


def _shard_done(settings: Settings, result: Result) -> int:
    assert settings.shard is not None
    index, count = settings.shard[:2]
    assembled = bool(result.output_key)
    if assembled and settings.cluster:
        metrics.emit(settings.cluster, result)
    logger.info("shard loaded", extra={"result": result.as_log(), "assembled": assembled})
    print(
        f"offload-worker: shard {index + 1}/{count} loaded {result.rows_loaded}/{result.rows_total} rows "
        f"({result.rows_rejected} rejected)"
        + (f"; all shards done, output s3://{settings.bucket}/{result.output_key}" if assembled else ""),
        file=sys.stderr,
    )
    return 0


def _job_id_by_hand(s3: Any, settings: Settings) -> str:
    """Run without JOB_ID (by hand): the id the dispatcher gives this upload on a stack without `sites`;
    a site's job id begins with its site's name, which the worker is not told: pass JOB_ID (docs/contract.md)."""
    pinned = {"IfMatch": settings.etag} if settings.etag else {}
    try:
        head = s3.head_object(Bucket=settings.bucket, Key=settings.key, **pinned)
    except ClientError:  # the run fails on the object soon enough; record it under the ETag's id
        return job_id(settings.bucket, settings.key, settings.etag or "")
    return job_id(settings.bucket, settings.key, str(head["ETag"]), head.get("VersionId"))


def _fail(ledger: JobLedger, settings: Settings, reason: str, exit_code: int, kind: str) -> int:
    logger.error("file failed", extra={"reason": reason, "kind": kind, "exit_code": exit_code})
    try:
        ledger.failed(reason, exit_code)
    except Exception as error:  # noqa: BLE001 - the job's own failure is the news here
        logger.error("could not record the failure", extra={"error": str(error)})
    if settings.cluster:
        metrics.emit(settings.cluster, None)
    print(f"offload-worker: {reason}", file=sys.stderr)
    return exit_code
