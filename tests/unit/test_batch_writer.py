import json
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from offload_worker.batch_writer import BatchWriter
from offload_worker.errors import WriteFailed


class FakeDynamo:
    """Records batches; can leave items unprocessed, throttle, or be slow."""

    def __init__(self, unprocessed_first: int = 0, throttle_first: int = 0, delay: float = 0.0) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.table: dict[str, dict[str, Any]] = {}
        self.unprocessed_first, self.throttle_first, self.delay = unprocessed_first, throttle_first, delay
        self.lock = threading.Lock()
        self.max_in_flight = 0
        self._in_flight = 0

    def batch_write(self, body: bytes) -> dict[str, Any]:
        (table, requests), = json.loads(body)["RequestItems"].items()
        with self.lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            time.sleep(self.delay)
            keys = [r["PutRequest"]["Item"]["OrderId"]["S"] for r in requests]
            assert len(keys) == len(set(keys)), "DynamoDB refuses duplicate keys in one batch"
            assert len(requests) <= 25
            with self.lock:
                if self.throttle_first:
                    self.throttle_first -= 1
                    raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "BatchWriteItem")
                left = requests[: self.unprocessed_first]
                self.unprocessed_first = max(0, self.unprocessed_first - len(left))
                done = requests[len(left):]
                self.batches.append(done)
                for r in done:
                    item = r["PutRequest"]["Item"]
                    self.table[item["OrderId"]["S"]] = item
            return {"UnprocessedItems": {table: left} if left else {}}
        finally:
            with self.lock:
                self._in_flight -= 1


def wire(item: dict[str, Any]) -> str:
    """The item as the worker sends it: DynamoDB wire JSON."""
    return json.dumps({k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in item.items()})


def write(fake: FakeDynamo, items: list[dict[str, Any]], concurrency: int = 4, deadline: float = 30,
          adaptive: bool = True) -> BatchWriter:
    writer = BatchWriter(fake, "Order", concurrency, deadline, sleep=lambda s: None, adaptive=adaptive)
    for item in items:
        writer.put(item["OrderId"], wire(item))
    writer.close()
    return writer


def test_batches_of_25_with_several_in_flight() -> None:
    fake = FakeDynamo(delay=0.02)
    write(fake, [{"OrderId": str(i)} for i in range(1000)], concurrency=8)
    assert len(fake.table) == 1000
    assert all(len(b) == 25 for b in fake.batches)
    assert fake.max_in_flight > 1


def test_unprocessed_and_throttled_items_are_retried_until_written() -> None:
    fake = FakeDynamo(unprocessed_first=60, throttle_first=3)
    writer = write(fake, [{"OrderId": str(i)} for i in range(300)])
    assert len(fake.table) == 300
    assert writer.stats.retries >= 4


def test_later_row_wins_even_across_batches_in_flight() -> None:
    fake = FakeDynamo(delay=0.01)
    items = [{"OrderId": str(i % 40), "v": i} for i in range(400)]  # each key 10 times
    write(fake, items, concurrency=8)
    assert {k: int(v["v"]["N"]) for k, v in fake.table.items()} == {str(k): 360 + k for k in range(40)}


def test_deadline_turns_endless_unprocessed_into_a_loud_failure() -> None:
    fake = FakeDynamo(unprocessed_first=10**9)
    with pytest.raises(WriteFailed, match="left 25 item\\(s\\) unwritten"):
        write(fake, [{"OrderId": str(i)} for i in range(25)], deadline=0)


def test_non_retryable_error_fails_with_the_reason() -> None:
    class Refusing(FakeDynamo):
        def batch_write(self, body: bytes) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no table"}}, "x")

    with pytest.raises(WriteFailed, match="ResourceNotFoundException: no table"):
        write(Refusing(), [{"OrderId": "1"}])


class RateLimitedTable(FakeDynamo):
    """A table that takes `per_window` items per 10 ms window and leaves the rest unprocessed."""

    def __init__(self, per_window: int) -> None:
        super().__init__(delay=0.005)
        self.per_window, self.requests = per_window, 0
        self._window_start, self._used = time.monotonic(), 0

    def batch_write(self, body: bytes) -> dict[str, Any]:
        (table, requests), = json.loads(body)["RequestItems"].items()
        time.sleep(self.delay)
        with self.lock:
            self.requests += 1
            now = time.monotonic()
            if now - self._window_start > 0.01:
                self._window_start, self._used = now, 0
            room = max(0, self.per_window - self._used)
            done, left = requests[:room], requests[room:]
            self._used += len(done)
            for r in done:
                item = r["PutRequest"]["Item"]
                self.table[item["OrderId"]["S"]] = item
        return {"UnprocessedItems": {table: left} if left else {}}


def test_a_throttled_table_gets_fewer_requests_with_the_adaptive_window() -> None:
    items = [{"OrderId": str(i)} for i in range(3000)]
    fixed, adaptive = RateLimitedTable(per_window=50), RateLimitedTable(per_window=50)
    write(fixed, items, concurrency=32, adaptive=False)
    slowed = write(adaptive, items, concurrency=32)
    assert len(fixed.table) == len(adaptive.table) == 3000  # nothing lost either way
    assert adaptive.requests < fixed.requests
    assert slowed.stats.smallest_window < 32 and slowed.stats.throttled_seconds > 0
    print(f"\nfigure: adaptive window on a throttled table: requests {adaptive.requests} vs {fixed.requests} fixed, "
          f"window down to {slowed.stats.smallest_window}, throttled {slowed.stats.throttled_seconds:.2f} s")
