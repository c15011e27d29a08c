"""P6 of `make bench`: a burst of small files dropped at once on the demo's stack on the twin (one
instance with S task slots), drained through the backlog (docs/contract.md "The backlog").

The figure is files/s drained against the fleet's ideal, S slots / the median task time, both from
this run. A task's time is RunTask to STOPPED as the twin's ECS sees it (the slot is held that
long), so the ratio says how much of the fleet the backlog kept busy: 1.0 is every slot refilled
the moment it frees. The workers share this machine's cores, which the task times include.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from offload_contract import ids, jobs

from offload.lib.jobs.store import FINAL, Stack, dead_letters, plain
from offload.samples import generate as sample_orders
from offload.twin.ecs import tasks

ROWS_PER_FILE = 20
# A drain that has finished no job for this long is stuck (SQS would redeliver a capacity wait only after
# its 180 s visibility timeout): a busy machine slows the tasks down, it does not stop them ending.
STALL_S = 90.0
_POLL_S = 0.2
Echo = Callable[[str], None]


@dataclass
class TaskClock:
    """When the twin's ECS placed each task (RunTask) and when its agent reported it STOPPED."""

    placed: dict[str, float] = field(default_factory=dict)
    stopped: dict[str, float] = field(default_factory=dict)

    def install(self) -> None:
        """Wrap the twin's RunTask and SubmitTaskStateChange shims; call before Twin.start installs them."""
        run_task, submit_state = tasks.run_task, tasks.submit_task_state_change

        def timed_run_task(response: Any) -> Any:
            result = run_task(response)
            at = time.monotonic()
            for task in getattr(result, "result", {}).get("tasks", []):  # a repeated clientToken: the first time
                self.placed.setdefault(task.task_arn, at)
            return result

        def timed_submit_state(response: Any) -> str:
            answer = submit_state(response)
            if response._get_param("status") == "STOPPED":
                self.stopped.setdefault(response._get_param("task"), time.monotonic())
            return answer

        tasks.run_task = timed_run_task  # type: ignore[assignment]
        tasks.submit_task_state_change = timed_submit_state  # type: ignore[assignment]

    def since(self, began: float) -> tuple[int, list[float]]:
        """Tasks placed since `began`, and the RunTask-to-STOPPED seconds of those that stopped."""
        placed = {arn: at for arn, at in self.placed.items() if at >= began}
        return len(placed), [self.stopped[arn] - at for arn, at in placed.items() if arn in self.stopped]


def slots(registered: dict[str, int], containers: list[dict[str, Any]]) -> int:
    """How many tasks of these containers fit at once on an instance with these CPU and MEMORY."""
    need = {"CPU": sum(int(c.get("cpu", 0)) for c in containers), "MEMORY": sum(int(c["memory"]) for c in containers)}
    return min(registered[name] // amount for name, amount in need.items() if amount)


def burst_figures(files: int, fleet_slots: int, drain_s: float, task_s: list[float], placed: int) -> dict[str, float]:
    median = statistics.median(task_s)
    ideal = fleet_slots / median
    return {
        "p6_files": files,
        "p6_slots": fleet_slots,
        "p6_drain_s": drain_s,
        "p6_task_median_s": median,
        "p6_files_per_s": files / drain_s,
        "p6_ideal_files_per_s": ideal,
        "p6_ratio": files / drain_s / ideal,
        "p6_bound_s": 1.5 * files / ideal + 15,  # issue 23's acceptance bound on the drain time
        "p6_tasks_per_file": placed / files,
    }


def fleet_slots(stack: Stack) -> int:
    ecs = stack.client("ecs")
    arns = ecs.list_container_instances(cluster=stack.cluster, status="ACTIVE")["containerInstanceArns"]
    described = ecs.describe_container_instances(cluster=stack.cluster, containerInstances=arns)
    definition = ecs.describe_task_definition(taskDefinition=stack.task_definition)["taskDefinition"]
    return sum(
        slots(
            {r["name"]: int(r.get("integerValue", 0)) for r in i["registeredResources"]},
            definition["containerDefinitions"],
        )
        for i in described["containerInstances"]
    )


def _final(stack: Stack, job_ids: list[str]) -> dict[str, dict[str, Any]]:
    client, found = stack.client("dynamodb"), {}
    for start in range(0, len(job_ids), 100):
        request = {stack.jobs_table: {"Keys": [{jobs.JOB_ID: {"S": j}} for j in job_ids[start : start + 100]]}}
        while request:
            page = client.batch_get_item(RequestItems=request)
            found.update({i[jobs.JOB_ID]["S"]: plain(i) for i in page["Responses"].get(stack.jobs_table, [])})
            request = page.get("UnprocessedKeys") or {}
    return {j: job for j, job in found.items() if job.get(jobs.STATUS) in FINAL}


def measure_p6(stack: Stack, clock: TaskClock, files: int, echo: Echo) -> dict[str, float]:
    s3, body = stack.client("s3"), sample_orders.text(ROWS_PER_FILE).encode()
    began = time.monotonic()
    job_ids = []
    for n in range(files):
        key = f"{stack.layout.input_prefix}p6/burst-{n:04d}.csv"
        put = s3.put_object(Bucket=stack.bucket, Key=key, Body=body)
        job_ids.append(ids.job_id(stack.bucket, key, put["ETag"], put.get("VersionId")))
    done: dict[str, dict[str, Any]] = {}
    progress_at = began
    while len(done) < files and time.monotonic() - progress_at < STALL_S:
        time.sleep(_POLL_S)
        ended = _final(stack, job_ids)
        progress_at, done = (time.monotonic() if len(ended) > len(done) else progress_at), ended
    drain_s = time.monotonic() - began
    failed = [
        f"{j['Key']}: {j['Status']} {j.get('Reason', '')}" for j in done.values() if j[jobs.STATUS] != jobs.SUCCEEDED
    ]
    if len(done) < files:
        raise RuntimeError(
            f"P6: {len(done)} of {files} jobs ended in {drain_s:.0f} s, none in the last {STALL_S:.0f} s; "
            f"{dead_letters(stack)} event(s) in the DLQ"
        )
    if failed:
        raise RuntimeError(f"P6: {len(failed)} of {files} jobs did not succeed: {failed[:3]}")
    placed, task_s = clock.since(began)
    figures = burst_figures(files, fleet_slots(stack), drain_s, task_s, placed)
    figures["p6_dead_letters"] = dead_letters(stack)
    echo(
        f"P6: {files} files on {figures['p6_slots']:.0f} slots drained in {drain_s:.1f} s = "
        f"{figures['p6_files_per_s']:.2f} files/s, ideal {figures['p6_ideal_files_per_s']:.2f} "
        f"(median task {figures['p6_task_median_s']:.2f} s): {figures['p6_ratio']:.2f} x"
    )
    return figures
