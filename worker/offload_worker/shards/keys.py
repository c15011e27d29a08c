"""The keys a shard loaded, so the last shard can settle keys that more than one shard loaded.

A shard stages, sorted by key fingerprint, each key it loaded with the line of its last row
there. Merging the shards' lists
gives the number of distinct keys in the file (so RowsDuplicate is what one task would count)
and, for each key loaded by several shards, the row that must win: the one in the last shard.
The fingerprint is 64 bits of BLAKE2b over the key's identity: the same in every shard's process
(str's own hash is not: Python salts it per process)
"""

from __future__ import annotations

import hashlib
import heapq
import struct
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from offload_worker.s3_writer import S3Writer

_PAIR = struct.Struct("<QQ")
_LINE_BITS = 40  # a line number below 2^40


def fingerprint(key: str) -> int:
    """The fingerprint of a key's identity (Encoder.key)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class KeyRuns:
    """(fingerprint, line) of every loaded row, kept as sorted runs on disk: flat memory."""

    def __init__(self, chunk: int = 1 << 16) -> None:
        self._chunk = chunk
        self._buffer: list[int] = []
        self._runs: list[IO[bytes]] = []

    def add(self, line: int, key: str, _output_line: str) -> None:
        self._buffer.append(fingerprint(key) << _LINE_BITS | line)
        if len(self._buffer) >= self._chunk:
            self._spill()

    def _spill(self) -> None:
        run = tempfile.TemporaryFile()  # noqa: SIM115 - kept open until stage() merges it
        self._buffer.sort()
        for start in range(0, len(self._buffer), 4096):  # 13 bytes: a 64-bit fingerprint, a 40-bit line
            run.write(b"".join(v.to_bytes(13, "little") for v in self._buffer[start : start + 4096]))
        run.seek(0)
        self._runs.append(run)
        self._buffer = []

    def _merged(self) -> Iterator[int]:
        if self._buffer:
            self._spill()
        return heapq.merge(*(_read_run(run) for run in self._runs))

    def stage(self, s3: Any, bucket: str, key: str) -> None:
        """Write the staged list: each fingerprint once, with its last line."""
        writer = S3Writer(s3, bucket, key, content_type="application/octet-stream")
        block, last, mask = bytearray(), None, (1 << _LINE_BITS) - 1
        for value in self._merged():
            fp = value >> _LINE_BITS
            if last is not None and fp != last[0]:
                block += _PAIR.pack(*last)
                if len(block) >= 1 << 16:
                    writer.write_bytes(bytes(block))
                    block = bytearray()
            last = (fp, value & mask)  # sorted by line within a fingerprint: the last row wins
        if last is not None:
            block += _PAIR.pack(*last)
        writer.write_bytes(bytes(block))
        writer.commit()
        for run in self._runs:
            run.close()


def _read_run(run: IO[bytes]) -> Iterator[int]:
    while block := run.read(13 * 4096):
        for at in range(0, len(block), 13):
            yield int.from_bytes(block[at : at + 13], "little")


class StagedKeys:
    """One shard's staged list, read as a stream."""

    def __init__(self, body: Any, shard: int) -> None:
        self._body, self.shard = body, shard

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size and (chunk := self._body.read(size - len(data))):
            data += chunk
        return data

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        """(fingerprint, shard, line) in fingerprint order."""
        while block := self._read(_PAIR.size * 4096):
            for fp, line in _PAIR.iter_unpack(block):
                yield fp, self.shard, line


def settle(staged: list[StagedKeys]) -> tuple[int, dict[int, list[int]]]:
    """The number of distinct keys, and per shard the lines whose rows must be written again:
    for every key more than one shard loaded, its row in the last of them."""
    distinct, winners = 0, dict[int, list[int]]()
    previous: tuple[int, int, int] | None = None
    for entry in heapq.merge(*staged):
        if previous is not None and entry[0] == previous[0]:
            previous = entry  # a later shard loaded it too: its row wins
            shared = True
            continue
        if previous is not None and shared:
            winners.setdefault(previous[1], []).append(previous[2])
        distinct += 1
        previous, shared = entry, False
    if previous is not None and shared:
        winners.setdefault(previous[1], []).append(previous[2])
    return distinct, {shard: sorted(lines) for shard, lines in winners.items()}
