"""P1 and P2 of `make bench`.

P1 ingest rate at WAN latency: the twin behind a proxy that delays every request
   by a fixed RTT; the worker as shipped, the workshop's algorithm (sequential
   25-item BatchWriteItem) and the twin's own ceiling (raw BatchWriteItem, no
   parsing, at the worker's concurrency), all on the same generated file.
P2 peak RSS of the worker for a small and a large generated CSV, uploaded to the
   twin's S3 with a multipart upload as it is generated. Its DynamoDB is a null
   endpoint that accepts every batch: moto would need hours to store millions of
   rows, and what the worker holds in memory does not depend on the table.
P3/P4 from one `offload demo` run (its own process): drop -> output, the whole
   demo, RunTask calls per file and per duplicate event, records per invocation.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

from offload.bench.settings import Echo, Settings
from offload.samples import generate as sample_orders
from offload.twin import credentials, proxy
from offload.twin.credentials import sdk_environment

BUCKET, TABLE, JOBS = "bench-orders", "Order", "bench-jobs"
BATCH = 25
REGION = "us-east-1"


class _Delay(proxy.Hooks):
    def __init__(self, rtt_s: float) -> None:
        self.rtt_s = rtt_s

    def request(self, request: proxy.Request) -> proxy.Reply | None:
        time.sleep(self.rtt_s)
        return None


def delay_proxy(target: str, rtt_s: float) -> tuple[ThreadingHTTPServer, str]:
    """A loopback HTTP proxy that holds every request for one RTT before forwarding it."""
    return proxy.start(target, _Delay(rtt_s))


class _NullDynamoDB(proxy.Hooks):
    def request(self, request: proxy.Request) -> proxy.Reply | None:
        body = b'{"UnprocessedItems":{}}' if "BatchWriteItem" in request.header("X-Amz-Target") else b"{}"
        return proxy.Reply(200, {"Content-Type": "application/x-amz-json-1.0"}, body)


def null_dynamodb() -> tuple[ThreadingHTTPServer, str]:
    """Accepts every DynamoDB call with an empty success (UnprocessedItems: none)."""
    return proxy.start("http://127.0.0.1:9", _NullDynamoDB())  # never forwards


class GeneratedCsv(io.RawIOBase):
    """An orders CSV of about `size` bytes, produced as it is read (nothing held in memory)."""

    def __init__(self, size: int) -> None:
        self._size, self._sent, self._buffer = size, 0, sample_orders.HEADER.encode() + b"\n"
        self._rows: Iterator[str] = sample_orders.rows(10**9)

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while len(self._buffer) < len(target) and self._sent + len(self._buffer) < self._size:
            self._buffer += "\n".join(next(self._rows) for _ in range(500)).encode() + b"\n"
        count = min(len(target), len(self._buffer))
        target[:count], self._buffer = self._buffer[:count], self._buffer[count:]
        self._sent += count
        return count


def _make_tables(dynamodb: Any) -> None:
    for name, key in ((TABLE, "OrderId"), (JOBS, "JobId")):
        dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        )


def _reset_table(dynamodb: Any) -> None:
    dynamodb.delete_table(TableName=TABLE)
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "OrderId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "OrderId", "KeyType": "HASH"}],
    )


def run_worker(
    endpoint: str, key: str, etag: str, concurrency: int, dynamodb_endpoint: str | None = None
) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one `python -m offload_worker` run."""
    env = {
        **os.environ,
        **sdk_environment(endpoint, REGION),
        "S3_BUCKET_NAME": BUCKET,
        "S3_KEY": key,
        "STATUS_KEY": etag,
        "TABLE_NAME": TABLE,
        "JOBS_TABLE": JOBS,
        "WRITE_CONCURRENCY": str(concurrency),
    }
    if dynamodb_endpoint:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "offload_worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = _watch_peak_rss(process)
    _out, said = process.communicate()
    took = time.monotonic() - began
    if process.returncode != 0:
        raise RuntimeError(f"worker failed on {key}: {said.decode()[-2000:]}")
    return took, peak.value / 1024


@dataclass
class _Peak:
    value: float = 0.0


def _watch_peak_rss(process: subprocess.Popen[bytes]) -> _Peak:
    """VmHWM (peak RSS since exec) from /proc while the process runs. getrusage's ru_maxrss
    would count the parent's pages the child held between fork and exec."""
    peak = _Peak()

    def watch() -> None:
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            try:
                line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
                peak.value = max(peak.value, float(line.split()[1]))
            except (OSError, StopIteration):
                pass
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    return peak


def _items(rows: int) -> list[dict[str, Any]]:
    return [{"PutRequest": {"Item": {"OrderId": {"S": str(n)}, "Region": {"S": "Ontario"}}}} for n in range(rows)]


def seed_algorithm(dynamodb: Any, rows: int) -> float:
    """The workshop's writer: one 25-item BatchWriteItem after another. Rows per second."""
    items = _items(rows)
    began = time.monotonic()
    for start in range(0, rows, BATCH):
        dynamodb.batch_write_item(RequestItems={TABLE: items[start : start + BATCH]})
    return rows / (time.monotonic() - began)


def raw_ceiling(endpoint: str, rows: int, concurrency: int) -> float:
    """Prepared batches only, at the worker's concurrency: what the twin itself can take."""
    from concurrent.futures import ThreadPoolExecutor

    from botocore.config import Config

    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name=REGION, config=Config(max_pool_connections=concurrency)
    )
    items = _items(rows)
    batches = [items[s : s + BATCH] for s in range(0, rows, BATCH)]
    began = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda batch: client.batch_write_item(RequestItems={TABLE: batch}), batches))
    return rows / (time.monotonic() - began)


def measure_p1_p2(settings: Settings, echo: Echo) -> dict[str, float]:
    from offload.twin.run import free_port
    from offload.twin.server import Twin

    os.environ.setdefault("AWS_ACCESS_KEY_ID", credentials.ACCESS_KEY)  # the twin's placeholders
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", credentials.SECRET_KEY)
    twin = Twin(free_port())
    twin.start()
    proxy, slow = delay_proxy(twin.endpoint, settings.rtt_ms / 1000)
    sink, null = null_dynamodb()
    try:
        s3 = boto3.client("s3", endpoint_url=twin.endpoint, region_name=REGION)
        direct = boto3.client("dynamodb", endpoint_url=twin.endpoint, region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        _make_tables(direct)
        s3.put_object(Bucket=BUCKET, Key="incoming/p1.csv", Body=sample_orders.text(settings.rows).encode())
        etag = s3.head_object(Bucket=BUCKET, Key="incoming/p1.csv")["ETag"]
        echo(
            f"P1: {settings.rows} rows, {settings.rtt_ms:.0f} ms per request, write concurrency {settings.concurrency}"
        )
        took, _rss = run_worker(slow, "incoming/p1.csv", etag, settings.concurrency)
        shipped = settings.rows / took
        _reset_table(direct)
        seed = seed_algorithm(boto3.client("dynamodb", endpoint_url=slow, region_name=REGION), settings.rows)
        _reset_table(direct)
        ceiling = raw_ceiling(slow, settings.rows, settings.concurrency)
        ideal = BATCH * settings.concurrency / (settings.rtt_ms / 1000)
        results = {
            "p1_rows_per_s": shipped,
            "p1_seed_rows_per_s": seed,
            "p1_ideal_ratio": shipped / ideal,
            "p1_rtt_ms": settings.rtt_ms,
            "p1_ideal_rows_per_s": ideal,
            "p1_twin_ceiling_rows_per_s": ceiling,
            "p1_ceiling_ratio": shipped / ceiling,
            "p1_rows": settings.rows,
        }
        for label, megabytes in (("small", settings.small_mb), ("large", settings.large_mb)):
            key = f"incoming/p2-{megabytes}mb.csv"
            s3.upload_fileobj(GeneratedCsv(megabytes * 1024 * 1024), BUCKET, key)
            etag = s3.head_object(Bucket=BUCKET, Key=key)["ETag"]
            took, rss = run_worker(twin.endpoint, key, etag, settings.concurrency, dynamodb_endpoint=null)
            echo(f"P2: {megabytes} MB in {took:.0f} s, peak RSS {rss:.0f} MB")
            results[f"p2_rss_mb_{label}"] = rss
            results[f"p2_mb_{label}"] = megabytes
            s3.delete_object(Bucket=BUCKET, Key=key)
        results["p2_large_small_ratio"] = results["p2_rss_mb_large"] / results["p2_rss_mb_small"]
        return results
    finally:
        proxy.shutdown()
        sink.shutdown()
        twin.stop()
