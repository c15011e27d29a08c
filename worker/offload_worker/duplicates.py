"""Count repeated OrderIds in a file of any size with flat memory.

Keeps 8-byte fingerprints: in memory up to a small chunk (sorting it makes a
list of Python ints, ~40 bytes each), then as sorted runs in temporary files,
merged at the end with a small read buffer per run. A 64-bit fingerprint makes a false
"duplicate" vanishingly unlikely (about 1 in 10^12 for 10M distinct keys).
"""

from __future__ import annotations

import heapq
import sqlite3
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


class FirstLines:
    """Each key's first line (duplicates: first | reject), with flat memory: the first `in_memory`
    keys in a dict, any later one in a temporary on-disk SQLite table (sqlite3.connect("") is a
    private temporary database, deleted on close; its page cache stays small). A key is asked
    about once per row, so past the dict each new row costs one indexed lookup and one insert."""

    in_memory = 1 << 20  # about 150 MB of keys in a load process

    def __init__(self) -> None:
        self._memory: dict[str, int] = {}
        self._disk: sqlite3.Connection | None = None

    def first(self, key: str, line: int) -> int:
        """The line the key was first seen on; `line` (remembered) when it is new."""
        found = self._memory.get(key)
        if found is not None:
            return found
        if len(self._memory) < self.in_memory:
            self._memory[key] = line
            return line
        disk = self._disk or self._open()
        blob = key.encode("utf-8", "surrogatepass")  # a key may hold an undecodable byte as a surrogate
        row = disk.execute("SELECT line FROM seen WHERE key = ?", (blob,)).fetchone()
        if row is not None:
            return int(row[0])
        disk.execute("INSERT INTO seen VALUES (?, ?)", (blob, line))
        return line

    def _open(self) -> sqlite3.Connection:
        self._disk = sqlite3.connect("", isolation_level=None)
        self._disk.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE seen (key BLOB PRIMARY KEY, line INTEGER) WITHOUT ROWID;"
        )
        return self._disk

    def close(self) -> None:
        if self._disk is not None:
            self._disk.close()
            self._disk = None
