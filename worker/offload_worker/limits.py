"""How many load processes a task can run: what ECS gave it, not what the host has.

ECS turns a container's `cpu` into CPU *shares* (a weight under contention), not a quota, so a
container sees every core of its host; its `memory` is a hard cgroup limit, and the kernel kills
the container when the load processes together pass it. So the default is the least of the CPUs
the process may run on, the cgroup CPU quota (if any), the task's CPU units
(WORKER_CPU_UNITS, which the cluster module sets from the task definition) and the number of
load processes the memory limit holds (cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from offload_contract import env

from offload_worker.errors import ConfigError

CGROUP = Path("/sys/fs/cgroup")
PROCESS_MIB = 80  # a load process's peak RSS: 74-75 MB in `make bench` P2, flat with the file's size
PARENT_MIB = 120  # the reading process beside them: the same imports, the S3 stream and the output parts
_NO_LIMIT = 1 << 60  # cgroup v1 writes "no limit" as a huge page-aligned number


@dataclass(frozen=True)
class ProcessPlan:
    count: int
    reason: str  # why this many, for the job record


def cgroup_cpus(root: Path = CGROUP) -> float | None:
    """The CPU quota in CPUs (v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us); None: no quota."""
    try:
        quota, period = (root / "cpu.max").read_text().split()
    except (OSError, ValueError):
        for controller in ("cpu", "cpu,cpuacct"):
            try:
                quota = (root / controller / "cpu.cfs_quota_us").read_text().strip()
                period = (root / controller / "cpu.cfs_period_us").read_text().strip()
                break
            except OSError:
                continue
        else:
            return None
    if quota in ("max", "-1") or not quota.isdigit() or not period.isdigit() or int(period) == 0:
        return None
    return int(quota) / int(period)


def cgroup_memory_bytes(root: Path = CGROUP) -> int | None:
    """The container's memory limit (v2 memory.max, v1 memory/memory.limit_in_bytes); None: none."""
    for path in (root / "memory.max", root / "memory" / "memory.limit_in_bytes"):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        return int(text) if text.isdigit() and int(text) < _NO_LIMIT else None
    return None


def memory_fit(limit: int) -> int:
    """Load processes that fit in `limit` bytes beside the reading process (1: the load runs in it)."""
    return max(1, (limit // (1 << 20) - PARENT_MIB) // PROCESS_MIB)


def plan(
    wanted: str | None,
    cpu_units: str | None,
    cpus: int | None = None,
    quota: float | None = None,
    memory: int | None = None,
) -> ProcessPlan:
    """WORKER_PROCESSES (`wanted`) clamped to what fits, or the default from the task's limits."""
    cpus = len(os.sched_getaffinity(0)) if cpus is None else cpus
    ceilings = [(env.MAX_WORKER_PROCESSES, f"at most {env.MAX_WORKER_PROCESSES}")]
    if memory is not None:
        ceilings.append((memory_fit(memory), f"the {memory >> 20} MiB memory limit holds {memory_fit(memory)}"))
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise ConfigError(f"{env.WORKER_PROCESSES}={wanted!r} must be a whole number of at least 1")
        ceiling, why = min(ceilings, key=lambda ceiling: ceiling[0])
        if int(wanted) <= ceiling:
            return ProcessPlan(int(wanted), f"{env.WORKER_PROCESSES}={wanted}")
        return ProcessPlan(ceiling, f"{env.WORKER_PROCESSES}={wanted} clamped to {ceiling}: {why}")
    ceilings.append((cpus, f"{cpus} CPU(s) to run on"))
    if quota is not None:
        ceilings.append((max(1, math.ceil(quota)), f"a cgroup CPU quota of {quota:g} CPU(s)"))
    if cpu_units:
        if not cpu_units.isdigit() or int(cpu_units) < 1:
            raise ConfigError(f"{env.WORKER_CPU_UNITS}={cpu_units!r} must be the task's CPU units (1024 = 1 vCPU)")
        units = int(cpu_units)
        ceilings.append((max(1, math.ceil(units / 1024)), f"the task's {units} CPU units"))
    count, why = min(ceilings, key=lambda ceiling: ceiling[0])
    return ProcessPlan(count, f"{count}: {why}")


def task_plan(wanted: str | None, cpu_units: str | None, root: Path = CGROUP) -> ProcessPlan:
    """The plan for this container, from its affinity and cgroup."""
    return plan(wanted, cpu_units, quota=cgroup_cpus(root), memory=cgroup_memory_bytes(root))
