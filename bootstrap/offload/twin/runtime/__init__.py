"""How the twin agent runs a task's containers: `process` (the worker as a host process,
for machines with no container engine) or `docker` (the Docker Engine API, as the ECS
agent does). The agent picks neither by itself: its caller chooses.

Both report a container's end as ECS does (`Exited`): the exit code, 128+n for a signal,
and the container's reason; a container that cannot start raises `StartFailed` with the
agent's error name (dockerclient/dockerapi/errors.go), which ECS shows as `Name: message`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from offload.twin.runtime.spec import ContainerSpec


@dataclass(frozen=True)
class Exited:
    exit_code: int | None
    reason: str = ""


def signal_exit_code(returncode: int) -> int:
    """A process killed by signal n reports -n to Python; ECS (and Docker) report 128+n."""
    return 128 - returncode if returncode < 0 else returncode


@dataclass(frozen=True)
class Leftover:
    task_arn: str
    container: str
    runtime_id: str


class StartFailed(Exception):
    """The container never ran; `reason` is what ECS reports on the container and the task."""

    def __init__(self, error_name: str, message: str) -> None:
        super().__init__(f"{error_name}: {message}")
        self.reason = f"{error_name}: {message}"


class Container(Protocol):
    spec: ContainerSpec

    @property
    def runtime_id(self) -> str: ...

    def wait(self) -> Exited:
        """Block until the container ends; its output is in the task's log by then."""
        ...

    def stop(self, timeout_s: float) -> None:
        """SIGTERM, then SIGKILL after `timeout_s` (docker stop)."""
        ...


class Runtime(Protocol):
    def describe(self) -> str:
        """One line for the demo: `docker 20.10` or `process`."""
        ...

    def start(self, spec: ContainerSpec, log: Path) -> Container:
        """Create and start the container; raises StartFailed."""
        ...

    def leftovers(self, instance_arn: str) -> list[Leftover]:
        """Containers an earlier agent of this instance started (found by label)."""
        ...

    def adopt(self, leftover: Leftover, spec: ContainerSpec, log: Path) -> Container:
        """Follow a leftover as if this agent had started it."""
        ...

    def remove(self, runtime_id: str, timeout_s: float) -> None:
        """Stop (SIGTERM, SIGKILL after `timeout_s`) and remove one container."""
        ...

    def remove_all(self, instance_arn: str, timeout_s: float) -> None:
        """Stop and remove every container this instance's agents started."""
        ...
