"""Write an S3 object as a stream, visible only once committed.

Small objects are one PutObject at commit; larger ones a multipart upload
whose parts are invisible until CompleteMultipartUpload, so a failed run
leaves nothing half-written.
"""

from __future__ import annotations

from typing import Any

PART_BYTES = 5 << 20  # S3's minimum part size (all but the last): the least memory held
MAX_PART_BYTES = 5 << 30  # S3's largest part
MAX_PARTS = 10_000  # S3's most parts in one upload
_PLANNED_PARTS = 5_000  # the expected size fills half of them
_GROWTH_PARTS = 1_000  # past those, the part size doubles every this many parts


def part_bytes(expected_bytes: int, number: int) -> int:
    """The size of part `number` (from 1) of an object expected to be about `expected_bytes`.

    Fixed 5 MiB parts stop at 48.8 GiB (10,000 parts), so the expected object is cut into at most
    5,000 parts of whole MiB, never under 5 MiB; should it come out larger (a rejects report of
    short rows can outgrow its input), the parts double every 1,000 after the 5,000th: 13 times
    the expected size fits, and 327 GiB with no expectation at all."""
    base = max(PART_BYTES, -(-expected_bytes // (_PLANNED_PARTS << 20)) << 20)
    doublings = max(0, (number - 1 - _PLANNED_PARTS) // _GROWTH_PARTS + 1) if number > _PLANNED_PARTS else 0
    return min(MAX_PART_BYTES, base << doublings)


class S3Writer:
    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        content_type: str = "text/csv; charset=utf-8",
        expected_bytes: int = 0,
    ) -> None:
        """expected_bytes: about how large the object will be (e.g. its input's size), for the part size."""
        self._client, self.bucket, self.key = client, bucket, key
        self._content_type, self._expected = content_type, expected_bytes
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self.bytes = 0

    def write(self, text: str) -> int:
        self.write_bytes(text.encode("utf-8"))
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        self._buffer += data
        self.bytes += len(data)
        if len(self._buffer) >= part_bytes(self._expected, len(self._parts) + 1):
            self._upload_part()

    def _upload_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self._content_type
            )["UploadId"]
        number = len(self._parts) + 1
        response = self._client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=self._buffer,  # no copy: the buffer is replaced, not reused
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self._buffer = bytearray()

    def commit(self) -> str:
        """The object's ETag (the job's report carries it)."""
        if self._upload_id is None:
            put = self._client.put_object(
                Bucket=self.bucket, Key=self.key, Body=self._buffer, ContentType=self._content_type
            )
            return str(put["ETag"])
        if self._buffer:
            self._upload_part()
        completed = self._client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )
        return str(completed["ETag"])

    def abort(self) -> None:
        if self._upload_id is not None:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
            self._upload_id = None
