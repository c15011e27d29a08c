"""bootstrap/register-instance.sh under bash, with a fake install script, metadata
service and ECS agent served from 127.0.0.1 and fake systemctl/aws on PATH: as copied
to a server (bootstrap/ whole), and as Vagrant runs it (the script alone in /tmp)."""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.register_host import (
    AGENT_DB,
    ARN,
    INSTANCE,
    SCRIPT,
    SSM_SERVICE_LINK,
    FakeServices,
    fake_install_script,
    fake_services,
    register_provisioner,
    sha256_of,
    write_fake_tools,
    write_pin,
)

PIN = SCRIPT.with_name("ecs-anywhere-install.pin")


@dataclass
class Host:
    root: Path
    log: Path
    services: FakeServices
    script: Path  # bootstrap/ as copied to a server: the script with its pin beside it

    @property
    def url(self) -> str:
        return self.services.url

    def hooks(self) -> dict[str, str]:
        """The test-only settings: the fake root, metadata service and ECS agent, fake tools first on PATH."""
        return {
            "PATH": f"{self.root / 'bin'}:{os.environ['PATH']}",
            "OFFLOAD_TESTING": "1",
            "OFFLOAD_ROOT": str(self.root),
            "OFFLOAD_IMDS_URL": self.url,
            "OFFLOAD_ECS_INTROSPECTION_URL": self.url,
        }

    def pin(self, sha256: str | None = None, at: Path | None = None) -> None:
        write_pin(
            at or self.script.with_name(PIN.name),
            f"{self.url}/install.sh",
            sha256 or sha256_of(self.services.install_script),
        )

    def run(self, *args: str, sha256: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        self.pin(sha256)
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        base.update(
            self.hooks(),
            OFFLOAD_REGION="eu-west-1",
            OFFLOAD_CLUSTER="offload",
            OFFLOAD_ACTIVATION_ID="act-1",
            OFFLOAD_ACTIVATION_CODE="code-1",
        )
        base.update(env)
        return subprocess.run(["bash", str(self.script), *args], env=base, capture_output=True, text=True, timeout=60)

    def calls(self, prefix: str) -> list[str]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [line for line in lines if line.startswith(prefix)]


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    root = tmp_path / "root"
    (root / "sys/fs/cgroup").mkdir(parents=True)
    log = tmp_path / "calls.log"
    write_fake_tools(root / "bin", str(log), str(root))
    script = tmp_path / "server" / "bootstrap" / SCRIPT.name
    script.parent.mkdir(parents=True)
    shutil.copy2(SCRIPT, script)
    with fake_services(fake_install_script(str(log), str(root)), root / AGENT_DB) as services:
        yield Host(root, log, services, script)


def test_runs_the_verified_script_with_the_right_flags_attributes_and_proxy(host: Host) -> None:
    done = host.run(
        OFFLOAD_ENABLE_GPU="1",
        OFFLOAD_INSTANCE_ATTRIBUTES='{"site":"dc1"}',
        HTTPS_PROXY="http://proxy.example:3128",
        NO_PROXY="10.0.0.0/8",
    )
    assert done.returncode == 0, done.stderr
    (call,) = host.calls("install")
    assert (
        call
        == "install --region eu-west-1 --cluster offload --activation-id act-1 --enable-gpu --activation-code code-1"
    )
    config = (host.root / "etc/ecs/ecs.config").read_text()
    assert 'ECS_INSTANCE_ATTRIBUTES={"site":"dc1"}' in config and "HTTP_PROXY=http://proxy.example:3128" in config
    no_proxy = next(line for line in config.splitlines() if line.startswith("NO_PROXY="))
    assert "10.0.0.0/8" in no_proxy and "169.254.169.254" in no_proxy and "169.254.170.2" in no_proxy
    proxy_env = (host.root / "etc/offload/proxy.env").read_text()
    assert "169.254.170.2" in proxy_env and "HTTPS_PROXY=http://proxy.example:3128" in proxy_env
    assert f"joined cluster offload as {INSTANCE}" in done.stdout
    print("register: flags, attributes, proxy ok")


def test_proxy_credentials_are_root_only_and_in_no_unit_drop_in(host: Host) -> None:
    """A proxy URL's password lands only in 0600 files, even under umask 022 and over an older run's
    world-readable ecs.config; the drop-ins (readable over D-Bus) name the file, never the secret."""
    config = host.root / "etc/ecs/ecs.config"
    config.parent.mkdir(parents=True)
    config.write_text("ECS_CLUSTER=offload\n")
    config.chmod(0o644)
    done = host.run(HTTPS_PROXY="http://ops:pr0xy-s3cret@proxy.example:3128")
    assert done.returncode == 0, done.stderr
    proxy_env = host.root / "etc/offload/proxy.env"
    for holder in (config, proxy_env):
        assert "pr0xy-s3cret" in holder.read_text()
        assert holder.stat().st_mode & 0o777 == 0o600, holder
    dropins = sorted((host.root / "etc/systemd/system").glob("*.service.d/http-proxy.conf"))
    assert [d.parent.name for d in dropins] == ["amazon-ssm-agent.service.d", "docker.service.d", "ecs.service.d"]
    for dropin in dropins:
        assert "pr0xy-s3cret" not in dropin.read_text() and "Environment=" not in dropin.read_text()
        assert f"EnvironmentFile={proxy_env}" in dropin.read_text()


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


@pytest.mark.parametrize(
    "setup, named",
    [
        ("env", "AWS_ACCESS_KEY_ID is set"),
        ("aws_dir", "/root/.aws has credentials"),
        ("instance_profile", "EC2 instance profile (ec2-role)"),
    ],
)
def test_other_credentials_visible_to_root_are_refused(host: Host, setup: str, named: str) -> None:
    extra = {}
    if setup == "env":
        extra["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE"
    elif setup == "aws_dir":
        (host.root / "root/.aws").mkdir(parents=True)
        (host.root / "root/.aws/credentials").write_text("[default]\n")
    else:
        host.services.instance_profile.append("ec2-role")
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
    assert host.calls("systemctl stop") == ["systemctl stop ecs amazon-ssm-agent"]
    assert not (host.root / "var/lib/ecs/data").exists()
    assert not (host.root / "var/lib/amazon/ssm/Vault/Store/RegistrationKey").exists()
    assert host.run().returncode == 0 and len(host.calls("install")) == 2


@pytest.mark.parametrize("activation", ["unset", "still set"])
def test_a_registered_host_whose_agent_is_down_rejoins_without_registering_again(host: Host, activation: str) -> None:
    assert host.run().returncode == 0
    (host.root / AGENT_DB).unlink()  # the ECS agent is down: introspection does not answer
    values = {} if activation == "still set" else {"OFFLOAD_ACTIVATION_ID": "", "OFFLOAD_ACTIVATION_CODE": ""}
    again = host.run(**values)
    assert again.returncode == 0, again.stdout + again.stderr
    _, second = host.calls("install ")
    assert second == "install --region eu-west-1 --cluster offload --skip-registration"
    assert len(host.calls("ssm-register")) == 1 and f"joined cluster offload as {INSTANCE}" in again.stdout


def test_a_registration_without_its_ssm_agent_needs_the_activation_to_reinstall_it(host: Host) -> None:
    assert host.run().returncode == 0
    (host.root / AGENT_DB).unlink()
    (host.root / SSM_SERVICE_LINK).unlink()  # the SSM agent was removed; its registration stayed on disk
    refused = host.run(OFFLOAD_ACTIVATION_ID="", OFFLOAD_ACTIVATION_CODE="")
    assert refused.returncode == 1 and refused.stderr.strip().count("\n") == 0
    assert "amazon-ssm-agent is not installed" in refused.stderr and "offload activation --env" in refused.stderr
    again = host.run()
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        host.calls("install ")[-1]
        == "install --region eu-west-1 --cluster offload --activation-id act-1 --activation-code code-1"
    )
    assert len(host.calls("ssm-register")) == 1  # the registration on disk is kept


def test_the_activation_code_reaches_no_argument_list_and_no_child_environment(host: Host) -> None:
    code = secrets.token_hex(10)
    done = host.run(OFFLOAD_ACTIVATION_CODE=code)
    assert done.returncode == 0, done.stdout + done.stderr
    (parameters,) = host.calls("install ")
    assert parameters.endswith(f"--activation-code {code}")  # the install script does get it
    (argv,) = host.calls("argv ")
    assert "ecs-anywhere-install.sh" in argv and code not in argv
    assert host.calls("code-in-argv") == [], "a process had the activation code in its argv (world-readable in ps)"
    assert host.calls("code-in-env") == [], "the install script's children would inherit the activation code"


def test_a_missing_pin_is_named_with_what_to_do(host: Host, tmp_path: Path) -> None:
    alone = tmp_path / "alone" / "register-instance.sh"
    alone.parent.mkdir()
    shutil.copy2(SCRIPT, alone)
    host.script = alone
    host.pin(at=tmp_path / "elsewhere.pin")  # not beside the script, and not named
    done = subprocess.run(
        ["bash", str(alone)],
        env={
            **host.hooks(),
            "OFFLOAD_REGION": "eu-west-1",
            "OFFLOAD_CLUSTER": "offload",
            "OFFLOAD_ACTIVATION_ID": "act-1",
            "OFFLOAD_ACTIVATION_CODE": "code-1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stderr.strip().count("\n") == 0 and host.calls("install") == []
    assert (
        f"no install-script pin at {alone.with_name(PIN.name)}" in done.stderr and "OFFLOAD_INSTALL_PIN" in done.stderr
    )


@pytest.mark.parametrize("pinned", ["its hash", "another hash"])
def test_runs_as_vagrant_provisions_it(host: Host, tmp_path: Path, pinned: str) -> None:
    """The script uploaded alone to a /tmp/vagrant-shell, given only the Vagrantfile's `env:` (on top of the
    test hooks), the repo in a /vagrant-like folder. Host-only: `bash` reads Vagrant's command on stdin, but
    not as a login shell (its PATH would put the machine's real systemctl before the fakes); the container
    variant is tests/docker/test_vagrant_provision.py."""
    code = secrets.token_hex(10)
    provisioner = register_provisioner(
        {
            "OFFLOAD_REGION": "eu-west-1",
            "OFFLOAD_CLUSTER": "offload",
            "OFFLOAD_ACTIVATION_ID": "act-1",
            "OFFLOAD_ACTIVATION_CODE": code,
            "OFFLOAD_INSTANCE_ATTRIBUTES": '{"site":"dc1"}',
            "HOME": "/root",  # not one the Vagrantfile passes
        }
    )
    assert "HOME" not in provisioner.env
    guest_repo = tmp_path / "vagrant"
    env = {
        name: value.replace(provisioner.guest_repo, str(guest_repo), 1)
        if value.startswith(provisioner.guest_repo)
        else value
        for name, value in provisioner.env.items()
    }
    host.pin(None if pinned == "its hash" else "0" * 64, at=guest_repo / "bootstrap" / PIN.name)
    upload = tmp_path / "tmp" / Path(provisioner.upload_path).name
    upload.parent.mkdir()
    upload.write_bytes(provisioner.path.read_bytes())
    command = dataclasses.replace(provisioner, upload_path=str(upload), guest_repo=str(guest_repo), env=env).command()
    done = subprocess.run(
        ["bash"], input=command, env=host.hooks(), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    if pinned == "another hash":
        assert done.returncode == 1 and "does not match the pinned" in done.stderr and host.calls("install") == []
        return
    assert done.returncode == 0, done.stdout + done.stderr
    assert host.calls("install ") == [
        f"install --region eu-west-1 --cluster offload --activation-id act-1 --activation-code {code}"
    ]
    assert 'ECS_INSTANCE_ATTRIBUTES={"site":"dc1"}' in (host.root / "etc/ecs/ecs.config").read_text()
    assert host.calls("code-in-argv") == [] and f"joined cluster offload as {INSTANCE}" in done.stdout


def test_missing_settings_name_the_command_that_provides_them(host: Host) -> None:
    done = host.run(OFFLOAD_CLUSTER="")
    assert done.returncode == 1 and "offload activation --env" in done.stderr


def test_the_shipped_pin_names_a_commit_and_its_real_hash() -> None:
    pin = dict(line.split("=", 1) for line in PIN.read_text().splitlines() if line and not line.startswith("#"))
    assert re.fullmatch(r"[0-9a-f]{64}", pin["sha256"]), "the pin must hold the script's sha256"
    assert re.search(r"/amazon-ecs-agent/[0-9a-f]{40}/scripts/ecs-anywhere-install\.sh$", pin["url"])
