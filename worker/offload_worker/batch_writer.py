"""Concurrent BatchWriteItem with an adaptive window and retries until a deadline.

The worker runs on-prem, tens of milliseconds from DynamoDB: one batch at a
time would be bound by latency, so up to `concurrency` batches are in flight.
A throttled table is not hammered: throttling or UnprocessedItems halves the
window (at most once per round trip), each clean answer widens it again by one
batch per window (AIMD, as TCP does). A key still in flight is waited for
before its newer version is sent, so the later row of a file always wins.
"""

from __future__ import annotations

import json
import queue
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as json_string
from threading import Lock
from typing import Any

from botocore.exceptions import ChecksumError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from offload_worker.errors import WriteFailed

BATCH_SIZE = 25  # DynamoDB's BatchWriteItem limit
# What botocore's standard retry mode retries (botocore/retries/standard.py), as AWS's
# guidance says: throttling codes, transient codes, every 5xx, connection errors and (special.py)
# a DynamoDB body whose x-amz-crc32 does not match.
_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "TransactionInProgressException",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
}
_TRANSIENT_CODES = {"RequestTimeout", "RequestTimeoutException", "InternalServerError", "InternalFailure"}


def _retryable(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return code in _THROTTLED or code in _TRANSIENT_CODES or status >= 500


@dataclass
class WriteStats:
    requests: int = 0
    retries: int = 0
    unprocessed: int = 0
    items: int = 0
    throttled_seconds: float = 0.0
    smallest_window: int = 0


class BatchWriter:
    """put(key, item) with the item as wire JSON; `client.batch_write(body)` sends a request body."""

    def __init__(
        self,
        client: Any,
        table: str,
        concurrency: int,
        deadline_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        adaptive: bool = True,
    ) -> None:
        self._client, self._table = client, table
        self._prefix = ('{"RequestItems":{' + json_string(table) + ":[").encode()
        self._max, self._window, self._adaptive = concurrency, float(concurrency), adaptive
        self._deadline = deadline_seconds
        self._sleep, self._clock = sleep, clock
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ddb")
        self._pending: dict[str, str] = {}
        self._in_flight: dict[Future[None], list[str]] = {}
        self._finished: queue.SimpleQueue[Future[None]] = queue.SimpleQueue()  # filled by done callbacks
        self._key_future: dict[str, Future[None]] = {}
        self._lock = Lock()
        self._latency, self._last_cut = 0.0, -1e9
        self._throttled_since: float | None = None
        self.stats = WriteStats(smallest_window=concurrency)

    def put(self, key: str, item: str) -> None:
        """Queue one item; a later item with the same key replaces it."""
        self._pending[key] = item
        if len(self._pending) == BATCH_SIZE:
            self._send()

    def close(self) -> WriteStats:
        """Send what is left and wait for every batch; raises WriteFailed."""
        if self._pending:
            self._send()
        while self._in_flight:
            self._retire_finished()
        self._pool.shutdown(wait=True)
        self._feedback(throttled=False, latency=self._latency)  # close a throttled spell still open
        return self.stats

    def abort(self) -> None:
        for future in self._in_flight:
            future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _send(self) -> None:
        batch, self._pending = self._pending, {}
        for key in batch:
            earlier = self._key_future.get(key)
            if earlier is not None:
                earlier.result()  # the older version of this key must land first
        while len(self._in_flight) >= max(1, int(self._window)):
            self._retire_finished()
        keys = list(batch)
        future = self._pool.submit(self._write, ['{"PutRequest":{"Item":' + item + "}}" for item in batch.values()])
        self._in_flight[future] = keys
        future.add_done_callback(self._finished.put)
        for key in keys:
            self._key_future[key] = future

    def _retire_finished(self) -> None:
        """Wait for any batch (not the oldest: one slow answer must not hold the window)."""
        future = self._finished.get()
        future.result()  # raises WriteFailed
        for key in self._in_flight.pop(future):
            if self._key_future.get(key) is future:
                del self._key_future[key]

    def _write(self, requests: list[str]) -> None:
        started = self._clock()
        attempt = 0
        while True:
            sent = self._clock()
            try:
                response = self._client.batch_write(self._prefix + ",".join(requests).encode() + b"]}}")
                left = response.get("UnprocessedItems", {}).get(self._table, [])
                throttled, answer = bool(left), "UnprocessedItems"
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if not _retryable(error):
                    raise WriteFailed(
                        f"DynamoDB refused a batch for table {self._table!r}: {code}: "
                        f"{error.response.get('Error', {}).get('Message', '')}"
                    ) from None
                left, throttled, answer = requests, code in _THROTTLED, code
            except (HTTPClientError, BotoConnectionError, ChecksumError) as error:
                left, throttled, answer = requests, False, f"{type(error).__name__}: {error}"
            self._feedback(throttled, self._clock() - sent)
            with self._lock:
                self.stats.requests += 1
                self.stats.unprocessed += len(left)
                if not left:
                    self.stats.items += len(requests)
                else:
                    self.stats.retries += 1
            if not left:
                return
            if self._clock() - started > self._deadline:
                raise WriteFailed(
                    f"DynamoDB left {len(left)} item(s) unwritten for {self._deadline:.0f}s "
                    f"(table {self._table!r}, last answer {answer}); rerun the task to finish the file"
                )
            # Full jitter: concurrent batches must not retry in lockstep.
            self._sleep(random.uniform(0, min(5.0, 0.05 * 2**attempt)))
            attempt += 1
            requests = [r if isinstance(r, str) else json.dumps(r, separators=(",", ":")) for r in left]

    def _feedback(self, throttled: bool, latency: float) -> None:
        """AIMD on the window; the time from the first throttled answer to the next clean one is counted."""
        with self._lock:
            now = self._clock()
            if throttled:
                if self._throttled_since is None:
                    self._throttled_since = now
                if self._adaptive and now - self._last_cut >= self._latency:
                    self._window, self._last_cut = max(1.0, self._window / 2), now
                    self.stats.smallest_window = min(self.stats.smallest_window, int(self._window))
            else:
                if self._throttled_since is not None:
                    self.stats.throttled_seconds += now - self._throttled_since
                    self._throttled_since = None
                if self._adaptive:
                    self._window = min(float(self._max), self._window + 1 / self._window)
            self._latency = latency if not self._latency else 0.8 * self._latency + 0.2 * latency
