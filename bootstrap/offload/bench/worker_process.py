"""One `python -m offload_worker` run for the bench: wall time, peak RSS per process, CPU time."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from offload.twin.credentials import sdk_environment

REGION = "us-east-1"
BUCKET, TABLE, JOBS = "bench-orders", "Order", "bench-jobs"


@dataclass(frozen=True)
class WorkerRun:
    seconds: float
    peak_rss_mb: float  # the largest of the worker's processes
    cpu_seconds: float  # user + system, the worker and its load processes


def _tree_peak_rss(pid: int, peaks: dict[int, float]) -> None:
    """VmHWM (peak RSS since exec) of the process and its children, from /proc."""
    for proc in [pid, *_children(pid)]:
        try:
            text = Path(f"/proc/{proc}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                peaks[proc] = max(peaks.get(proc, 0.0), float(line.split()[1]))


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def worker_env(s3_endpoint: str, dynamodb_endpoint: str, key: str, etag: str, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        **sdk_environment(s3_endpoint, REGION, os.environ["AWS_ACCESS_KEY_ID"]),
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
        "S3_BUCKET_NAME": BUCKET,
        "S3_KEY": key,
        "STATUS_KEY": etag,
        "TABLE_NAME": TABLE,
        "JOBS_TABLE": JOBS,
        **settings,
    }


def start_worker(
    s3_endpoint: str, dynamodb_endpoint: str, key: str, etag: str, **settings: str
) -> subprocess.Popen[bytes]:
    env = worker_env(s3_endpoint, dynamodb_endpoint, key, etag, **settings)
    return subprocess.Popen(
        [sys.executable, "-m", "offload_worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def run_worker(s3_endpoint: str, dynamodb_endpoint: str, key: str, etag: str, **settings: str) -> WorkerRun:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    process = start_worker(s3_endpoint, dynamodb_endpoint, key, etag, **settings)
    peaks: dict[int, float] = {}

    def watch() -> None:
        while process.poll() is None:
            _tree_peak_rss(process.pid, peaks)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _out, said = process.communicate()
    took = time.monotonic() - began
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise RuntimeError(f"worker failed on {key}: {said.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return WorkerRun(took, max(peaks.values(), default=0.0) / 1024, cpu)
