"""`offload doctor`: the usual reasons an ECS Anywhere machine does not run tasks,
each checked in one line: ok, or the problem and what to do.

Machine checks run where the agents run (the VM or server); stack checks need
the stack's outputs and credentials (the operator's machine, or a VM's own).
"""

from __future__ import annotations

import email.utils
import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from offload.lib.fleet.activation import describe_activation
from offload.lib.fleet.machines import machines as list_machines

CLOCK_SKEW_LIMIT = timedelta(minutes=5)  # SigV4 rejects requests signed further off
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok     ' if self.ok else 'problem'}  {self.name}: {self.detail}"


def _run(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


@dataclass(frozen=True)
class Machine:
    """Where the machine checks look; tests point them at a fake root and local servers."""

    root: Path = Path("/")
    introspection: str = "http://localhost:51678"
    credentials_host: tuple[str, int] = ("169.254.170.2", 80)
    environ: dict[str, str] | None = None

    @property
    def is_instance(self) -> bool:
        return (self.root / "var/lib/amazon/ssm").exists() or (self.root / "etc/ecs/ecs.config").exists()

    def checks(self) -> list[Check]:
        env = self.environ if self.environ is not None else dict(os.environ)
        registered = (self.root / "var/lib/amazon/ssm/Vault/Store/RegistrationKey").exists()
        cgroups = self.root / "sys/fs/cgroup"
        found = [
            Check(
                "cgroups",
                cgroups.is_dir() and any(cgroups.iterdir()),
                f"{cgroups} mounted" if cgroups.is_dir() else f"{cgroups} missing: boot a systemd Linux with cgroups",
            ),
        ]
        docker = _run(["docker", "version", "--format", "{{.Server.Version}}"])
        found.append(
            Check(
                "docker",
                docker is not None,
                f"engine {docker}" if docker else "no Docker engine answers: install it and start docker",
            )
        )
        ssm_agent = _run(["amazon-ssm-agent", "--version"])
        found.append(
            Check(
                "ssm agent",
                ssm_agent is not None,
                ssm_agent or "amazon-ssm-agent not installed: run bootstrap/register-instance.sh",
            )
        )
        metadata = _get_json(f"{self.introspection}/v1/metadata")
        found.append(
            Check(
                "ecs agent",
                bool(metadata and metadata.get("ContainerInstanceArn")),
                f"{metadata.get('Version', '?')} registered as {metadata.get('ContainerInstanceArn')}"
                if metadata
                else "no agent at the introspection endpoint: systemctl status ecs",
            )
        )
        conflicting = [v for v in CREDENTIAL_VARIABLES if env.get(v)]
        aws_dir = self.root / "root/.aws"
        if not registered and aws_dir.exists():
            conflicting.append(str(aws_dir))
        found.append(
            Check(
                "credentials",
                not conflicting,
                "only the activation's role"
                if not conflicting
                else f"{', '.join(conflicting)} would be used instead of the activation's role: remove them",
            )
        )
        found.append(_reachable(self.credentials_host))
        return found


def _get_json(url: str) -> dict[str, Any] | None:
    import json

    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - a fixed local endpoint
            return dict(json.loads(response.read()))
    except (OSError, ValueError):
        return None


def _reachable(host: tuple[str, int]) -> Check:
    try:
        with socket.create_connection(host, timeout=2):
            return Check("task credentials endpoint", True, f"{host[0]}:{host[1]} reachable")
    except OSError:
        return Check(
            "task credentials endpoint",
            False,
            f"{host[0]}:{host[1]} unreachable: start the ECS agent; with a proxy, add it to NO_PROXY",
        )


def clock(endpoint: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Check:
    """Compare with the Date an AWS endpoint sends back (any answer, even an error, carries one)."""
    try:
        with urllib.request.urlopen(endpoint, timeout=5) as response:  # noqa: S310 - https AWS endpoint or the twin
            date = response.headers.get("Date")
    except urllib.error.HTTPError as error:
        date = error.headers.get("Date")
    except OSError as error:
        return Check("clock", False, f"could not reach {endpoint} to compare clocks ({error}): check the network/proxy")
    if not date:
        return Check("clock", False, f"{endpoint} sent no Date header to compare with")
    skew = abs(now() - email.utils.parsedate_to_datetime(date))
    return Check(
        "clock",
        skew <= CLOCK_SKEW_LIMIT,
        f"{skew.total_seconds():.0f}s off {endpoint}"
        + ("" if skew <= CLOCK_SKEW_LIMIT else ": enable NTP (timedatectl set-ntp true)"),
    )


def stack_checks(ssm: Any, ecs: Any, outputs: dict[str, Any]) -> list[Check]:
    found = []
    activation = describe_activation(ssm, str(outputs["activation_id"]))
    problem = activation.problem() if activation else f"activation {outputs['activation_id']} not found"
    found.append(
        Check(
            "activation",
            problem is None,
            f"{activation.used}/{activation.limit} used, expires {activation.expires:%Y-%m-%d %H:%M} UTC"
            if activation and problem is None
            else f"{problem}: offload activation --env mints a new one",
        )
    )
    machines = list_machines(ssm, ecs, str(outputs["cluster_name"]), str(outputs["instance_role"]))
    if not machines:
        found.append(Check("agents", False, "no machine has joined: vagrant up, or register-instance.sh on a server"))
    for m in machines:
        healthy = m.ping_status == "Online" and m.agent_connected and m.status == "ACTIVE"
        found.append(
            Check(
                f"agents on {m.managed_instance_id}",
                healthy,
                f"SSM {m.ping_status}, ECS agent {'connected' if m.agent_connected else 'disconnected'}"
                + ("" if healthy else ": offload doctor on that machine; offload cleanup for leftovers"),
            )
        )
    return found
