"""Docker mode: the task's containers through the Docker Engine API (docker-py), built
as the ECS agent builds them (agent/engine/docker_task_engine.go `createContainer`,
`stopContainer`; agent/dockerclient/dockerapi/docker_client.go for the stopped metadata).

No registry is reachable from the twin, so "pull" means: the image is in the engine under
exactly the task definition's name. Anything else fails the task as ECS would, with
`CannotPullContainerError` (never a fallback to process mode).
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests
from docker.models.containers import Container as DockerContainer

from offload.twin.runtime import Container, Exited, Leftover, StartFailed, signal_exit_code
from offload.twin.runtime.spec import INSTANCE_LABEL, LABEL_PREFIX, ContainerSpec

# dockerapi/errors.go OutOfMemoryError: set whenever State.OOMKilled, whatever the exit code
OUT_OF_MEMORY = "OutOfMemoryError: Container killed due to memory usage"


class EngineUnavailable(RuntimeError):
    """No Docker engine answers here."""


def _explain(error: docker.errors.APIError) -> str:
    return str(error.explanation or error)


def exited(state: dict[str, Any]) -> Exited:
    """The stopped report from `State`: Docker's exit code (128+n for a signal) and the reason."""
    code = signal_exit_code(int(state.get("ExitCode", 0)))
    if state.get("OOMKilled"):
        return Exited(code, OUT_OF_MEMORY)
    if state.get("Error"):
        return Exited(code, f"DockerStateError: {state['Error']}")
    return Exited(code)


class EngineContainer:
    def __init__(self, spec: ContainerSpec, container: DockerContainer, log: Path) -> None:
        self.spec, self._container, self._log = spec, container, log

    @property
    def runtime_id(self) -> str:
        return str(self._container.id)

    def wait(self) -> Exited:
        # The ECS agent ships logs with the awslogs driver; the twin copies them to the task's log.
        with self._log.open("ab") as out:
            try:
                for chunk in self._container.logs(stream=True, follow=True):
                    out.write(chunk)
                    out.flush()
            except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
                out.write(f"twin agent: log stream broke ({error}); waiting for the container\n".encode())
        self._container.wait()
        self._container.reload()
        return exited(self._container.attrs["State"])

    def stop(self, timeout_s: float) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self._container.stop(timeout=int(timeout_s))


class DockerRuntime:
    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client

    @classmethod
    def from_env(cls) -> DockerRuntime:
        try:
            client = docker.DockerClient.from_env()
            client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
            raise EngineUnavailable(f"no Docker engine answers: {error}") from None
        return cls(client)

    def describe(self) -> str:
        version = str(self.client.version().get("Version", "?"))
        return "docker " + ".".join(version.split(".")[:2])

    def _image(self, spec: ContainerSpec) -> None:
        try:
            self.client.images.get(spec.image)
        except docker.errors.ImageNotFound:
            message = (
                f"pull image {spec.image}: not in the engine, and the twin pulls from no registry: "
                f"docker tag the worker image as {spec.image}"
            )
            raise StartFailed("CannotPullContainerError", message) from None
        except docker.errors.APIError as error:
            raise StartFailed("CannotPullContainerError", _explain(error)) from None

    def start(self, spec: ContainerSpec, log: Path) -> Container:
        self._image(spec)
        try:
            container = self.client.containers.create(
                spec.image,
                name=spec.docker_name,
                environment=spec.environment,
                labels=spec.labels,
                mem_limit=spec.memory_bytes or None,
                mem_reservation=spec.memory_reservation_bytes or None,
                cpu_shares=spec.cpu_shares,
                network_mode=spec.network_mode,
                entrypoint=spec.entry_point,
                command=spec.command,
                detach=True,
            )
        except docker.errors.APIError as error:
            raise StartFailed("CannotCreateContainerError", _explain(error)) from None
        try:
            container.start()
        except docker.errors.APIError as error:
            container.remove(force=True)
            raise StartFailed("CannotStartContainerError", _explain(error)) from None
        return EngineContainer(spec, container, log)

    def _labelled(self, instance_arn: str) -> list[DockerContainer]:
        # ignore_removed: a container removed between docker-py's list and its inspect of each is gone, not a 404.
        found: list[DockerContainer] = self.client.containers.list(
            all=True, filters={"label": f"{INSTANCE_LABEL}={instance_arn}"}, ignore_removed=True
        )
        return found

    def leftovers(self, instance_arn: str) -> list[Leftover]:
        return [
            Leftover(
                c.labels[LABEL_PREFIX + "task-arn"],
                c.labels[LABEL_PREFIX + "container-name"],
                str(c.id),
                dict(line.split("=", 1) for line in c.attrs["Config"]["Env"] or []),
            )
            for c in self._labelled(instance_arn)
        ]

    def adopt(self, leftover: Leftover, spec: ContainerSpec, log: Path) -> Container:
        return EngineContainer(spec, self.client.containers.get(leftover.runtime_id), log)

    def remove(self, runtime_id: str, timeout_s: float) -> None:
        try:
            container = self.client.containers.get(runtime_id)
            container.stop(timeout=int(timeout_s))
            container.remove(force=True)
        except docker.errors.NotFound:
            pass  # already gone

    def remove_all(self, instance_arn: str, timeout_s: float) -> None:
        """In parallel: each may take its stop timeout."""
        stops = [
            threading.Thread(target=self.remove, args=(str(c.id), timeout_s), daemon=True)
            for c in self._labelled(instance_arn)
        ]
        for thread in stops:
            thread.start()
        for thread in stops:
            thread.join()
