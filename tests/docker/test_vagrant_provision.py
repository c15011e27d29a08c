"""register-instance.sh provisioned as Vagrant provisions a VM, in a container standing in for it.

Vagrant's shell provisioner (hashicorp/vagrant plugins/provisioners/shell/provisioner.rb) uploads
`path:` alone to /tmp/vagrant-shell and sends `chmod +x '/tmp/vagrant-shell' && K="v" ... /tmp/vagrant-shell`
to `sudo -E -H bash -l` over a new SSH session; the synced folder puts the repository at /vagrant.
Here: the repository bind-mounted read-only at /vagrant, each provisioning a new `docker exec` of
`bash -l` reading that command, the `env:` read from the Vagrantfile. The container runs as root on
its own filesystem; the only settings Vagrant would not pass are where the fake metadata service and
ECS agent answer (127.0.0.1, network host). The install script, systemctl and aws are the fakes of
tests/register_host.py, and the pin in the synced folder is the fake script's (a file mounted over it).
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import docker.models.containers
import pytest
from offload.lib.build.base_image import SUITE, apt_mirror, has_image

from tests.register_host import (
    AGENT_DB,
    INSTANCE,
    REPO,
    FakeServices,
    fake_install_script,
    fake_services,
    register_provisioner,
    sha256_of,
    write_fake_tools,
    write_pin,
)

# One worker under pytest-xdist (make test): the guest image is built once, and stale tags of it are removed.
pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("vagrant-guest")]

LABEL = {"offload.test": "vagrant-provision"}
GUEST_REPOSITORY = "offload-vagrant-guest"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
HOST_ENV = {
    "OFFLOAD_REGION": "eu-west-1",
    "OFFLOAD_CLUSTER": "offload",
    "OFFLOAD_INSTANCE_ATTRIBUTES": '{"site":"dc1"}',
}


def _curl_debs(client: docker.DockerClient, base_image: str, into: Path) -> list[Path]:
    """curl and what it needs beyond the base's packages, from the base's own Debian suite, downloaded on
    this machine with a private apt state (containers get no network)."""
    if shutil.which("apt-get") is None or not KEYRING.is_file():
        reason = f"the guest image needs apt-get and {KEYRING} (apt-get install debian-archive-keyring)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    status = client.containers.run(
        base_image, ["cat", "/var/lib/dpkg/status"], network_mode="none", remove=True, labels=LABEL
    )
    (into / "status").write_bytes(status)
    for folder in ("lists/partial", "archives/partial"):
        (into / folder).mkdir(parents=True)
    (into / "sources.list").write_text(f"deb [signed-by={KEYRING}] {apt_mirror()} {SUITE} main\n")
    options = [
        f"-oDir::State::status={into / 'status'}",
        f"-oDir::Etc::sourcelist={into / 'sources.list'}",
        "-oDir::Etc::sourceparts=-",
        f"-oDir::State::Lists={into / 'lists'}",
        f"-oDir::Cache::archives={into / 'archives'}",
        "-oDebug::NoLocking=1",
    ]
    for command in (["update", "-qq"], ["install", "-qq", "-y", "--download-only", "--no-install-recommends", "curl"]):
        done = subprocess.run(["apt-get", *options, *command], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"apt-get {command[0]}: {done.stderr.strip()}"
    return sorted((into / "archives").glob("*.deb"))


@pytest.fixture(scope="session")
def guest_image(docker_client: docker.DockerClient, base_image: str) -> str:
    """The Debian base with curl (register-instance.sh downloads with it; minbase has none), built with no network."""
    name = f"{GUEST_REPOSITORY}:{docker_client.images.get(base_image).id.split(':')[1][:12]}"
    if has_image(docker_client, name):
        return name
    with tempfile.TemporaryDirectory(prefix="offload-guest-") as work:
        debs = _curl_debs(docker_client, base_image, Path(work))
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as tar:
            dockerfile = f"FROM {base_image}\nCOPY debs/ /tmp/debs/\nRUN dpkg -i /tmp/debs/*.deb && rm -rf /tmp/debs\n"
            info = tarfile.TarInfo("Dockerfile")
            info.size = len(dockerfile)
            tar.addfile(info, io.BytesIO(dockerfile.encode()))
            for deb in debs:
                tar.add(deb, arcname=f"debs/{deb.name}")
        context.seek(0)
        docker_client.images.build(
            fileobj=context, custom_context=True, tag=name, network_mode="none", rm=True, forcerm=True, labels=LABEL
        )
    for image in docker_client.images.list(name=GUEST_REPOSITORY):  # tags of ours built on an earlier base
        for stale in {tag for tag in image.tags if tag.startswith(f"{GUEST_REPOSITORY}:")} - {name}:
            docker_client.images.remove(stale)
    return name


@dataclass
class Guest:
    """A running container standing in for the VM, and the host side of what it writes."""

    container: docker.models.containers.Container
    upload: Path  # /upload in the guest: the script as Vagrant uploads it, the commands, the fakes' log
    services: FakeServices

    def provision(self, host_env: dict[str, str]) -> tuple[int, str]:
        """One `vagrant provision` of the register provisioner: upload, then the command on a login shell."""
        provisioner = register_provisioner(host_env)
        (self.upload / "vagrant-shell").write_bytes(provisioner.path.read_bytes())
        (self.upload / "command").write_text(provisioner.command() + "\n")
        self._exec(f"install -m 0644 /upload/vagrant-shell {provisioner.upload_path}")
        return self._exec("bash -l </upload/command")

    def _exec(self, shell: str) -> tuple[int, str]:
        code, output = self.container.exec_run(["bash", "-c", shell], environment=self._hooks())
        return int(code), output.decode()

    def _hooks(self) -> dict[str, str]:
        return {"OFFLOAD_IMDS_URL": self.services.url, "OFFLOAD_ECS_INTROSPECTION_URL": self.services.url}

    def calls(self, prefix: str) -> list[str]:
        log = self.upload / "calls.log"
        return [line for line in log.read_text().splitlines() if line.startswith(prefix)] if log.exists() else []


@pytest.fixture
def guest(docker_client: docker.DockerClient, guest_image: str, tmp_path: Path) -> Iterator[Guest]:
    upload, ecs_state, ecs_config = tmp_path / "upload", tmp_path / "var-lib-ecs", tmp_path / "etc-ecs"
    for folder in (upload, ecs_state, ecs_config):
        folder.mkdir()
    write_fake_tools(tmp_path / "bin", "/upload/calls.log", "")
    # The ECS agent "answers" once the install script created its state, which the host sees through the mount.
    with fake_services(
        fake_install_script("/upload/calls.log", ""), ecs_state / Path(AGENT_DB).relative_to("var/lib/ecs")
    ) as services:
        pin = tmp_path / "ecs-anywhere-install.pin"
        write_pin(pin, f"{services.url}/install.sh", sha256_of(services.install_script))
        guest_repo = register_provisioner(HOST_ENV).guest_repo
        mounts = {
            str(REPO): {"bind": guest_repo, "mode": "ro"},
            str(pin): {"bind": f"{guest_repo}/bootstrap/{pin.name}", "mode": "ro"},
            str(upload): {"bind": "/upload", "mode": "rw"},
            str(ecs_state): {"bind": "/var/lib/ecs", "mode": "rw"},
            str(ecs_config): {"bind": "/etc/ecs", "mode": "rw"},
            **{
                str(tmp_path / "bin" / tool): {"bind": f"/usr/local/bin/{tool}", "mode": "ro"}
                for tool in ("systemctl", "aws")
            },
        }
        container = docker_client.containers.run(
            guest_image,
            ["sleep", "infinity"],
            detach=True,
            labels=LABEL,
            name=f"offload-vagrant-guest-{secrets.token_hex(4)}",
            network_mode="host",
            volumes=mounts,
            working_dir="/root",
            environment={},
        )
        try:
            yield Guest(container, upload, services)
        finally:
            container.remove(force=True)


def test_vagrant_up_joins_the_vm_with_the_script_alone_in_tmp(guest: Guest) -> None:
    code = secrets.token_hex(10)
    exit_code, output = guest.provision({**HOST_ENV, "OFFLOAD_ACTIVATION_ID": "act-1", "OFFLOAD_ACTIVATION_CODE": code})
    assert exit_code == 0, output
    assert f"register-instance: joined cluster offload as {INSTANCE}" in output
    assert guest.calls("install ") == [
        f"install --region eu-west-1 --cluster offload --activation-id act-1 --activation-code {code}"
    ]
    assert 'ECS_INSTANCE_ATTRIBUTES={"site":"dc1"}' in (guest.upload.parent / "etc-ecs" / "ecs.config").read_text()
    assert guest.calls("code-in-argv") == [] and guest.calls("code-in-env") == []


def test_vagrant_provision_rejoins_a_registered_vm_whose_agent_is_down(guest: Guest) -> None:
    """Later `vagrant provision`, the activation no longer in the host's environment: no registration needed."""
    first, output = guest.provision({**HOST_ENV, "OFFLOAD_ACTIVATION_ID": "act-1", "OFFLOAD_ACTIVATION_CODE": "c0de"})
    assert first == 0, output
    Path(guest.services.agent_db).unlink()  # the ECS agent stopped
    again, output = guest.provision(HOST_ENV)
    assert again == 0, output
    assert guest.calls("install ")[-1] == "install --region eu-west-1 --cluster offload --skip-registration"
    assert len(guest.calls("ssm-register")) == 1


def test_the_pin_in_the_synced_folder_still_fails_closed(guest: Guest, tmp_path: Path) -> None:
    (tmp_path / "ecs-anywhere-install.pin").write_text(f"url={guest.services.url}/install.sh\nsha256={'0' * 64}\n")
    exit_code, output = guest.provision({**HOST_ENV, "OFFLOAD_ACTIVATION_ID": "act-1", "OFFLOAD_ACTIVATION_CODE": "c"})
    assert exit_code == 1 and "does not match the pinned" in output and guest.calls("install") == []
