"""bootstrap/register-instance.sh under bash, with a fake install script, metadata
service and ECS agent served from 127.0.0.1 and fake systemctl/aws on PATH."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "bootstrap" / "register-instance.sh"
PIN = SCRIPT.with_name("ecs-anywhere-install.pin")
INSTANCE = "mi-0123456789abcdef0"
ARN = "arn:aws:ecs:eu-west-1:123456789012:container-instance/offload/5f1e"
# Stands in for the official script: records its arguments and does what it would (register, start the agent).
FAKE_INSTALL = f"""#!/bin/bash
echo "install $*" >>"$FAKE_LOG"
store="$OFFLOAD_ROOT/var/lib/amazon/ssm/Vault/Store"
mkdir -p "$store" "$OFFLOAD_ROOT/var/lib/ecs/data"
echo '{{"instanceID":"{INSTANCE}","region":"eu-west-1"}}' >"$store/RegistrationKey"
echo "ECS_CLUSTER=offload" >>"$OFFLOAD_ROOT/etc/ecs/ecs.config"
touch "$OFFLOAD_ROOT/var/lib/ecs/data/agent.db"
"""


@dataclass
class Host:
    root: Path
    log: Path
    url: str
    instance_profile: list[str] = field(default_factory=list)

    def run(self, *args: str, sha256: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        base.update(
            PATH=f"{self.root / 'bin'}:{os.environ['PATH']}", OFFLOAD_TESTING="1", OFFLOAD_ROOT=str(self.root),
            FAKE_LOG=str(self.log), OFFLOAD_IMDS_URL=self.url, OFFLOAD_ECS_INTROSPECTION_URL=self.url,
            OFFLOAD_INSTALL_SCRIPT_URL=f"{self.url}/install.sh",
            OFFLOAD_INSTALL_SCRIPT_SHA256=sha256 or hashlib.sha256(FAKE_INSTALL.encode()).hexdigest(),
            OFFLOAD_REGION="eu-west-1", OFFLOAD_CLUSTER="offload", OFFLOAD_ACTIVATION_ID="act-1",
            OFFLOAD_ACTIVATION_CODE="code-1",
        )
        base.update(env)
        return subprocess.run(["bash", str(SCRIPT), *args], env=base, capture_output=True, text=True, timeout=60)

    def calls(self, prefix: str) -> list[str]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [line for line in lines if line.startswith(prefix)]


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "sys/fs/cgroup").mkdir(parents=True)
    log = tmp_path / "calls.log"
    for tool in ("systemctl", "aws"):
        fake = root / "bin" / tool
        fake.write_text(f'#!/bin/bash\necho "{tool} $*" >>"$FAKE_LOG"\n')
        fake.chmod(0o755)
    state = Host(root, log, "")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: str) -> None:
            self.send_response(code)
            self.end_headers()
            self.wfile.write(body.encode())

        def do_PUT(self) -> None:  # IMDSv2 token: only "on EC2"
            self._send(200, "token") if state.instance_profile else self._send(404, "")

        def do_GET(self) -> None:
            if self.path == "/install.sh":
                self._send(200, FAKE_INSTALL)
            elif self.path == "/v1/metadata" and (root / "var/lib/ecs/data/agent.db").exists():
                self._send(200, json.dumps({"Cluster": "offload", "ContainerInstanceArn": ARN}))
            elif self.path.startswith("/latest/meta-data/iam/security-credentials/") and state.instance_profile:
                self._send(200, state.instance_profile[0])
            else:
                self._send(404, "")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()


def test_runs_the_verified_script_with_the_right_flags_attributes_and_proxy(host: Host) -> None:
    done = host.run(OFFLOAD_ENABLE_GPU="1", OFFLOAD_INSTANCE_ATTRIBUTES='{"site":"dc1"}',
                    HTTPS_PROXY="http://proxy.example:3128", NO_PROXY="10.0.0.0/8")
    assert done.returncode == 0, done.stderr
    (call,) = host.calls("install")
    assert call == ("install --region eu-west-1 --cluster offload --activation-id act-1 --activation-code code-1 "
                    "--enable-gpu")
    config = (host.root / "etc/ecs/ecs.config").read_text()
    assert 'ECS_INSTANCE_ATTRIBUTES={"site":"dc1"}' in config and "HTTP_PROXY=http://proxy.example:3128" in config
    no_proxy = next(line for line in config.splitlines() if line.startswith("NO_PROXY="))
    assert "10.0.0.0/8" in no_proxy and "169.254.169.254" in no_proxy and "169.254.170.2" in no_proxy
    dropin = (host.root / "etc/systemd/system/docker.service.d/http-proxy.conf").read_text()
    assert "169.254.170.2" in dropin and "HTTPS_PROXY=http://proxy.example:3128" in dropin
    assert f"joined cluster offload as {INSTANCE}" in done.stdout
    print("register: flags, attributes, proxy ok")


def test_sha256_mismatch_is_refused_and_nothing_runs(host: Host) -> None:
    done = host.run(sha256="0" * 64)
    assert done.returncode == 1 and host.calls("install") == []
    assert done.stderr.strip().count("\n") == 0 and "does not match the pinned" in done.stderr


def test_an_unpinned_script_is_refused(host: Host) -> None:
    done = host.run(sha256="unpinned")
    assert done.returncode == 1 and "no sha256 pinned" in done.stderr and host.calls("install") == []


def test_second_run_is_a_no_op(host: Host) -> None:
    assert host.run().returncode == 0
    again = host.run()
    assert again.returncode == 0 and "already joined" in again.stdout
    assert len(host.calls("install")) == 1  # no second registration used


@pytest.mark.parametrize("setup, named", [
    ("env", "AWS_ACCESS_KEY_ID is set"),
    ("aws_dir", "/root/.aws has credentials"),
    ("instance_profile", "EC2 instance profile (ec2-role)"),
])
def test_other_credentials_visible_to_root_are_refused(host: Host, setup: str, named: str) -> None:
    extra = {}
    if setup == "env":
        extra["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE"
    elif setup == "aws_dir":
        (host.root / "root/.aws").mkdir(parents=True)
        (host.root / "root/.aws/credentials").write_text("[default]\n")
    else:
        host.instance_profile.append("ec2-role")
    done = host.run(**extra)
    assert done.returncode == 1 and named in done.stderr and host.calls("install") == []
    assert done.stderr.strip().count("\n") == 0


def test_deregister_leaves_the_cluster_and_the_machine_can_join_again(host: Host) -> None:
    assert host.run().returncode == 0
    left = host.run("--deregister")
    assert left.returncode == 0, left.stderr
    assert host.calls("aws") == [
        f"aws ecs deregister-container-instance --cluster offload --container-instance {ARN} --force",
        f"aws ssm deregister-managed-instance --instance-id {INSTANCE}",
    ]
    assert host.calls("systemctl") == ["systemctl stop ecs amazon-ssm-agent"]
    assert not (host.root / "var/lib/ecs/data").exists()
    assert not (host.root / "var/lib/amazon/ssm/Vault/Store/RegistrationKey").exists()
    assert host.run().returncode == 0 and len(host.calls("install")) == 2


def test_missing_settings_name_the_command_that_provides_them(host: Host) -> None:
    done = host.run(OFFLOAD_CLUSTER="")
    assert done.returncode == 1 and "offload activation --env" in done.stderr


def test_the_shipped_pin_names_a_commit_and_its_real_hash() -> None:
    pin = dict(line.split("=", 1) for line in PIN.read_text().splitlines() if line and not line.startswith("#"))
    assert re.fullmatch(r"[0-9a-f]{64}", pin["sha256"]), "the pin must hold the script's sha256"
    assert re.search(r"/amazon-ecs-agent/[0-9a-f]{40}/scripts/ecs-anywhere-install\.sh$", pin["url"])
