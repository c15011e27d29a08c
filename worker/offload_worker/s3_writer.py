"""Write an S3 object as a stream, visible only once committed.

Small objects are one PutObject at commit; larger ones a multipart upload
whose parts are invisible until CompleteMultipartUpload, so a failed run
leaves nothing half-written.
"""

from __future__ import annotations

from typing import Any

PART_BYTES = 5 << 20  # S3's minimum part size (all but the last): the least memory held


class S3Writer:
    def __init__(self, client: Any, bucket: str, key: str, content_type: str = "text/csv; charset=utf-8") -> None:
        self._client, self.bucket, self.key = client, bucket, key
        self._content_type = content_type
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
        if len(self._buffer) >= PART_BYTES:
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

    def commit(self) -> None:
        if self._upload_id is None:
            self._client.put_object(Bucket=self.bucket, Key=self.key, Body=self._buffer, ContentType=self._content_type)
            return
        if self._buffer:
            self._upload_part()
        self._client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    def abort(self) -> None:
        if self._upload_id is not None:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
            self._upload_id = None
