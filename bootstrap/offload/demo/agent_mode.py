"""Which runtime the demo's agent uses: Docker when an engine answers and the worker image
builds offline here, else process mode (a fresh machine without root or an engine).

In docker mode the built image is tagged with the name the applied task definition gives
(the twin has no registry to pull it from) and the tag is removed at the end.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import docker.errors

from offload.lib.build import base_image as bases
from offload.lib.build import worker_image as workers
from offload.twin.runtime import Runtime
from offload.twin.runtime.docker import DockerRuntime, EngineUnavailable
from offload.twin.runtime.process import ProcessRuntime


@dataclass
class AgentMode:
    runtime: Runtime
    line: str
    image: str | None = None
    _tagged: list[str] = field(default_factory=list)

    def serve(self, task_image: str) -> None:
        """Make the image built now answer to the task definition's name (the twin's ECR URI): a
        tag left there by an earlier, killed demo is moved, never run in its place."""
        if not isinstance(self.runtime, DockerRuntime) or self.image is None:
            return
        self.runtime.client.images.get(self.image).tag(task_image)
        self._tagged.append(task_image)

    def release(self) -> None:
        if isinstance(self.runtime, DockerRuntime):
            for name in self._tagged:
                with contextlib.suppress(docker.errors.NotFound):
                    self.runtime.client.images.remove(name, noprune=True)  # the tag only
        self._tagged.clear()


def choose() -> AgentMode:
    try:
        runtime = DockerRuntime.from_env()
    except EngineUnavailable:
        return AgentMode(ProcessRuntime(), "agent: process, no container engine")
    try:
        image = workers.build_worker_image(runtime.client, bases.ensure_base_image(runtime.client))
    except (bases.BaseImageError, workers.ImageBuildError, docker.errors.DockerException) as error:
        return AgentMode(ProcessRuntime(), f"agent: process, the worker image does not build here ({error})")
    return AgentMode(runtime, f"agent: {runtime.describe()}, image {image}", image)


def choose_in_background() -> Callable[[], AgentMode]:
    """`choose` on a daemon thread (Ctrl-C never waits for an image build); call the result to join it."""
    found: list[AgentMode] = []
    failed: list[Exception] = []

    def work() -> None:
        try:
            found.append(choose())
        except Exception as error:  # noqa: BLE001 - raised again in the caller's thread
            failed.append(error)

    thread = threading.Thread(target=work, daemon=True, name="agent-mode")
    thread.start()

    def result() -> AgentMode:
        thread.join()
        if failed:
            raise failed[0]
        return found[0]

    return result
