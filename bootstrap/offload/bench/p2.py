"""P2 of `make bench`: the worker's peak RSS per process for a small and a large generated CSV,
uploaded to the twin's S3 as it is generated, loaded against the null DynamoDB endpoint."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from offload.bench import null_sink
from offload.bench.settings import Echo, Settings
from offload.bench.worker_process import BUCKET, run_worker
from offload.samples import generate as sample_orders
from offload.twin.run import free_port


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


def measure_p2(settings: Settings, echo: Echo, s3: Any, s3_endpoint: str) -> dict[str, float]:
    results: dict[str, float] = {}
    with null_sink.running(free_port(), 0) as null:
        for label, megabytes in (("small", settings.small_mb), ("large", settings.large_mb)):
            key = f"incoming/p2-{megabytes}mb.csv"
            s3.upload_fileobj(GeneratedCsv(megabytes * 1024 * 1024), BUCKET, key)
            etag = s3.head_object(Bucket=BUCKET, Key=key)["ETag"]
            run = run_worker(s3_endpoint, null, key, etag)
            echo(f"P2: {megabytes} MB in {run.seconds:.0f} s, peak RSS {run.peak_rss_mb:.0f} MB per process")
            results[f"p2_rss_mb_{label}"] = run.peak_rss_mb
            results[f"p2_mb_{label}"] = megabytes
            s3.delete_object(Bucket=BUCKET, Key=key)
    results["p2_large_small_ratio"] = results["p2_rss_mb_large"] / results["p2_rss_mb_small"]
    return results
