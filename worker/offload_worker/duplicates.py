"""Count repeated OrderIds in a file of any size with flat memory.

Keeps 8-byte fingerprints: in memory up to a small chunk (sorting it makes a
list of Python ints, ~40 bytes each), then as sorted runs in temporary files,
merged at the end with a small read buffer per run. A 64-bit fingerprint makes a false
"duplicate" vanishingly unlikely (about 1 in 10^12 for 10M distinct keys).
"""

from __future__ import annotations

import heapq
import tempfile
from array import array
from collections.abc import Iterator
from typing import IO

_ITEM_BYTES = 8


class DuplicateCounter:
    def __init__(self, chunk: int = 1 << 16) -> None:
        self._chunk = chunk
        self._buffer = array("Q")
        self._runs: list[IO[bytes]] = []

    def add(self, key: str) -> None:
        # str's own 64-bit hash: a fingerprint for this process's lifetime is all a count needs.
        self._buffer.append(hash(key) & 0xFFFFFFFFFFFFFFFF)
        if len(self._buffer) >= self._chunk:
            self._spill()

    def _spill(self) -> None:
        run = tempfile.TemporaryFile()  # noqa: SIM115 - kept open until count() merges it
        array("Q", sorted(self._buffer)).tofile(run)
        run.seek(0)
        self._runs.append(run)
        self._buffer = array("Q")

    def count(self) -> int:
        """How many keys repeat one added before them."""
        if self._runs and self._buffer:
            self._spill()
        streams = [_read_run(run) for run in self._runs] or [iter(sorted(self._buffer))]
        repeats, previous = 0, None
        for value in heapq.merge(*streams):
            if value == previous:
                repeats += 1
            previous = value
        for run in self._runs:
            run.close()
        return repeats


def _read_run(run: IO[bytes]) -> Iterator[int]:
    while True:
        block = run.read(_ITEM_BYTES * 1024)
        if not block:
            return
        values = array("Q")
        values.frombytes(block)
        yield from values
