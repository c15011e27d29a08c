"""The twin's stand-in for the ECS agent on an on-prem machine: polling, reporting, lifecycle.

As the real agent does for our tasks: it finds the tasks ECS placed on its container
instance, starts every container of each (twin/runtime/spec.py builds them from the task
definition; twin/runtime/ runs them as processes or through Docker, as its caller chose),
serves the task role's credentials (twin/task_credentials.py), stops the task's other
containers when an essential one exits, `docker stop`s a task whose desired status became
STOPPED, and reports RUNNING and STOPPED with each container's exit code and reason
(SubmitTaskStateChange). It heartbeats as the SSM agent. Its log is `agent.log`.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3

from offload.twin import onprem
from offload.twin.runtime import Container, Exited, Leftover, Runtime, StartFailed, stopped_report
from offload.twin.runtime.spec import ContainerSpec, credentials_in, task_containers
from offload.twin.task_credentials import CredentialsEndpoint, sts_assume

HEARTBEAT_SECONDS = 30
# How long a stopping agent gives each container (SIGTERM, then SIGKILL).
AGENT_STOP_TIMEOUT_S = 5.0
ESSENTIAL_EXITED = "Essential container in task exited"
_POLL_SECONDS = 0.2


class LocalAgent:
    def __init__(
        self,
        instance: onprem.OnPremInstance,
        endpoint: str,
        region: str,
        log_dir: Path,
        *,
        runtime: Runtime,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.instance = instance
        self._heartbeat_seconds = heartbeat_seconds
        self.endpoint, self.region = endpoint, region
        self.log_dir = log_dir
        self.runtime = runtime  # the caller chooses: docker, or a process where there is no engine
        self.ecs = boto3.client("ecs", endpoint_url=endpoint, region_name=region)
        self.credentials = CredentialsEndpoint(sts_assume(endpoint, region), self.log)
        self._stop = threading.Event()
        self._seen: set[str] = set()
        self._running: dict[str, list[Container]] = {}
        self._stopped_by_ecs: set[str] = set()
        self._deviations: set[str] = set()
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def log(self, line: str) -> None:
        with self._log_lock, (self.log_dir / "agent.log").open("a") as out:
            out.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    def _task_log(self, task_arn: str) -> Path:
        return self.log_dir / f"task-{task_arn.rsplit('/', 1)[-1]}.log"

    def _specs(self, task: dict[str, Any], adopted: Leftover | None = None) -> list[ContainerSpec]:
        definition = self.ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
        role = task.get("overrides", {}).get("taskRoleArn") or definition.get("taskRoleArn")
        # No task role: no endpoint, as the agent injects none (task.go initializeCredentialsEndpoint);
        # an adopted task keeps the id and token its containers were given.
        given = credentials_in(adopted.environment) if adopted else None
        issue = role and (adopted is None or given is not None)
        credentials = self.credentials.issue(task["taskArn"], role, given) if issue else None
        specs = task_containers(definition, task, self.instance.cluster, self.region, self.endpoint, credentials)
        for deviation in specs[0].deviations if specs else []:
            if deviation not in self._deviations:  # once per agent
                self._deviations.add(deviation)
                self.log(f"deviation: {deviation}")
        return specs

    def _run_reported(self, task: dict[str, Any]) -> None:
        """`_run`, and a task that cannot even be prepared (its definition, its role) still stops."""
        try:
            self._run(task)
        except Exception as error:  # noqa: BLE001 - reported to ECS and logged, the agent goes on
            reason = f"{type(error).__name__}: {error}"
            self.log(f"task {task['taskArn']}: {reason}")
            if not self._stop.is_set() and task["taskArn"] not in self._running:
                self._report(task["taskArn"], "STOPPED", [], reason)

    def _run(self, task: dict[str, Any]) -> None:
        arn = task["taskArn"]
        specs = self._specs(task)
        started: list[Container] = []
        try:
            for spec in specs:
                with self._lock:
                    if self._stop.is_set():
                        return
                    started.append(self.runtime.start(spec, self._task_log(arn)))
                    self._running[arn] = started
        except StartFailed as failure:
            # The task never ran: STOPPED, no exit code, the error on the container and the task.
            self.log(f"task {arn}: {failure.reason}")
            self._stop_task(arn, "a container failed to start")
            results = self._follow(started)
            results[specs[len(started)].name] = Exited(None, failure.reason)
            self._finish(task, specs, results, failure.reason)
            return
        self.log(f"task {arn}: started {', '.join(c.spec.docker_name for c in started)} ({self.runtime.describe()})")
        running = [{"containerName": c.spec.name, "status": "RUNNING", "runtimeId": c.runtime_id} for c in started]
        self._report(arn, "RUNNING", running)
        self._follow_to_the_end(task, specs, started)

    def _follow(self, started: list[Container]) -> dict[str, Exited]:
        """Wait for every container; an essential one's end stops the others (task_manager.go)."""
        ended: queue.Queue[tuple[Container, Exited]] = queue.Queue()
        for container in started:
            threading.Thread(target=lambda c=container: ended.put((c, c.wait())), daemon=True).start()
        results: dict[str, Exited] = {}
        while len(results) < len(started):
            container, result = ended.get()
            results[container.spec.name] = result
            if container.spec.essential and len(results) < len(started):
                self._stop_task(container.spec.task_arn, f"essential container {container.spec.name} exited")
        return results

    def _finish(
        self, task: dict[str, Any], specs: list[ContainerSpec], results: dict[str, Exited], reason: str
    ) -> None:
        arn = task["taskArn"]
        self.credentials.revoke(arn)
        with self._lock:
            self._running.pop(arn, None)
        if self._stop.is_set():  # a stopping agent leaves the task to ECS, as a lost host would
            return
        reports = [stopped_report(spec.name, results.get(spec.name, Exited(None))) for spec in specs]
        self.log(f"task {arn}: STOPPED {reports}")
        self._report(arn, "STOPPED", reports, reason)

    def _report(self, arn: str, status: str, containers: list[dict[str, Any]], reason: str = "") -> None:
        self.ecs.submit_task_state_change(
            cluster=self.instance.cluster, task=arn, status=status, reason=reason, containers=containers
        )

    def _stop_task(self, arn: str, why: str) -> None:
        """`docker stop` of each running container with its own stop timeout, in parallel
        (docker_task_engine.go stopContainer: the container's stopTimeout, else the agent's)."""
        with self._lock:
            containers = list(self._running.get(arn, []))
        self.log(f"task {arn}: stopping ({why})")
        for container in containers:
            threading.Thread(target=container.stop, args=(container.spec.stop_timeout_s,), daemon=True).start()

    def _start_thread(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _poll_once(self) -> None:
        arns = set(
            self.ecs.list_tasks(
                cluster=self.instance.cluster,
                containerInstance=self.instance.container_instance_arn,
                desiredStatus="RUNNING",
            )["taskArns"]
        )
        with self._lock:
            running = set(self._running)
        for arn in running - arns - self._stopped_by_ecs:  # desired STOPPED (StopTask): stop it
            self._stopped_by_ecs.add(arn)
            self._stop_task(arn, "desired status STOPPED")
        new = sorted(arns - self._seen)
        if new:
            self._seen.update(new)
            for task in self.ecs.describe_tasks(cluster=self.instance.cluster, tasks=new)["tasks"]:
                self._start_thread(self._run_reported, task)

    def _poll(self) -> None:
        beats = self._heartbeat_seconds  # the first beat at once: a (re)started agent is connected
        while not self._stop.is_set():
            try:
                if beats >= self._heartbeat_seconds:
                    beats = 0.0
                    onprem.heartbeat(self.endpoint, self.region, self.instance.managed_instance_id)
                self._poll_once()
            except Exception as error:  # noqa: BLE001 - as the real agent, keep polling through a bad answer
                self.log(f"poll failed, retrying: {type(error).__name__}: {error}")
            self._stop.wait(_POLL_SECONDS)
            beats += _POLL_SECONDS

    def _reconcile(self, found: list[Leftover]) -> None:
        """Containers an earlier agent of this instance left (by label): the tasks ECS still wants
        running are adopted and followed to their end; the others are stopped and removed."""
        by_task: dict[str, list[Leftover]] = {}
        for leftover in found:
            by_task.setdefault(leftover.task_arn, []).append(leftover)
        if not by_task:
            return
        tasks = self.ecs.describe_tasks(cluster=self.instance.cluster, tasks=sorted(by_task))["tasks"]
        wanted = {t["taskArn"]: t for t in tasks if t.get("desiredStatus") == "RUNNING"}
        for arn, leftovers in by_task.items():
            if arn not in wanted:
                self.log(f"task {arn}: leftover of an earlier agent, not wanted by ECS: removed")
                for leftover in leftovers:
                    self._start_thread(self.runtime.remove, leftover.runtime_id, AGENT_STOP_TIMEOUT_S)
                continue
            self._seen.add(arn)
            specs = {s.name: s for s in self._specs(wanted[arn], adopted=leftovers[0])}
            adopted = [self.runtime.adopt(o, specs[o.container], self._task_log(arn)) for o in leftovers]
            self._running[arn] = adopted
            self.log(f"task {arn}: adopted {len(adopted)} container(s) of an earlier agent")
            self._start_thread(self._follow_to_the_end, wanted[arn], list(specs.values()), adopted)

    def _follow_to_the_end(self, task: dict[str, Any], specs: list[ContainerSpec], started: list[Container]) -> None:
        results = self._follow(started)
        self._finish(task, specs, results, "" if task["taskArn"] in self._stopped_by_ecs else ESSENTIAL_EXITED)

    def start(self) -> LocalAgent:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        found = self.runtime.leftovers(self.instance.container_instance_arn)
        given = [c for c in (credentials_in(f.environment) for f in found) if c]
        port = urlparse(given[0].full_uri).port if given else None
        self.credentials.start(port or 0)  # where adopted containers fetch
        if port and urlparse(self.credentials.url).port != port:
            self.log(f"credentials endpoint: port {port} taken; adopted tasks cannot refresh their credentials")
        self._reconcile(found)
        thread = threading.Thread(target=self._poll, daemon=True, name="local-agent")
        thread.start()
        self._threads.append(thread)
        self.log(f"agent started on {self.instance.container_instance_arn} ({self.runtime.describe()})")
        return self

    def stop(self) -> None:
        """Stop polling, stop every container (SIGTERM, SIGKILL after AGENT_STOP_TIMEOUT_S) and remove
        what this instance's agents started, by label: nothing is left running."""
        self._stop.set()
        with self._lock:
            running = [c for containers in self._running.values() for c in containers]
        stops = [threading.Thread(target=c.stop, args=(AGENT_STOP_TIMEOUT_S,), daemon=True) for c in running]
        for thread in stops:
            thread.start()
        for thread in [*stops, *self._threads]:
            thread.join(timeout=AGENT_STOP_TIMEOUT_S + 5)
        self.runtime.remove_all(self.instance.container_instance_arn, AGENT_STOP_TIMEOUT_S)
        self.credentials.stop()
