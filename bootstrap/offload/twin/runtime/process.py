"""Process mode: the worker runs as `python -m offload_worker` on the host, for machines
with no container engine. No image, no limits, no network namespace: the task
definition's environment and the agent's additions are all it gets (docs/twin.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from offload.twin.runtime import Container, Exited, Leftover, StartFailed, signal_exit_code
from offload.twin.runtime.spec import ContainerSpec

WORKER = [sys.executable, "-m", "offload_worker"]


def command(spec: ContainerSpec) -> list[str]:
    """The entry point (the image's is the worker) and the command; values never on it (ps shows it)."""
    return [*(spec.entry_point or WORKER), *(spec.command or [])]


class ProcessContainer:
    def __init__(self, spec: ContainerSpec, process: subprocess.Popen[bytes]) -> None:
        self.spec, self._process = spec, process

    @property
    def runtime_id(self) -> str:
        return str(self._process.pid)

    def wait(self) -> Exited:
        return Exited(signal_exit_code(self._process.wait()))

    def stop(self, timeout_s: float) -> None:
        if self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class ProcessRuntime:
    def describe(self) -> str:
        return "process"

    def start(self, spec: ContainerSpec, log: Path) -> Container:
        env = {"PATH": os.environ.get("PATH", ""), **spec.environment}
        with log.open("ab") as out:
            try:
                process = subprocess.Popen(command(spec), env=env, stdout=out, stderr=out)
            except OSError as error:
                raise StartFailed("CannotStartContainerError", str(error)) from None
        return ProcessContainer(spec, process)

    def leftovers(self, instance_arn: str) -> list[Leftover]:
        return []  # the agent stops the worker processes it started: none outlives it

    def adopt(self, leftover: Leftover, spec: ContainerSpec, log: Path) -> Container:
        raise NotImplementedError("process mode leaves no containers to adopt")

    def remove(self, runtime_id: str, timeout_s: float) -> None:
        pass

    def remove_all(self, instance_arn: str, timeout_s: float) -> None:
        pass
