"""Fault injection for the twin's proxy: AWS answering as it does on a bad day."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import zlib
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


def _error(status: int, kind: str, message: str = "") -> proxy.Reply:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": message}).encode()
    return proxy.Reply(status, dict(_JSON), body)


class DynamoDBErrorClasses(proxy.Hooks):
    """BatchWriteItem answered, in turn, with every way DynamoDB (or the way to it) fails: every other
    request gets the next of FAULTS; the rest pass. Only "cut-short" and "unprocessed" reach the table
    (a write whose answer is lost, and a partial write); every other fault writes nothing."""

    FAULTS = (
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "503-empty",
        "502-html",
        "connection-closed",
        "cut-short",  # Content-Length larger than what is sent, then a reset
        "wrong-crc32",  # the body is not the one DynamoDB signed
        "unprocessed",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._held: dict[int, dict[str, list[object]]] = {}
        self._cut: set[int] = set()
        self.injected: dict[str, int] = dict.fromkeys(self.FAULTS, 0)

    def request(self, request: proxy.Request) -> proxy.Reply | None:
        if "BatchWriteItem" not in request.header("X-Amz-Target"):
            return None
        with self._lock:
            self._requests += 1
            if self._requests % 2:
                return None
            fault = self.FAULTS[(self._requests // 2) % len(self.FAULTS)]
            self.injected[fault] += 1
        body = json.loads(request.body)
        if fault in ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"):
            return _error(400, fault, "Throughput exceeds the current capacity of your table or index.")
        if fault in ("InternalServerError", "InternalFailure"):
            return _error(500, fault, "The server encountered an internal error trying to fulfill the request.")
        if fault == "503-empty":
            return proxy.Reply(503, {}, b"")
        if fault == "502-html":
            return proxy.Reply(502, {"Content-Type": "text/html"}, b"<html><h1>502 Bad Gateway</h1></html>")
        if fault == "connection-closed":
            return proxy.Reply(0, reset=True)
        if fault == "wrong-crc32":
            # DynamoDB wrote nothing and said so; a flipped bit made it "nothing left over".
            signed = json.dumps({"UnprocessedItems": body["RequestItems"]}).encode()
            headers = {**_JSON, "x-amz-crc32": str(zlib.crc32(signed))}
            return proxy.Reply(200, headers, b'{"UnprocessedItems":{}}')
        writes = body["RequestItems"]
        if fault == "unprocessed" and min(len(w) for w in writes.values()) < 2:
            return proxy.Reply(200, dict(_JSON), json.dumps({"UnprocessedItems": writes}).encode())
        with self._lock:
            if fault == "cut-short":
                self._cut.add(id(request))
            else:  # unprocessed: the first half of each table's items is written, the rest handed back
                self._held[id(request)] = {t: w[len(w) // 2 :] for t, w in writes.items()}
                request.body = json.dumps({"RequestItems": {t: w[: len(w) // 2] for t, w in writes.items()}}).encode()
        return None

    def reply(self, request: proxy.Request, reply: proxy.Reply) -> proxy.Reply:
        with self._lock:
            cut, held = id(request) in self._cut, self._held.pop(id(request), None)
            self._cut.discard(id(request))
        if cut:
            reply.cut_after = len(reply.body) // 2
        elif held is not None and reply.status == 200:
            answer = {**json.loads(reply.body), "UnprocessedItems": held}
            signed = json.dumps(answer).encode()
            headers = {k: v for k, v in reply.headers.items() if k.lower() != "x-amz-crc32"}
            return proxy.Reply(200, {**headers, "x-amz-crc32": str(zlib.crc32(signed))}, signed)
        return reply
