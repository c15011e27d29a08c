"""One object from the shards' staged parts, in order, without downloading them.

S3 multipart copy (UploadPartCopy) makes each staged part a part of the result. S3 wants
every part but the last to be at least 5 MiB: a smaller piece (a header, a shard with few
rows) is joined with the bytes that follow it, read up to that minimum (or the whole next
part, when what would be left of it is under 5 MiB too). So under 10 MiB is read per small
piece; parts of 5 MiB and more after a large one never leave S3.
"""

from __future__ import annotations

from typing import Any

MIN_PART = 5 << 20
MAX_COPY = 4 << 30  # under S3's 5 GiB limit for one copied part


class Assembly:
    def __init__(self, s3: Any, bucket: str, key: str, content_type: str = "text/csv; charset=utf-8") -> None:
        self._s3, self._bucket, self._key, self._type = s3, bucket, key, content_type
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._pending = bytearray()
        self.copied = self.read = 0  # bytes copied inside S3, bytes read to join small pieces

    def _upload(self) -> str:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType=self._type
            )["UploadId"]
        return self._upload_id

    def _send_pending(self) -> None:
        number = len(self._parts) + 1
        answer = self._s3.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload(), PartNumber=number, Body=bytes(self._pending)
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self._pending = bytearray()

    def _copy(self, source: str, start: int, end: int) -> None:
        for at in range(start, end, MAX_COPY):
            number = len(self._parts) + 1
            answer = self._s3.upload_part_copy(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload(),
                PartNumber=number,
                CopySource={"Bucket": self._bucket, "Key": source},
                CopySourceRange=f"bytes={at}-{min(end, at + MAX_COPY) - 1}",
            )
            self._parts.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
            self.copied += min(end, at + MAX_COPY) - at

    def _fetch(self, source: str, start: int, end: int) -> bytes:
        body = self._s3.get_object(Bucket=self._bucket, Key=source, Range=f"bytes={start}-{end - 1}")["Body"]
        data: bytes = body.read()
        self.read += len(data)
        return data

    def add_bytes(self, data: bytes) -> None:
        self._pending += data
        if len(self._pending) >= MIN_PART:
            self._send_pending()

    def add_object(self, source: str, size: int) -> None:
        """Append the object `source` (`size` bytes)."""
        start = 0
        if self._pending:  # top the small piece up to a part, from this object's first bytes
            need = MIN_PART - len(self._pending)
            if size - need < MIN_PART:  # what would be left is small too: read it all
                self.add_bytes(self._fetch(source, 0, size) if size else b"")
                return
            self.add_bytes(self._fetch(source, 0, need))
            start = need
        if size - start >= MIN_PART:
            self._copy(source, start, size)
        elif size > start:
            self.add_bytes(self._fetch(source, start, size))

    def commit(self) -> str:
        """The assembled object's ETag."""
        if self._upload_id is None:  # nothing was copied: small enough for one PutObject
            body = bytes(self._pending)
            put = self._s3.put_object(Bucket=self._bucket, Key=self._key, Body=body, ContentType=self._type)
            return str(put["ETag"])
        if self._pending or not self._parts:
            self._send_pending()
        completed = self._s3.complete_multipart_upload(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
        )
        return str(completed["ETag"])

    def abort(self) -> None:
        if self._upload_id is not None:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            self._upload_id = None
