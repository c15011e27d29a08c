"""How many load processes: from what the task was given (CPU units, cgroup quota, memory), never more."""

from pathlib import Path

import pytest
from offload_worker.errors import ConfigError
from offload_worker.limits import cgroup_cpus, cgroup_memory_bytes, memory_fit, plan, task_plan
from offload_worker.settings import Settings

BASE = {"AWS_REGION": "us-east-1", "S3_BUCKET_NAME": "b", "S3_KEY": "incoming/a.csv"}
MIB = 1 << 20


def cgroup(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + "\n")
    return root


V1_UNLIMITED = "9223372036854771712"  # what cgroup v1 reads without a limit


@pytest.mark.parametrize(("files", "cpus", "memory"), [
    ({"cpu.max": "max 100000", "memory.max": "max"}, None, None),  # v2, no limits
    ({"cpu.max": "150000 100000", "memory.max": str(512 * MIB)}, 1.5, 512 * MIB),  # v2
    ({"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000",
      "memory/memory.limit_in_bytes": V1_UNLIMITED}, None, None),  # v1, no limits
    ({"cpu,cpuacct/cpu.cfs_quota_us": "200000", "cpu,cpuacct/cpu.cfs_period_us": "100000",
      "memory/memory.limit_in_bytes": str(300 * MIB)}, 2.0, 300 * MIB),  # v1, as docker mounts it
    ({}, None, None),  # no cgroup files at all
])
def test_cgroup_v1_and_v2_limits_are_read(tmp_path: Path, files: dict[str, str], cpus: float | None,
                                          memory: int | None) -> None:
    root = cgroup(tmp_path, files)
    assert (cgroup_cpus(root), cgroup_memory_bytes(root)) == (cpus, memory)


def test_a_96_core_host_with_the_default_task_runs_what_512_units_and_512_mib_allow() -> None:
    # ECS gives the container shares, not a quota: it sees all 96 cores. The old default was 96 (exit 2).
    assert plan(None, "512", cpus=96, quota=None, memory=512 * MIB).count == 1
    eight_vcpus = plan(None, "8192", cpus=96, quota=None, memory=512 * MIB)
    assert eight_vcpus.count == memory_fit(512 * MIB) < 8
    assert "512 MiB memory limit" in eight_vcpus.reason
    assert plan(None, "8192", cpus=96, quota=None, memory=4096 * MIB).reason == "8: the task's 8192 CPU units"
    assert plan(None, None, cpus=96, quota=None, memory=None).count == 64  # nothing said: at most 64
    assert plan(None, None, cpus=96, quota=2.5, memory=None).reason == "3: a cgroup CPU quota of 2.5 CPU(s)"
    assert plan(None, None, cpus=2, quota=None, memory=None).reason == "2: 2 CPU(s) to run on"


def test_memory_holds_the_processes_beside_the_reader() -> None:
    for limit_mib in (128, 256, 512, 1024, 4096):
        count = memory_fit(limit_mib * MIB)
        assert count == 1 or 120 + count * 80 <= limit_mib  # measured: ~75 MB a process (bench P2)
    assert memory_fit(128 * MIB) == 1  # too small for two: the load runs in the reading process


def test_an_explicit_count_above_the_limits_is_clamped_and_says_so() -> None:
    clamped = plan("96", None, cpus=96, quota=None, memory=None)
    assert (clamped.count, clamped.reason) == (64, "WORKER_PROCESSES=96 clamped to 64: at most 64")
    tight = plan("12", None, cpus=2, quota=None, memory=512 * MIB)
    assert tight.count == memory_fit(512 * MIB) and "clamped" in tight.reason and "512 MiB" in tight.reason
    assert plan("3", "512", cpus=2, quota=1.0, memory=None) == plan("3", None, cpus=2)  # the operator's choice
    assert plan("3", None, cpus=2).reason == "WORKER_PROCESSES=3"


@pytest.mark.parametrize("garbage", ["0", "three", "-2", "2.5"])
def test_garbage_is_still_a_config_error(garbage: str) -> None:
    with pytest.raises(ConfigError, match=f"WORKER_PROCESSES='{garbage}' must be a whole number"):
        plan(garbage, None, cpus=2)
    with pytest.raises(ConfigError, match="WORKER_CPU_UNITS"):
        plan(None, garbage, cpus=2)


def test_settings_carry_the_count_and_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = cgroup(tmp_path, {"memory/memory.limit_in_bytes": str(512 * MIB)})
    monkeypatch.setattr("offload_worker.settings.task_plan", lambda w, u: task_plan(w, u, root))
    settings = Settings.from_env({**BASE, "WORKER_PROCESSES": "96"})
    assert settings.processes == memory_fit(512 * MIB)
    assert settings.processes_reason.startswith("WORKER_PROCESSES=96 clamped to")
