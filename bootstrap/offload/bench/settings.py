"""What a bench run measures, and with which sizes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    rows: int = 200_000  # P1 file for the worker
    rtt_ms: float = 25.0
    concurrency: int = 64  # the worker's WRITE_CONCURRENCY (its default)
    processes: int = 0  # the worker's WORKER_PROCESSES; 0: its default (the CPUs it may use)
    peer_rows: int = 10_000  # P1 file for the one-batch-at-a-time peers (they take ~1 s per 1,000 rows)
    small_mb: int = 20
    large_mb: int = 80
    p5_mb: int = 40  # P5's large file, loaded on one instance and as shards on three
    p6_files: int = 60  # P6's burst of small files, drained by the demo stack's one instance
    p7_rows: int = 100_000  # P7's rows through each encoder (parsed before the clock starts)
