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


@dataclass(frozen=True)
class Foreign:
    """A record the dispatcher drops: another bucket's, or not S3's ObjectCreated (nothing of it is started)."""

    why: str
    event_source: str
    event_name: str
    bucket: str


def epoch_ms(event_time: str) -> int:
    """S3's eventTime (ISO 8601, e.g. 2026-11-22T07:00:00.000Z) in epoch ms; now when absent or odd."""
    try:
        return int(datetime.fromisoformat(event_time.replace("Z", "+00:00")).timestamp() * 1000)
    except (ValueError, AttributeError):
        return int(time.time() * 1000)


def objects_in(body: str, bucket: str) -> Iterator[S3Object | Foreign]:
    """Every record naming an object created in `bucket`, and a Foreign for every other record; nothing for
    s3:TestEvent. A body that is not an S3 notification raises (the SQS record is poison)."""
    message = json.loads(body)
    if message.get("Event") == "s3:TestEvent":
        return
    for record in S3Event(message).records:
        # Source and name first: another event's record need not have an object or an ETag.
        source, name = str(record.get("eventSource", "")), str(record.get("eventName", ""))
        if source != "aws:s3" or not name.startswith("ObjectCreated:"):
            yield Foreign(f"not an S3 ObjectCreated event: {source!r} {name!r}", source, name, "")
            continue
        named = record.s3.bucket.name
        if named != bucket:
            yield Foreign(f"bucket {named!r} is not this stack's {bucket!r}", source, name, named)
            continue
        obj = record.s3.get_object
        yield S3Object(
            bucket=named,
            key=unquote_plus(obj.key),
            etag=obj.etag,
            version_id=obj.version_id,
            event_name=name,
            size=int(obj.get("size") or 0),
            arrived_ms=epoch_ms(str(record.get("eventTime") or "")),
        )
