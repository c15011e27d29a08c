"""The benchmark's own parts: the generated file, the delay proxy, the null DynamoDB."""

from __future__ import annotations

import json
import time

import requests
from offload.bench import p1_p2 as bench
from offload.samples import generate as sample_orders


def test_generated_csv_is_the_size_asked_for_and_valid_orders() -> None:
    body = bench.GeneratedCsv(200_000).read()
    assert 200_000 <= len(body) < 200_000 + 100_000
    lines = body.decode().splitlines()
    assert lines[0] == sample_orders.HEADER and all(len(line.split(",")) >= 13 for line in lines[1:])


def test_delay_proxy_holds_each_request_for_the_rtt_and_null_dynamodb_accepts_batches() -> None:
    sink, null = bench.null_dynamodb()
    proxy, slow = bench.delay_proxy(null, 0.05)
    try:
        began = time.monotonic()
        reply = requests.post(slow, data=b"{}", headers={"X-Amz-Target": "DynamoDB_20120810.BatchWriteItem"}, timeout=5)
        assert time.monotonic() - began >= 0.05
        assert json.loads(reply.content) == {"UnprocessedItems": {}}
    finally:
        proxy.shutdown()
        sink.shutdown()
