"""A null DynamoDB endpoint for `make bench`: answers every call after a fixed RTT, in its own process.

BatchWriteItem gets `{"UnprocessedItems":{}}`, DescribeTable an `Order` table keyed by
OrderId, anything else `{}`; nothing is stored. With an UPSTREAM endpoint, every call but
BatchWriteItem goes there instead (the job record of a sharded job, which shards share).
It counts the items it was sent (GET /stats) so a run can check that every row arrived.
asyncio: one thread holds hundreds of delayed requests. Each response is one send on a
TCP_NODELAY socket, so loopback adds no Nagle/delayed-ACK stall to the configured RTT.

    python -m offload.bench.null_sink PORT RTT_MS [UPSTREAM]
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

_OK = b'{"UnprocessedItems":{}}'
# What awswrangler's put_df and the worker (its schema's keys against the table's) ask before they write.
_TABLE = (
    b'{"Table":{"TableName":"Order","TableStatus":"ACTIVE","KeySchema":[{"AttributeName":"OrderId","KeyType":"HASH"}],'
    b'"AttributeDefinitions":[{"AttributeName":"OrderId","AttributeType":"S"}]}}'
)
_ITEMS = b'"PutRequest"'


class _Counts:
    requests = 0
    items = 0


def _forward(upstream: str, head: bytes, body: bytes) -> tuple[int, bytes]:
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name and name.lower() not in (b"host", b"content-length", b"connection"):
            headers[name.decode()] = value.strip().decode()
    request = urllib.request.Request(upstream + "/", data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


async def _serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rtt: float, upstream: str | None
) -> None:
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            target = b""
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"x-amz-target":
                    target = value.strip()
            body = await reader.readexactly(length) if length else b""
            status = 200
            if head.startswith(b"GET /stats"):
                answer = json.dumps({"requests": _Counts.requests, "items": _Counts.items}).encode()
            elif upstream and not target.endswith(b"BatchWriteItem"):
                status, answer = await asyncio.to_thread(_forward, upstream, head, body)
            else:
                _Counts.requests += 1
                batch = target.endswith(b"BatchWriteItem")
                _Counts.items += body.count(_ITEMS) if batch else 0
                answer = _OK if batch else _TABLE if target.endswith(b"DescribeTable") else b"{}"
                if rtt:
                    await asyncio.sleep(rtt)
            writer.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n".encode()
                + b"Content-Type: application/x-amz-json-1.0\r\n"
                + f"Content-Length: {len(answer)}\r\nx-amzn-RequestId: null\r\n\r\n".encode()
                + answer
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def _main(port: int, rtt: float, upstream: str | None) -> None:
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(r, w, rtt, upstream), "127.0.0.1", port, backlog=512
    )
    async with server:
        await server.serve_forever()


def stats(endpoint: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{endpoint}/stats", timeout=10) as response:  # noqa: S310 - loopback
        return dict(json.loads(response.read()))


@contextmanager
def running(port: int, rtt_ms: float, upstream: str | None = None) -> Iterator[str]:
    """The sink in a child process for the duration; yields its endpoint."""
    more = [upstream] if upstream else []
    process = subprocess.Popen([sys.executable, "-m", "offload.bench.null_sink", str(port), str(rtt_ms), *more])
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                stats(endpoint)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]), float(sys.argv[2]) / 1000, sys.argv[3] if len(sys.argv) > 3 else None))
