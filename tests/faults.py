"""Fault injection for the twin's proxy: AWS answering as it does on a bad day."""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections.abc import Iterator
from urllib.parse import quote

from offload.twin import proxy


@contextlib.contextmanager
def fault_proxy(target: str, hooks: proxy.Hooks) -> Iterator[str]:
    """The twin behind a proxy with these hooks, for the length of the block; yields its URL."""
    server, url = proxy.start(target, hooks)
    try:
        yield url
    finally:
        server.shutdown()


_JSON = {"Content-Type": "application/x-amz-json-1.0"}
_THROTTLED = json.dumps({
    "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
    "message": "The level of configured provisioned throughput for the table was exceeded.",
}).encode()


class DynamoDBFaults(proxy.Hooks):
    """BatchWriteItem: a share of requests throttled outright; of the rest, a share of the
    items left out of the write and handed back as UnprocessedItems, as DynamoDB does."""

    def __init__(self, unprocessed: float, throttled: float, seed: int = 7) -> None:
        self._unprocessed, self._throttled = unprocessed, throttled
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._held: dict[int, dict[str, list[object]]] = {}
        self.batches = self.items_sent = self.items_unprocessed = self.throttles = 0

    def request(self, request: proxy.Request) -> proxy.Reply | None:
        if "BatchWriteItem" not in request.header("X-Amz-Target"):
            return None
        body = json.loads(request.body)
        with self._lock:
            self.batches += 1
            if self._random.random() < self._throttled:
                self.throttles += 1
                return proxy.Reply(400, dict(_JSON), _THROTTLED)
            kept: dict[str, list[object]] = {}
            held: dict[str, list[object]] = {}
            for table, writes in body["RequestItems"].items():
                for write in writes:
                    lost = self._random.random() < self._unprocessed
                    (held if lost else kept).setdefault(table, []).append(write)
            self.items_sent += sum(len(w) for w in body["RequestItems"].values())
            self.items_unprocessed += sum(len(w) for w in held.values())
        if not kept:
            return proxy.Reply(200, dict(_JSON), json.dumps({"UnprocessedItems": held}).encode())
        request.body = json.dumps({**body, "RequestItems": kept}).encode()
        with self._lock:
            self._held[id(request)] = held
        return None

    def reply(self, request: proxy.Request, reply: proxy.Reply) -> proxy.Reply:
        with self._lock:
            held = self._held.pop(id(request), None)
        if held is None or reply.status != 200:
            return reply
        answer = json.loads(reply.body)
        answer["UnprocessedItems"] = held
        headers = {k: v for k, v in reply.headers.items() if k.lower() != "x-amz-crc32"}  # the body changed
        return proxy.Reply(200, headers, json.dumps(answer).encode())


class S3Resets(proxy.Hooks):
    """GetObject of one key: the connection is reset after `after_bytes` of the body, `times` times."""

    def __init__(self, bucket: str, key: str, after_bytes: int, times: int) -> None:
        self._path = f"/{bucket}/{quote(key)}"
        self._after, self._left = after_bytes, times
        self._lock = threading.Lock()
        self.gets = self.ranged_gets = self.resets = 0

    def reply(self, request: proxy.Request, reply: proxy.Reply) -> proxy.Reply:
        if request.method != "GET" or request.path.split("?")[0] != self._path or reply.status not in (200, 206):
            return reply
        with self._lock:
            self.gets += 1
            self.ranged_gets += bool(request.header("Range"))
            if self._left > 0:
                self._left -= 1
                self.resets += 1
                reply.cut_after = self._after
        return reply
