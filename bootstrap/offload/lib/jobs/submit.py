"""Files in: upload under the input prefix; S3 notifies the dispatcher, which starts the job."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from offload_contract import ids

from offload.lib.jobs.store import Stack


@dataclass(frozen=True)
class Submitted:
    key: str
    etag: str
    job_id: str
    uploaded_at: float


def submit(
    stack: Stack, path: Path, key: str | None = None, progress: Callable[[int], None] | None = None
) -> Submitted:
    """Upload a file under the input prefix (multipart when large, as S3 notifies for both)."""
    key = key or stack.layout.input_prefix + path.name
    s3 = stack.client("s3")
    s3.upload_file(str(path), stack.bucket, key, Callback=progress)
    uploaded_at = time.monotonic()
    head = s3.head_object(Bucket=stack.bucket, Key=key)
    try:
        site = stack.job_site_for(key)
    except ValueError:  # under no site's prefix: the dispatcher records the job's failure under an id of no site
        site = ""
    job = ids.job_id(stack.bucket, key, head["ETag"], head.get("VersionId"), site)
    return Submitted(key, head["ETag"], job, uploaded_at)
