"""The twin agent's loop against a fake ECS and a fake runtime (no engine, no server): what it
reports, what it stops and with which timeout, and that its stop removes by label."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from offload.twin import onprem
from offload.twin.agent import LocalAgent
from offload.twin.runtime import Exited, Leftover, StartFailed
from offload.twin.runtime.spec import ContainerSpec

INSTANCE = onprem.OnPremInstance("mi-1", "arn:aws:ecs:us-east-1:1:container-instance/offload/ci-1", "offload")
TASK = "arn:aws:ecs:us-east-1:1:task/offload/t1"
DEFINITION = {
    "family": "f",
    "revision": 1,
    "networkMode": "host",
    "containerDefinitions": [
        {"name": "main", "image": "i", "essential": True, "stopTimeout": 9},
        {"name": "side", "image": "i", "essential": False, "stopTimeout": 4},
    ],
}


class FakeEcs:
    def __init__(self) -> None:
        self.desired = {TASK: "RUNNING"}
        self.reports: list[dict[str, Any]] = []

    def list_tasks(self, **_: Any) -> dict[str, Any]:
        return {"taskArns": [t for t, s in self.desired.items() if s == "RUNNING"]}

    def describe_tasks(self, tasks: list[str], **_: Any) -> dict[str, Any]:
        found = [t for t in tasks if t in self.desired]
        return {
            "tasks": [
                {
                    "taskArn": t,
                    "taskDefinitionArn": "f:1",
                    "containerInstanceArn": INSTANCE.container_instance_arn,
                    "desiredStatus": self.desired[t],
                    "overrides": {},
                }
                for t in found
            ]
        }

    def describe_task_definition(self, **_: Any) -> dict[str, Any]:
        return {"taskDefinition": DEFINITION}

    def submit_task_state_change(self, **report: Any) -> None:
        self.reports.append(report)

    def report(self, status: str) -> dict[str, Any] | None:
        return next((r for r in self.reports if r["status"] == status), None)


class FakeContainer:
    def __init__(self, spec: ContainerSpec) -> None:
        self.spec, self.ended, self.stopped_with = spec, threading.Event(), None
        self.code = 0

    @property
    def runtime_id(self) -> str:
        return self.spec.name

    def wait(self) -> Exited:
        self.ended.wait()
        return Exited(self.code)

    def stop(self, timeout_s: float) -> None:
        self.stopped_with, self.code = timeout_s, 143
        self.ended.set()


class FakeRuntime:
    def __init__(self, fail: str | None = None, leftovers: list[Leftover] | None = None) -> None:
        self.fail, self._leftovers = fail, leftovers or []
        self.started: dict[str, FakeContainer] = {}
        self.removed: list[str] = []
        self.removed_all = False

    def describe(self) -> str:
        return "fake"

    def start(self, spec: ContainerSpec, log: Path) -> FakeContainer:
        if spec.name == self.fail:
            raise StartFailed("CannotPullContainerError", f"pull image {spec.image}: not there")
        self.started[spec.name] = FakeContainer(spec)
        return self.started[spec.name]

    def leftovers(self, instance_arn: str) -> list[Leftover]:
        return self._leftovers

    def adopt(self, leftover: Leftover, spec: ContainerSpec, log: Path) -> FakeContainer:
        return self.start(spec, log)

    def remove(self, runtime_id: str, timeout_s: float) -> None:
        self.removed.append(runtime_id)

    def remove_all(self, instance_arn: str, timeout_s: float) -> None:
        self.removed_all = True


def _until(check: Any, what: str) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.01)
    raise AssertionError(what)


@pytest.fixture
def ecs(monkeypatch: pytest.MonkeyPatch) -> FakeEcs:
    monkeypatch.setattr(onprem, "heartbeat", lambda *_: None)
    return FakeEcs()


@contextmanager
def _agent(ecs: FakeEcs, runtime: FakeRuntime, tmp_path: Path) -> Iterator[LocalAgent]:
    agent = LocalAgent(INSTANCE, "http://127.0.0.1:9", "us-east-1", tmp_path, runtime=runtime)
    agent.ecs = ecs
    try:
        yield agent.start()
    finally:
        agent.stop()


def test_an_essential_containers_end_stops_the_others_with_their_stop_timeout(ecs: FakeEcs, tmp_path: Path) -> None:
    runtime = FakeRuntime()
    with _agent(ecs, runtime, tmp_path):
        running = _until(lambda: ecs.report("RUNNING"), "RUNNING")
        assert [c["containerName"] for c in running["containers"]] == ["main", "side"]
        runtime.started["main"].code = 2
        runtime.started["main"].ended.set()
        stopped = _until(lambda: ecs.report("STOPPED"), "STOPPED")
        assert stopped["reason"] == "Essential container in task exited"
        assert [(c["containerName"], c["exitCode"]) for c in stopped["containers"]] == [("main", 2), ("side", 143)]
        assert runtime.started["side"].stopped_with == 4
    assert runtime.removed_all


def test_desired_stopped_is_a_stop_with_each_containers_timeout_and_no_task_reason(
    ecs: FakeEcs, tmp_path: Path
) -> None:
    runtime = FakeRuntime()
    with _agent(ecs, runtime, tmp_path):
        _until(lambda: ecs.report("RUNNING"), "RUNNING")
        ecs.desired[TASK] = "STOPPED"  # StopTask
        stopped = _until(lambda: ecs.report("STOPPED"), "STOPPED")
        assert stopped["reason"] == ""  # ECS keeps the StopTask's own reason
        assert (runtime.started["main"].stopped_with, runtime.started["side"].stopped_with) == (9, 4)


def test_a_container_that_cannot_start_stops_the_task_without_running(ecs: FakeEcs, tmp_path: Path) -> None:
    runtime = FakeRuntime(fail="side")
    with _agent(ecs, runtime, tmp_path):
        stopped = _until(lambda: ecs.report("STOPPED"), "STOPPED")
        assert ecs.report("RUNNING") is None
        main, side = stopped["containers"]
        assert main == {"containerName": "main", "status": "STOPPED", "exitCode": 143}  # started, then stopped
        assert side == {
            "containerName": "side",
            "status": "STOPPED",
            "reason": "CannotPullContainerError: pull image i: not there",
        }
        assert stopped["reason"] == side["reason"]


def test_a_restarted_agent_adopts_the_tasks_ecs_wants_and_removes_the_others(ecs: FakeEcs, tmp_path: Path) -> None:
    gone = "arn:aws:ecs:us-east-1:1:task/offload/gone"
    leftovers = [Leftover(TASK, "main", "c-main"), Leftover(TASK, "side", "c-side"), Leftover(gone, "main", "c-gone")]
    runtime = FakeRuntime(leftovers=leftovers)
    with _agent(ecs, runtime, tmp_path):
        _until(lambda: runtime.removed, "the unwanted leftover removed")
        assert runtime.removed == ["c-gone"] and set(runtime.started) == {"main", "side"}
        time.sleep(0.3)  # a poll or more: the adopted task is not started again
        assert ecs.report("RUNNING") is None and len(runtime.started) == 2
        runtime.started["main"].ended.set()
        assert _until(lambda: ecs.report("STOPPED"), "STOPPED")["containers"][0]["exitCode"] == 0


def test_a_task_that_cannot_be_prepared_is_still_reported_stopped(ecs: FakeEcs, tmp_path: Path) -> None:
    def no_definition(**_: Any) -> dict[str, Any]:
        raise RuntimeError("task definition f:1 is gone")

    ecs.describe_task_definition = no_definition  # type: ignore[method-assign]
    with _agent(ecs, FakeRuntime(), tmp_path):
        stopped = _until(lambda: ecs.report("STOPPED"), "STOPPED")
        assert stopped["reason"] == "RuntimeError: task definition f:1 is gone" and stopped["containers"] == []
        assert ecs.report("RUNNING") is None
