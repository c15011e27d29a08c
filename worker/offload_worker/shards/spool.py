"""A shard's bytes, fetched once: its range into a local file, then the rest of its last row from S3.

The range is spooled because the shard parses it twice: first to hand the next shard its
boundary (boundary.advance), then to load its rows. The spool goes on past the range's end
to the first line start there, where the next shard's rows begin.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from offload_worker.shards.boundary import line_start
from offload_worker.source import S3Source

_CHUNK = 1 << 20


class Spool:
    def __init__(self, s3: Any, bucket: str, key: str, etag: str, start: int, end: int) -> None:
        """Fetch from just before `start` (whether `start` is a line start depends on the byte
        before it) to the first line start at or after `end`, which becomes `stop`."""
        self._s3, self._bucket, self._key, self._etag = s3, bucket, key, etag
        self.base = max(0, start - 1)
        handle, self.path = tempfile.mkstemp(prefix="offload-spool-")
        source = S3Source(s3, bucket, key, etag, start=self.base)
        self.size, self.resumes = source.size, 0
        try:
            with os.fdopen(handle, "wb") as spool:
                self.stop = self._fill(source, spool, end)
                self.end = self.base + spool.tell()
        except BaseException:
            self.remove()
            raise
        finally:
            self.resumes = source.resumes
            source.close()

    def _fill(self, source: S3Source, spool: Any, end: int) -> int:
        tail = b""  # the bytes from end - 1 on, where the next line start is looked for
        while True:
            chunk = source.read(_CHUNK)
            if chunk:
                spool.write(chunk)
            if source.position >= end:
                tail_base = max(self.base, end - 1)
                if not tail:
                    spool.flush()
                    with open(self.path, "rb") as back:
                        back.seek(tail_base - self.base)
                        tail = back.read()
                elif chunk:
                    tail += chunk
                found = line_start(tail, tail_base, end, self.size)
                if found is not None:
                    return found
            if not chunk:
                return self.size

    def line_start_at(self, position: int) -> int:
        """The first line start at or after `position` (where this shard's rows may begin)."""
        with open(self.path, "rb") as spool:
            spool.seek(max(position - 1, self.base) - self.base)
            data, base = b"", max(position - 1, self.base)
            while (chunk := spool.read(_CHUNK)) and base + len(data) < self.stop:
                data += chunk
                found = line_start(data, base, position, self.size)
                if found is not None:
                    return min(found, self.stop)
        return self.stop

    def chunks(self, start: int, stop: int) -> Iterator[bytes]:
        """The spooled bytes from `start` to `stop`."""
        with open(self.path, "rb") as spool:
            spool.seek(start - self.base)
            left = stop - start
            while left > 0 and (chunk := spool.read(min(_CHUNK, left))):
                left -= len(chunk)
                yield chunk

    def stream(self, start: int) -> SpoolStream:
        """The file from `start` on: the spool, then S3 past its end (a long last row)."""
        return SpoolStream(self, start)

    def tail_source(self) -> S3Source | None:
        if self.end >= self.size:
            return None
        return S3Source(self._s3, self._bucket, self._key, self._etag, start=self.end)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            os.remove(self.path)


class SpoolStream(io.RawIOBase):
    def __init__(self, spool: Spool, start: int) -> None:
        super().__init__()
        self._spool = spool
        self._file = open(spool.path, "rb")  # noqa: SIM115 - closed with the stream
        self._file.seek(start - spool.base)
        self._tail: S3Source | None = None
        self.position = start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._file.readinto(buffer)
        if not n:
            if self._tail is None:
                self._tail = self._spool.tail_source()
                if self._tail is None:
                    return 0
            n = self._tail.readinto(buffer)
        self.position += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            if self._tail is not None:
                self._tail.close()
        super().close()
