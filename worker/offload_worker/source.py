"""Read one S3 object as a byte stream, resuming a broken download (formats/ makes it rows).

The object is pinned to the ETag the event named (If-Match), so a file that
was overwritten since is never half-read as a mix of two versions.
"""

from __future__ import annotations

import io
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from offload_worker.errors import AccessDenied, FileRejected, WorkerError
from offload_worker.identity import caller

_STREAM_ERRORS = (
    ConnectionClosedError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
    ConnectionError,
)


class S3Source(io.RawIOBase):
    """A raw byte stream over GetObject that reopens at its offset on a broken read."""

    def __init__(
        self, client: Any, bucket: str, key: str, etag: str | None, resume_attempts: int = 5, start: int = 0
    ) -> None:
        """start: read from this offset on (a shard's range)."""
        super().__init__()
        self._client, self.bucket, self.key = client, bucket, key
        self._resume_attempts = resume_attempts
        self.resumes = 0
        self._pos = start
        response = self._get(etag, start)
        self.etag: str = response["ETag"]
        ranged = response.get("ContentRange")  # "bytes START-END/SIZE"
        self.size: int = int(ranged.rsplit("/", 1)[1]) if ranged else response["ContentLength"]
        self._body = response["Body"]

    def _get(self, etag: str | None, start: int | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key}
        if etag:
            kwargs["IfMatch"] = etag
        if start:
            kwargs["Range"] = f"bytes={start}-"
        try:
            return self._client.get_object(**kwargs)  # type: ignore[no-any-return]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            where = f"s3://{self.bucket}/{self.key}"
            if code in ("NoSuchKey", "404", "NotFound"):
                raise FileRejected(f"{where} does not exist (deleted after upload?)") from None
            if code in ("PreconditionFailed", "412"):
                raise FileRejected(
                    f"{where} changed since the event (ETag {etag}); its new version has its own event"
                ) from None
            if code == "NoSuchBucket":
                raise FileRejected(f"bucket {self.bucket!r} does not exist") from None
            if code in ("AccessDenied", "403", "Forbidden"):
                # S3 also says 403 for a missing key to a caller without s3:ListBucket on it.
                raise AccessDenied(
                    f"S3 denied s3:GetObject on {where} to {caller()} (403 AccessDenied; S3 says so for a missing "
                    "key too when the role may not s3:ListBucket it): grant the task role s3:GetObject on the "
                    "input prefix and s3:ListBucket on the bucket for that prefix (terraform/modules/cluster "
                    "does), then `offload rerun` the job"
                ) from None
            raise WorkerError(f"cannot read {where}: {code or error}") from None

    @property
    def position(self) -> int:
        """Bytes of the object read so far."""
        return self._pos

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        for attempt in range(self._resume_attempts + 1):
            try:
                data = self._body.read(len(buffer))
                break
            except _STREAM_ERRORS:
                if attempt == self._resume_attempts:
                    raise WorkerError(
                        f"download of s3://{self.bucket}/{self.key} broke {attempt + 1} times at byte {self._pos}"
                    ) from None
                self.resumes += 1
                self._body = self._get(self.etag, self._pos)["Body"]
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
