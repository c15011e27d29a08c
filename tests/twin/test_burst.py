"""A burst of files on the whole pipeline on the twin (issue 23): the stack applied by Terraform,
the twin's Lambda runtime polling SQS, EventBridge delivering ECS events, local agents running the
worker. The backlog must drain at the fleet's pace: a job starts the moment a slot frees.

Each test judges by what is stored (job records, ECS tasks, the DLQ) and prints its figures.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.terraform import targets
from offload.lib.terraform.runner import Runner
from offload.samples import generate as sample_orders
from offload.twin.agent import LocalAgent
from offload.twin.onprem import OnPremInstance, heartbeat, join
from offload.twin.runtime.process import ProcessRuntime
from offload_contract import jobs as job_fields

from tests.conftest import PING_TIMEOUT, reset_twin
from tests.figures import say
from tests.twin_cluster import use_own_stack

# One worker under pytest-xdist (make test): the module's tests share one applied stack.
pytestmark = [pytest.mark.twin, pytest.mark.xdist_group("burst")]
REGION = "us-east-1"
WORKER_MEMORY, WORKER_CPU = 512, 512  # the stack's defaults (terraform/variables.tf)
SLOTS = 8  # an instance registered with 8 x the worker's memory and CPU runs 8 tasks at a time
ROWS = 5  # small files: the figure is the pipeline's, not the load's


class TimedAgent(LocalAgent):
    """The twin's agent, noting how long each task held its slot (container start to its report)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.task_seconds: list[float] = []

    def _run(self, task: dict[str, Any]) -> None:
        began = time.monotonic()
        super()._run(task)
        self.task_seconds.append(time.monotonic() - began)


class Burst:
    def __init__(self, endpoint: str, outputs: dict[str, Any], log_dir: Path) -> None:
        self.endpoint, self.outputs, self.log_dir = endpoint, outputs, log_dir
        self.agents: list[TimedAgent] = []
        self.s3, self.ecs, self.sqs = (boto3.client(s, region_name=REGION) for s in ("s3", "ecs", "sqs"))
        self.table = boto3.resource("dynamodb", region_name=REGION).Table(outputs["jobs_table"])

    def join(self, slots: int = SLOTS) -> tuple[OnPremInstance, TimedAgent]:
        activation = boto3.client("ssm", region_name=REGION).create_activation(
            IamRole=self.outputs["instance_role"], RegistrationLimit=1
        )
        host = join(
            self.endpoint,
            REGION,
            self.outputs["cluster_name"],
            activation["ActivationId"],
            activation["ActivationCode"],
            cpu=slots * WORKER_CPU,
            memory_mib=slots * WORKER_MEMORY,
        )
        # The twin counts a host ConnectionLost after PING_TIMEOUT s without a heartbeat (tests/conftest.py).
        agent = TimedAgent(
            host, self.endpoint, REGION, self.log_dir, heartbeat_seconds=1, runtime=ProcessRuntime()
        ).start()
        self.agents.append(agent)
        return host, agent

    def leave(self) -> None:
        """Stop the agents and deregister their instances: the next test starts with an empty cluster."""
        for agent in self.agents:
            agent.stop()
            self.ecs.deregister_container_instance(
                cluster=self.outputs["cluster_name"],
                containerInstance=agent.instance.container_instance_arn,
                force=True,
            )
        self.agents.clear()

    def drop(self, prefix: str, count: int) -> float:
        """Upload count small files at once; returns when the first went up (monotonic)."""
        body = sample_orders.text(ROWS)
        began = time.monotonic()
        for n in range(count):
            self.s3.put_object(Bucket=self.outputs["bucket"], Key=f"incoming/{prefix}/{n:03}.csv", Body=body)
        return began

    def jobs(self, prefix: str) -> list[dict[str, Any]]:
        items, query = [], {"ConsistentRead": True}
        while True:  # a test table of a few hundred jobs: a scan reads what the test dropped
            page = self.table.scan(**query)
            items += [i for i in page["Items"] if str(i.get(job_fields.KEY, "")).startswith(f"incoming/{prefix}/")]
            if "LastEvaluatedKey" not in page:
                return items
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def wait_done(self, prefix: str, count: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.jobs(prefix)
            if len(found) == count and all(j[job_fields.STATUS] in job_fields.FINAL_STATUSES for j in found):
                return time.monotonic()
            time.sleep(0.25)
        statuses = Counter(j[job_fields.STATUS] for j in self.jobs(prefix))
        raise AssertionError(f"{prefix}: not drained in {timeout:.0f} s: {dict(statuses)}")

    def tasks_per_job(self, prefix: str) -> Counter[str]:
        ecs, cluster = self.ecs, self.outputs["cluster_name"]
        arns = [a for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster) for a in page["taskArns"]]
        arns += [
            a
            for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="STOPPED")
            for a in page["taskArns"]
        ]
        counted: Counter[str] = Counter()
        for start in range(0, len(set(arns)), 100):
            for task in ecs.describe_tasks(cluster=cluster, tasks=sorted(set(arns))[start : start + 100])["tasks"]:
                env = {e["name"]: e["value"] for e in task["overrides"]["containerOverrides"][0]["environment"]}
                if env["S3_KEY"].startswith(f"incoming/{prefix}/"):
                    counted[env["JOB_ID"]] += 1
        return counted

    def dead_letters(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.outputs["dlq_url"], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def task_seconds(self) -> list[float]:
        return [s for agent in self.agents for s in agent.task_seconds]


@pytest.fixture(scope="module")
def burst(twin_endpoint: str, twin_access_key: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Burst]:
    """The stack applied once to a fresh twin for the module's tests."""
    reset_twin(twin_endpoint, twin_access_key)
    home = tmp_path_factory.mktemp("burst")
    with pytest.MonkeyPatch.context() as patch:
        # A task whose events are lost ends when the watchdog next looks it up (not after 10 minutes)
        use_own_stack(patch, twin_endpoint, twin_access_key, home, reconcile_after_seconds="3")
        applied = CliRunner().invoke(cli, ["apply", "--auto-approve"])
        assert applied.exit_code == 0, applied.output
        outputs = Runner(targets.for_target("twin"), quiet=True).outputs()
        fleet = Burst(twin_endpoint, outputs, home / "logs")
        yield fleet
        fleet.leave()
        targets.reset_twin_state()


def _check_drained(burst: Burst, prefix: str, count: int) -> Counter[str]:
    found = burst.jobs(prefix)
    statuses = Counter(j[job_fields.STATUS] for j in found)
    per_job = burst.tasks_per_job(prefix)
    assert statuses == {job_fields.SUCCEEDED: count}, statuses
    assert len(per_job) == count and set(per_job.values()) == {1}, per_job.most_common(3)  # one task per file
    assert burst.dead_letters() == 0
    assert all(job_fields.WAITING_SINCE not in j for j in found)  # nobody left in line
    return statuses


def test_120_files_on_one_instance_drain_at_its_pace(burst: Burst) -> None:
    count = 120
    burst.join()
    began = burst.drop("one", count)
    drained = burst.wait_done("one", count, timeout=600) - began
    _check_drained(burst, "one", count)
    median = statistics.median(burst.task_seconds())
    ideal = count / SLOTS * median
    say(
        f"burst {count} files on 1 instance x {SLOTS} slots: drained in {drained:.1f} s; median task "
        f"{median:.2f} s, fleet ideal {ideal:.1f} s ({count / drained:.1f} files/s vs {count / ideal:.1f}); "
        f"tasks={count}, DLQ=0"
    )
    assert drained <= 1.5 * ideal + 15
    burst.leave()


def test_a_late_instance_takes_work_within_seconds_of_joining(burst: Burst) -> None:
    count = 24
    burst.join(slots=4)
    began = burst.drop("late", count)
    while sum(1 for j in burst.jobs("late") if j[job_fields.STATUS] == job_fields.SUCCEEDED) < 4:
        assert time.monotonic() - began < 180, "the first instance ran nothing"
        time.sleep(0.2)
    waiting = sum(1 for j in burst.jobs("late") if j[job_fields.STATUS] == job_fields.WAITING_FOR_CAPACITY)
    _, late = burst.join(slots=4)
    joined = time.monotonic()
    while not late.task_seconds and not late._running:  # its first task, started by the backlog
        assert time.monotonic() - joined < 10, "the late instance took no work"
        time.sleep(0.05)
    took = time.monotonic() - joined
    burst.wait_done("late", count, timeout=600)
    _check_drained(burst, "late", count)
    on_late = sum(1 for _ in late.task_seconds)
    say(
        f"late instance joined with {waiting} jobs waiting: first task after {took:.2f} s, "
        f"ran {on_late}/{count}; tasks={count}, DLQ=0"
    )
    assert waiting > 0 and took < 5 and on_late >= count // 5
    burst.leave()


def test_lost_task_stopped_events_are_recovered_by_the_sweep_nothing_started_twice(burst: Burst) -> None:
    count = 16
    events = boto3.client("events", region_name=REGION)
    rule = f"{burst.outputs['dispatcher_functions']['task-state'].rsplit('-task-state', 1)[0]}-task-stopped"
    _, agent = burst.join(slots=4)
    began = burst.drop("lost", count)
    while len(agent.task_seconds) < 4:
        assert time.monotonic() - began < 180, "nothing ran"
        time.sleep(0.1)
    events.disable_rule(Name=rule)  # from now on every task-stopped event is lost
    try:
        stalled = _until_idle(burst, agent, "lost")
        assert 0 < stalled < count, "the backlog should stall without its events"
        lam = boto3.client("lambda", region_name=REGION)
        sweeps = 0
        while sum(1 for j in burst.jobs("lost") if j[job_fields.STATUS] in job_fields.FINAL_STATUSES) < count:
            lam.invoke(FunctionName=burst.outputs["dispatcher_functions"]["watchdog"])  # the schedule's run
            sweeps += 1
            _until_idle(burst, agent, "lost")
            assert sweeps <= count, "the sweep started nothing"
    finally:
        events.enable_rule(Name=rule)
    _check_drained(burst, "lost", count)
    say(
        f"task-stopped events lost after 4 of {count}: stalled with {stalled} not done; "
        f"{sweeps} watchdog sweep(s) drained it; tasks={count}, each job one task, DLQ=0"
    )
    burst.leave()


def _until_idle(burst: Burst, agent: TimedAgent, prefix: str) -> int:
    """Wait until the agent runs nothing for a second; the jobs not yet done."""
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 1.0:
        if agent._running:
            quiet_since = time.monotonic()
        time.sleep(0.1)
    return sum(1 for j in burst.jobs(prefix) if j[job_fields.STATUS] not in job_fields.FINAL_STATUSES)


def test_a_host_registering_or_reconnecting_starts_the_waiting_jobs(burst: Burst) -> None:
    """No task stops here and no new event comes: only ECS's container instance state change can
    start the job (the agent is left out, so its tasks are placed and never run)."""
    cluster = burst.outputs["cluster_name"]

    def placed(prefix: str, within: float = 10) -> float:
        began = time.monotonic()
        while not burst.tasks_per_job(prefix):
            assert time.monotonic() - began < within, f"{prefix}: nothing started {within:.0f} s after the event"
            time.sleep(0.1)
        return time.monotonic() - began

    def waiting(prefix: str) -> str:
        began = time.monotonic()
        while not any(j[job_fields.STATUS] == job_fields.WAITING_FOR_CAPACITY for j in burst.jobs(prefix)):
            assert time.monotonic() - began < 60, f"{prefix}: never waited"
            time.sleep(0.1)
        return str(burst.jobs(prefix)[0][job_fields.REASON])

    burst.drop("first-host", 1)
    none_reason = waiting("first-host")
    activation = boto3.client("ssm", region_name=REGION).create_activation(
        IamRole=burst.outputs["instance_role"], RegistrationLimit=1
    )
    host = join(burst.endpoint, REGION, cluster, activation["ActivationId"], activation["ActivationCode"])
    registered = placed("first-host")
    time.sleep(PING_TIMEOUT + 0.5)  # no heartbeat: the twin counts the host ConnectionLost after PING_TIMEOUT s
    burst.drop("host-back", 1)
    lost_reason = waiting("host-back")
    heartbeat(burst.endpoint, REGION, host.managed_instance_id)
    reconnected = placed("host-back")
    burst.ecs.deregister_container_instance(cluster=cluster, containerInstance=host.container_instance_arn, force=True)
    say(
        f"host registered: waiting job placed {registered:.2f} s later; host back after ConnectionLost: "
        f"{reconnected:.2f} s later (reasons: {none_reason!r}, {lost_reason!r})"
    )
    assert "No Container Instances" in none_reason and "AGENT" in lost_reason
