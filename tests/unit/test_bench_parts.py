"""The benchmark's own parts: the generated file, the null DynamoDB sink, and the proxy's latency."""

from __future__ import annotations

import json
import time

import requests
from offload.bench import null_sink
from offload.bench.p2 import GeneratedCsv
from offload.samples import generate as sample_orders
from offload.twin import proxy
from offload.twin.run import free_port

BATCH_TARGET = {"X-Amz-Target": "DynamoDB_20120810.BatchWriteItem"}


def test_generated_csv_is_the_size_asked_for_and_valid_orders() -> None:
    body = GeneratedCsv(200_000).read()
    assert 200_000 <= len(body) < 200_000 + 100_000
    lines = body.decode().splitlines()
    assert lines[0] == sample_orders.HEADER and all(len(line.split(",")) >= 13 for line in lines[1:])


def _mean_seconds(session: requests.Session, url: str, count: int = 10) -> float:
    session.post(url, data=b"{}", headers=BATCH_TARGET, timeout=5)  # connect outside the timing
    began = time.monotonic()
    for _ in range(count):
        reply = session.post(url, data=b'{"PutRequest":1,"PutRequest":2}', headers=BATCH_TARGET, timeout=5)
    assert json.loads(reply.content) == {"UnprocessedItems": {}}
    return (time.monotonic() - began) / count


def test_null_sink_answers_after_the_rtt_and_counts_items() -> None:
    with null_sink.running(free_port(), 40) as sink, requests.Session() as session:
        mean = _mean_seconds(session, sink)
        assert null_sink.stats(sink)["items"] == 20
    assert 0.040 <= mean < 0.040 + 0.025, mean  # no Nagle / delayed-ACK stall (~40 ms) on top of the RTT


class _Answer(proxy.Hooks):
    def request(self, request: proxy.Request) -> proxy.Reply | None:
        time.sleep(0.02)
        return proxy.Reply(200, {"Content-Type": "application/x-amz-json-1.0"}, b'{"UnprocessedItems":{}}')


def test_proxy_adds_only_its_hooks_delay() -> None:
    server, url = proxy.start("http://127.0.0.1:9", _Answer())
    try:
        with requests.Session() as session:
            mean = _mean_seconds(session, url)
    finally:
        server.shutdown()
    assert 0.020 <= mean < 0.020 + 0.025, mean  # headers and body in two sends once cost ~40 ms more
