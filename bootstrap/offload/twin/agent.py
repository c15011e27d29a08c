"""The twin's stand-in for the ECS agent on an on-prem machine.

It does what the real agent does for our tasks: finds the tasks ECS placed on
its container instance, runs each task's container with the task definition's
environment plus the task's overrides, and reports the task STOPPED with the
container's exit code (SubmitTaskStateChange). It heartbeats as the SSM agent.
The container runs as a local `python -m offload_worker` process, or with
`docker run` of the task's image when a Docker engine has that image.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import boto3

from offload.twin import onprem
from offload.twin.credentials import sdk_environment

HEARTBEAT_SECONDS = 30
_POLL_SECONDS = 0.2


def container_environment(definition: dict[str, Any], task: dict[str, Any], container: str) -> dict[str, str]:
    """The container's environment: the task definition's, then the task's overrides on top."""
    spec = next(c for c in definition["containerDefinitions"] if c["name"] == container)
    env = {e["name"]: e["value"] for e in spec.get("environment", [])}
    for override in task.get("overrides", {}).get("containerOverrides", []):
        if override.get("name") == container:
            env.update({e["name"]: e["value"] for e in override.get("environment", [])})
    return env


def docker_has_image(image: str) -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    found = subprocess.run([docker, "image", "inspect", image], capture_output=True, check=False)
    return found.returncode == 0


def worker_command(image: str, env: dict[str, str], use_docker: bool) -> list[str]:
    """Values travel in the environment, never on the command line (ps shows that to everyone)."""
    if use_docker:
        return ["docker", "run", "--rm", "--network", "host", *[a for k in env for a in ("--env", k)], image]
    return [sys.executable, "-m", "offload_worker"]


class LocalAgent:
    def __init__(
        self,
        instance: onprem.OnPremInstance,
        endpoint: str,
        region: str,
        log_dir: Path,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.instance = instance
        self._heartbeat_seconds = heartbeat_seconds
        self.endpoint, self.region = endpoint, region
        self.log_dir = log_dir
        self._ecs = boto3.client("ecs", endpoint_url=endpoint, region_name=region)
        self._stop = threading.Event()
        self._seen: set[str] = set()
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _run(self, task: dict[str, Any]) -> None:
        definition = self._ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
        container = task["containers"][0]["name"]
        image = next(c["image"] for c in definition["containerDefinitions"] if c["name"] == container)
        env = container_environment(definition, task, container)
        env.update(sdk_environment(self.endpoint, self.region))
        command = worker_command(image, env, docker_has_image(image))
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"task-{task_id}.log").open("ab") as log, self._lock:
            if self._stop.is_set():
                return
            process = subprocess.Popen(command, env={"PATH": os.environ.get("PATH", ""), **env}, stdout=log, stderr=log)
            self._processes[task["taskArn"]] = process
        self._report(task, container, "RUNNING")
        code = process.wait()
        with self._lock:
            self._processes.pop(task["taskArn"], None)
        if not self._stop.is_set():  # a stopping agent leaves the task to ECS, as a lost host would
            self._report(task, container, "STOPPED", code)

    def _report(self, task: dict[str, Any], container: str, status: str, code: int | None = None) -> None:
        report: dict[str, Any] = {"containerName": container, "status": status}
        if code is not None:
            report["exitCode"] = code
        self._ecs.submit_task_state_change(
            cluster=self.instance.cluster,
            task=task["taskArn"],
            status=status,
            reason="Essential container in task exited" if status == "STOPPED" else "",
            containers=[report],
        )

    def _poll(self) -> None:
        beats = 0.0
        while not self._stop.wait(_POLL_SECONDS):
            beats += _POLL_SECONDS
            if beats >= self._heartbeat_seconds:
                beats = 0.0
                onprem.heartbeat(self.endpoint, self.region, self.instance.managed_instance_id)
            arns = self._ecs.list_tasks(
                cluster=self.instance.cluster,
                containerInstance=self.instance.container_instance_arn,
                desiredStatus="RUNNING",
            )["taskArns"]
            new = [a for a in arns if a not in self._seen]
            if not new:
                continue
            self._seen.update(new)
            for task in self._ecs.describe_tasks(cluster=self.instance.cluster, tasks=new)["tasks"]:
                thread = threading.Thread(target=self._run, args=(task,), daemon=True)
                thread.start()
                self._threads.append(thread)

    def start(self) -> LocalAgent:
        thread = threading.Thread(target=self._poll, daemon=True, name="local-agent")
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop polling and end running containers (SIGTERM, then SIGKILL), leaving no process behind."""
        self._stop.set()
        with self._lock:
            running = list(self._processes.values())
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in self._threads:
            thread.join(timeout=5)
