"""Compression is read from a file's first bytes (gzip's magic number 1f 8b), never from its name."""

from __future__ import annotations

import gzip
import io
import zlib
from typing import Any

from offload_worker.errors import FileRejected

GZIP_MAGIC = b"\x1f\x8b"  # RFC 1952 section 2.3.1: ID1, ID2
_BUFFER = 1 << 16


def is_gzip(start: bytes) -> bool:
    return start[:2] == GZIP_MAGIC


def plain(raw: Any) -> Any:
    """The file's bytes, decompressed when they are gzip (a concatenation of members reads as one)."""
    buffered = io.BufferedReader(raw, buffer_size=_BUFFER)
    if is_gzip(buffered.peek(2)):
        return io.BufferedReader(_Gunzip(buffered), buffer_size=_BUFFER)
    return buffered


class _Gunzip(io.RawIOBase):
    """gzip's errors as the file's own failure, in one line."""

    def __init__(self, compressed: Any) -> None:
        super().__init__()
        self._file = gzip.GzipFile(fileobj=compressed, mode="rb")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self._file.readinto(buffer)
        except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
            raise FileRejected(
                f"file is gzip-compressed but not valid gzip ({error}): compress it again with gzip and upload it"
            ) from None

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()
