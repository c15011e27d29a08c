"""Concurrent BatchWriteItem with retries of UnprocessedItems until a deadline.

The worker runs on-prem, tens of milliseconds from DynamoDB: one batch at a
time would be bound by latency, so several batches are in flight at once.
A key still in flight is waited for before its newer version is sent, so the
later row of a file always wins, as consecutive puts would.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from threading import Lock
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from offload_worker.errors import WriteFailed

BATCH_SIZE = 25  # DynamoDB's BatchWriteItem limit
_RETRYABLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}
_serializer = TypeSerializer()


@dataclass
class WriteStats:
    requests: int = 0
    retries: int = 0
    unprocessed: int = 0
    items: int = 0


class BatchWriter:
    def __init__(
        self,
        client: Any,
        table: str,
        key_name: str,
        concurrency: int,
        deadline_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client, self._table, self._key_name = client, table, key_name
        self._concurrency = concurrency
        self._deadline = deadline_seconds
        self._sleep, self._clock = sleep, clock
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ddb")
        self._pending: dict[str, dict[str, Any]] = {}
        self._in_flight: deque[tuple[Future[None], list[str]]] = deque()
        self._key_future: dict[str, Future[None]] = {}
        self._lock = Lock()
        self.stats = WriteStats()

    def put(self, item: dict[str, Any]) -> None:
        """Queue one item; a later item with the same key replaces it."""
        key = item[self._key_name]
        self._pending[key] = {k: _serializer.serialize(v) for k, v in item.items()}
        if len(self._pending) == BATCH_SIZE:
            self._send()

    def close(self) -> WriteStats:
        """Send what is left and wait for every batch; raises WriteFailed."""
        if self._pending:
            self._send()
        while self._in_flight:
            self._retire_oldest()
        self._pool.shutdown(wait=True)
        return self.stats

    def abort(self) -> None:
        for future, _keys in self._in_flight:
            future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _send(self) -> None:
        batch, self._pending = self._pending, {}
        for key in batch:
            earlier = self._key_future.get(key)
            if earlier is not None:
                earlier.result()  # the older version of this key must land first
        while len(self._in_flight) >= self._concurrency:
            self._retire_oldest()
        keys = list(batch)
        future = self._pool.submit(self._write, list(batch.values()))
        self._in_flight.append((future, keys))
        for key in keys:
            self._key_future[key] = future

    def _retire_oldest(self) -> None:
        future, keys = self._in_flight.popleft()
        future.result()
        for key in keys:
            if self._key_future.get(key) is future:
                del self._key_future[key]

    def _write(self, items: list[dict[str, Any]]) -> None:
        requests = [{"PutRequest": {"Item": item}} for item in items]
        started = self._clock()
        attempt = 0
        while True:
            try:
                response = self._client.batch_write_item(RequestItems={self._table: requests})
                left = response.get("UnprocessedItems", {}).get(self._table, [])
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in _RETRYABLE_CODES:
                    raise WriteFailed(
                        f"DynamoDB refused a batch for table {self._table!r}: {code}: "
                        f"{error.response.get('Error', {}).get('Message', '')}"
                    ) from None
                left = requests
            with self._lock:
                self.stats.requests += 1
                self.stats.unprocessed += len(left)
                if not left:
                    self.stats.items += len(items)
                else:
                    self.stats.retries += 1
            if not left:
                return
            if self._clock() - started > self._deadline:
                raise WriteFailed(
                    f"DynamoDB left {len(left)} item(s) unwritten for {self._deadline:.0f}s "
                    f"(table {self._table!r} throttled?); rerun the task to finish the file"
                )
            # Full jitter: concurrent batches must not retry in lockstep.
            self._sleep(random.uniform(0, min(5.0, 0.05 * 2**attempt)))
            attempt += 1
            requests = left
