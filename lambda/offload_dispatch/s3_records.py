"""The S3 objects named by one SQS message body (an S3 event notification)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str  # decoded with unquote_plus: exactly as stored in S3
    etag: str
    version_id: str | None  # only on a bucket that keeps versions
    event_name: str
    size: int = 0
    arrived_ms: int = 0  # the S3 event's eventTime, epoch milliseconds: its place in the backlog


def epoch_ms(event_time: str) -> int:
    """S3's eventTime (ISO 8601, e.g. 2026-11-22T07:00:00.000Z) in epoch ms; now when absent or odd."""
    try:
        return int(datetime.fromisoformat(event_time.replace("Z", "+00:00")).timestamp() * 1000)
    except (ValueError, AttributeError):
        return int(time.time() * 1000)


def objects_in(body: str) -> Iterator[S3Object]:
    """Every ObjectCreated record; nothing for s3:TestEvent or other events."""
    message = json.loads(body)
    if message.get("Event") == "s3:TestEvent":
        return
    for record in S3Event(message).records:
        if not record.event_name.startswith("ObjectCreated:"):
            continue
        obj = record.s3.get_object
        yield S3Object(
            bucket=record.s3.bucket.name,
            key=unquote_plus(obj.key),
            etag=obj.etag,
            version_id=obj.version_id,
            event_name=record.event_name,
            size=int(obj.get("size") or 0),
            arrived_ms=epoch_ms(str(record.get("eventTime") or "")),
        )
