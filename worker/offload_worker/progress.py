"""A running job's progress on its job record: rows and bytes read so far, every few seconds.

A handful of cheap UpdateItems per job, from a timer thread: the row loop only bumps a counter.
A failed update is logged and skipped; progress never fails a load.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

Row = TypeVar("Row")


class Progress:
    def __init__(
        self,
        record: Callable[[int, int, int, int], None],
        position: Callable[[], int],
        size: int,
        every_seconds: float,
        on_error: Callable[[Exception], None],
    ) -> None:
        self._record, self._position, self._size = record, position, size
        self._every, self._on_error = every_seconds, on_error
        self.rows = 0
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="progress")

    def counted(self, rows: Iterable[Row]) -> Iterator[Row]:
        for row in rows:
            self.rows += 1
            yield row

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            elapsed = max(1e-6, time.monotonic() - self._started)
            try:
                self._record(self.rows, self._position(), self._size, int(self.rows / elapsed))
            except Exception as error:  # noqa: BLE001 - best effort: the load goes on
                self._on_error(error)
