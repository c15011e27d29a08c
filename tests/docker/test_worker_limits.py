"""The worker image under a hard memory limit on a host with many CPUs: it runs the load processes
that fit, says so in the job record, and loads the file without being OOM-killed.

ECS gives a container's `cpu` as CPU shares, so on a 96-core host the worker sees 96 CPUs. This
machine has 2; the container is shown 96 by a sitecustomize on PYTHONPATH that answers
os.sched_getaffinity as that host's kernel would (a quota or cpuset can only show fewer CPUs than
the host has, never more). It is test code put into the container; the worker has no test hook.
"""

from __future__ import annotations

import io
import tarfile

import docker
import pytest

from tests.conftest import FAKE_CREDENTIALS, make_orders_stack
from tests.figures import say
from tests.functional.worker_run import BUCKET, items, job, put, tell_task_state
from tests.orders_csv import csv_text, many

pytestmark = pytest.mark.docker

LABEL = {"offload.test": "worker-limits"}
KEY = "incoming/limits.csv"
ROWS = 1500
FAKE_CPUS = 96
SITECUSTOMIZE = f"import os\nos.sched_getaffinity = lambda pid: set(range({FAKE_CPUS}))\n"
# The container's peak memory, read from its cgroup (v1 here; v2 memory.peak) after the worker exits.
PEAK = "cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.peak"


def _fake_cpus_archive() -> bytes:
    data = SITECUSTOMIZE.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("fake-cpus/sitecustomize.py")
        info.size, info.mode = len(data), 0o644
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _run_worker(client: docker.DockerClient, image: str, endpoint: str, etag: str, job_id: str,
                **environment: str) -> tuple[int, bool, int, str]:
    """(exit code, OOM-killed, peak bytes, output) of the worker in a 512 MiB container on the host network."""
    env = {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "S3_BUCKET_NAME": BUCKET, "S3_KEY": KEY,
           "STATUS_KEY": etag, "JOB_ID": job_id, "JOBS_TABLE": "jobs", "TABLE_NAME": "Order",
           "WRITE_CONCURRENCY": "8", "PYTHONPATH": "/tmp/fake-cpus", **environment}
    tell_task_state(env, "RUNNING")
    container = client.containers.create(
        image, ["-c", f"offload-worker; code=$?; {PEAK}; exit $code"], entrypoint="sh", environment=env,
        network_mode="host", mem_limit="512m", memswap_limit="512m", labels=LABEL,
    )
    try:
        container.put_archive("/tmp", _fake_cpus_archive())
        container.start()
        code = int(container.wait(timeout=120)["StatusCode"])
        output = container.logs().decode()
        container.reload()
        oom = bool(container.attrs["State"]["OOMKilled"])
    finally:
        container.remove(force=True)
    tell_task_state(env, "STOPPED", code)  # as ECS + EventBridge would: the job's fate is decided there
    last = output.strip().splitlines()[-1] if output.strip() else ""
    return code, oom, int(last) if last.isdigit() else 0, output


@pytest.mark.parametrize(("settings", "reason"), [
    ({"WORKER_CPU_UNITS": "16384"}, "4: the 512 MiB memory limit holds 4"),  # a 16-vCPU task, 512 MiB
    ({"WORKER_PROCESSES": "24"}, "WORKER_PROCESSES=24 clamped to 4: the 512 MiB memory limit holds 4"),
], ids=["default", "explicit-24"])
def test_96_cpus_and_512_mib_run_the_processes_that_fit(
    aws: str, docker_client: docker.DockerClient, worker_image: str, settings: dict[str, str], reason: str
) -> None:
    make_orders_stack()
    etag = put(KEY, csv_text(many(ROWS)))
    code, oom, peak, output = _run_worker(docker_client, worker_image, aws, etag, "limits", **settings)
    record = job("limits")
    say(f"worker in 512 MiB seeing {FAKE_CPUS} CPUs, {settings}: exit={code} oom_killed={oom} "
        f"peak={peak / 2**20:.0f} MiB processes={record.get('LoadProcesses')} "
        f"reason={record.get('LoadProcessesReason')!r}")
    assert (code, oom) == (0, False), output[-2000:]
    assert (record["LoadProcesses"], record["LoadProcessesReason"]) == (4, reason)
    assert record["Status"] == "SUCCEEDED" and record["RowsLoaded"] == ROWS and len(items()) == ROWS
    assert 0 < peak < 512 << 20
