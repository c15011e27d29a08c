"""offload activation / fleet / cleanup / doctor against the twin's SSM and ECS."""

from __future__ import annotations

import json
import socket
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.fleet import activation, doctor, machines
from offload.twin.onprem import heartbeat

from tests.conftest import PING_TIMEOUT, REGION
from tests.figures import say
from tests.twin_cluster import CLUSTER, INSTANCE_ROLE, instance_role, join_instance, make_cluster

pytestmark = pytest.mark.functional
NAMES = ["--target", "twin", "--cluster", CLUSTER, "--instance-role", INSTANCE_ROLE]


@pytest.fixture
def cluster(twin: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OFFLOAD_TWIN_ENDPOINT", twin)
    make_cluster()
    return twin


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_activation_env_mints_one_and_keeps_the_code_in_a_private_file(cluster: str, tmp_path: Path) -> None:
    instance_role()
    code_file = tmp_path / "secret" / "activation-code"
    shown = _invoke("activation", *NAMES, "--instances", "3", "--expires", "2h", "--env", "--code-file", str(code_file))
    lines = dict(line.removeprefix("export ").split("=", 1) for line in shown.splitlines() if line.startswith("export"))
    assert lines["OFFLOAD_CLUSTER"] == f"'{CLUSTER}'" and lines["OFFLOAD_ACTIVATION_CODE"] == f'"$(cat {code_file})"'
    assert stat.S_IMODE(code_file.stat().st_mode) == 0o600 and code_file.read_text() not in shown
    (made,) = boto3.client("ssm").describe_activations()["ActivationList"]
    assert made["ActivationId"] == lines["OFFLOAD_ACTIVATION_ID"].strip("'") and made["RegistrationLimit"] == 3
    expires = datetime.fromisoformat(str(made["ExpirationDate"])) if isinstance(made["ExpirationDate"], str) \
        else made["ExpirationDate"]
    assert timedelta(minutes=119) < expires - datetime.now(UTC) <= timedelta(hours=2)


def test_code_file_inside_the_repo_is_refused(cluster: str) -> None:
    instance_role()
    result = CliRunner().invoke(cli, ["activation", *NAMES, "--env", "--code-file", "build/code"])
    assert result.exit_code == 1 and "inside the repository" in result.output


def test_expired_and_used_up_activations_are_named(cluster: str) -> None:
    ssm = boto3.client("ssm")
    role = instance_role()
    short = activation.mint_activation(ssm, role, 1, timedelta(seconds=2), CLUSTER)
    time.sleep(2.2)
    assert "expired" in (activation.describe_activation(ssm, short.activation_id).problem() or "")  # type: ignore[union-attr]
    one = activation.mint_activation(ssm, role, 1, timedelta(hours=1), CLUSTER)
    from offload.twin.onprem import register_managed_instance

    register_managed_instance(cluster, REGION, one.activation_id, one.code or "")
    assert "used up (1/1" in (activation.describe_activation(ssm, one.activation_id).problem() or "")  # type: ignore[union-attr]


def test_fleet_shows_both_halves_and_cleanup_removes_only_the_stale(cluster: str) -> None:
    quiet, alive = join_instance(cluster), join_instance(cluster)
    table = _invoke("fleet", *NAMES)
    assert quiet.managed_instance_id in table and alive.managed_instance_id in table and "connected" in table
    time.sleep(PING_TIMEOUT + 0.5)
    heartbeat(cluster, REGION, alive.managed_instance_id)

    assert "nothing stale" in _invoke("cleanup", *NAMES, "--stale-after", "1m")  # quiet, but not for a minute
    ssm, ecs = boto3.client("ssm"), boto3.client("ecs")
    before = machines.machines(ssm, ecs, CLUSTER, INSTANCE_ROLE)
    picked = machines.stale(before, timedelta(seconds=1))
    assert [(m.managed_instance_id, why.startswith("no SSM ping")) for m, why in picked] == [
        (quiet.managed_instance_id, True)]
    for machine, _why in picked:
        machines.deregister(ssm, ecs, CLUSTER, machine)
    left = machines.machines(ssm, ecs, CLUSTER, INSTANCE_ROLE)
    assert [m.managed_instance_id for m in left] == [alive.managed_instance_id]
    say(f"cleanup: stale removed=1 kept=1 ({alive.managed_instance_id})")


def test_cleanup_apply_removes_a_half_registered_machine(cluster: str) -> None:
    machine = join_instance(cluster)
    boto3.client("ssm").deregister_managed_instance(InstanceId=machine.managed_instance_id)
    dry = _invoke("cleanup", *NAMES)
    assert f"would deregister {machine.managed_instance_id} (its managed instance is gone)" in dry
    assert boto3.client("ecs").list_container_instances(cluster=CLUSTER)["containerInstanceArns"]
    done = _invoke("cleanup", *NAMES, "--apply")
    assert "deregistered container instance" in done
    assert boto3.client("ecs").list_container_instances(cluster=CLUSTER)["containerInstanceArns"] == []


def test_cleanup_all_is_what_make_destroy_runs_first(cluster: str) -> None:
    join_instance(cluster)
    join_instance(cluster)
    _invoke("cleanup", *NAMES, "--all", "--apply")
    assert machines.machines(boto3.client("ssm"), boto3.client("ecs"), CLUSTER, INSTANCE_ROLE) == []


def test_doctor_stack_checks_name_the_problem_and_the_fix(cluster: str) -> None:
    ssm, ecs = boto3.client("ssm"), boto3.client("ecs")
    role = instance_role()
    used = activation.mint_activation(ssm, role, 1, timedelta(hours=1), CLUSTER)
    outputs = {"activation_id": used.activation_id, "cluster_name": CLUSTER, "instance_role": role}
    lines = [c.line() for c in doctor.stack_checks(ssm, ecs, outputs)]
    assert lines[0].startswith("ok") and "0/1 used" in lines[0]
    assert lines[1].startswith("problem  agents: no machine has joined: vagrant up")
    from offload.twin.onprem import join

    join(cluster, REGION, CLUSTER, used.activation_id, used.code or "")
    checks = doctor.stack_checks(ssm, ecs, outputs)
    assert "used up (1/1" in checks[0].detail and "offload activation --env" in checks[0].detail
    assert checks[1].ok and "SSM Online, ECS agent connected" in checks[1].detail


def test_doctor_clock_compares_with_the_endpoint(cluster: str) -> None:
    assert doctor.clock(cluster).ok
    late = doctor.clock(cluster, now=lambda: datetime.now(UTC) + timedelta(minutes=10))
    assert not late.ok and "NTP" in late.detail


@pytest.fixture
def agent_metadata() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            metadata = {"Version": "Amazon ECS Agent - v1.86.0", "ContainerInstanceArn": "arn:x"}
            self.wfile.write(json.dumps(metadata).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_doctor_machine_checks(tmp_path: Path, agent_metadata: str) -> None:
    (tmp_path / "etc/ecs").mkdir(parents=True)
    (tmp_path / "etc/ecs/ecs.config").write_text("ECS_CLUSTER=offload\n")
    (tmp_path / "root/.aws").mkdir(parents=True)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    machine = doctor.Machine(root=tmp_path, introspection=agent_metadata,
                             credentials_host=listening.getsockname(), environ={"AWS_PROFILE": "admin"})
    assert machine.is_instance
    checks = {c.name: c for c in machine.checks()}
    assert not checks["cgroups"].ok and "missing" in checks["cgroups"].detail
    assert checks["ecs agent"].ok and "v1.86.0" in checks["ecs agent"].detail
    assert not checks["credentials"].ok and "AWS_PROFILE" in checks["credentials"].detail
    assert f"{tmp_path}/root/.aws" in checks["credentials"].detail
    assert checks["task credentials endpoint"].ok
    address = listening.getsockname()
    listening.close()
    unreachable = doctor.Machine(root=tmp_path, introspection=agent_metadata, credentials_host=address,
                                 environ={}).checks()
    assert not {c.name: c for c in unreachable}["task credentials endpoint"].ok
    assert all(c.line().startswith(("ok", "problem")) and "\n" not in c.line() for c in checks.values())
