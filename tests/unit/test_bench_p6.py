"""P6's parts: the fleet's slots, the burst figure against the ideal, the task clock on the twin's ECS shims,
and the README table rows."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from offload.bench import p6
from offload.bench.run import table
from offload.twin.ecs import tasks


def test_slots_are_what_the_scarcer_resource_allows() -> None:
    worker = [{"name": "worker", "cpu": 512, "memory": 512}]
    assert p6.slots({"CPU": 2048, "MEMORY": 4096}, worker) == 4  # the twin's default instance: CPU-bound
    assert p6.slots({"CPU": 8192, "MEMORY": 1500}, worker) == 2  # memory-bound, rounded down
    assert p6.slots({"CPU": 1024, "MEMORY": 4096}, [{"name": "worker", "memory": 1024}]) == 4  # no CPU asked


def test_burst_figure_is_files_per_second_against_slots_over_the_median_task_time() -> None:
    figures = p6.burst_figures(files=60, fleet_slots=4, drain_s=40.0, task_s=[1.0, 2.0, 2.0, 9.0], placed=60)
    assert figures["p6_task_median_s"] == 2.0 and figures["p6_ideal_files_per_s"] == 2.0
    assert figures["p6_files_per_s"] == 1.5 and figures["p6_ratio"] == 0.75
    assert figures["p6_bound_s"] == 1.5 * 60 / 2.0 + 15 and figures["p6_tasks_per_file"] == 1.0


class _Response:
    def __init__(self, **params: Any) -> None:
        self.params = params

    def _get_param(self, name: str) -> Any:
        return self.params.get(name)


def test_task_clock_times_each_task_from_run_task_to_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(p6.time, "monotonic", lambda: now[0])
    placed = {"a": [SimpleNamespace(task_arn="task/a")], "b": [SimpleNamespace(task_arn="task/b")]}
    monkeypatch.setattr(tasks, "run_task", lambda r: SimpleNamespace(result={"tasks": placed[r.params["token"]]}))
    monkeypatch.setattr(tasks, "submit_task_state_change", lambda r: '{"acknowledgment": "accepted"}')
    clock = p6.TaskClock()
    clock.install()
    tasks.run_task(_Response(token="a"))  # type: ignore[arg-type]
    now[0] = 101.0
    tasks.run_task(_Response(token="b"))  # type: ignore[arg-type]
    tasks.run_task(_Response(token="a"))  # type: ignore[arg-type]  # a repeated clientToken: the same task
    now[0] = 102.5
    tasks.submit_task_state_change(_Response(status="RUNNING", task="task/b"))  # type: ignore[arg-type]
    tasks.submit_task_state_change(_Response(status="STOPPED", task="task/a"))  # type: ignore[arg-type]
    now[0] = 104.0
    tasks.submit_task_state_change(_Response(status="STOPPED", task="task/b"))  # type: ignore[arg-type]
    assert clock.since(100.0) == (2, [2.5, 3.0])
    assert clock.since(100.5) == (1, [3.0])  # tasks placed before the burst are not its own


def test_readme_table_has_the_p6_rows() -> None:
    r: defaultdict[str, float] = defaultdict(lambda: 1.0)
    assert "P6 burst drained                     not measured" in table(r)
    r.update(p6.burst_figures(files=60, fleet_slots=4, drain_s=40.0, task_s=[2.0], placed=60))
    r["p6_dead_letters"] = 0
    shown = table(r)
    assert "P6 burst of 60 files" in shown
    assert "1.50 files/s  = 0.75 x ideal 2.00 (4 slots / median task 2.00 s)" in shown
    assert "P6 drain time" in shown
    assert "bound 1.5 x files/ideal + 15 s = 60 s; 1.00 tasks per file, 0 in the DLQ" in shown
