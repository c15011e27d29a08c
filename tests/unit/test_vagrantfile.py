"""The Vagrantfile: it validates (where vagrant is installed; .ci/run installs it), and its
provisioning and destroy trigger hand the activation over the way the fleet issue requires."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.register_host import register_provisioner

REPO = Path(__file__).parents[2]
TEXT = (REPO / "Vagrantfile").read_text()


def _sync_excludes() -> list[str]:
    """The synced folder's rsync excludes, as the Vagrantfile lists them."""
    listed = re.search(r"^SYNC_EXCLUDE = \[(.*?)\]", TEXT, re.S | re.M)
    assert listed, "SYNC_EXCLUDE is not in the Vagrantfile"
    return re.findall(r'"([^"]+)"', listed.group(1))


@pytest.mark.parametrize("instances", ["1", "3"])
def test_vagrant_validate(instances: str, tmp_path: Path) -> None:
    if shutil.which("vagrant") is None:  # looked up when the test runs: CI installs it beside the tests
        pytest.skip("vagrant is not installed (apt-get install vagrant)")
    env = {
        **os.environ,
        "OFFLOAD_INSTANCES": instances,
        "VAGRANT_HOME": str(tmp_path),
        # Its .vagrant/ (rgloader) in the test's own folder, not the checkout beside a parallel worker's.
        "VAGRANT_DOTFILE_PATH": str(tmp_path / ".vagrant"),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
    }
    done = subprocess.run(["vagrant", "validate"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    if "No usable default provider" in done.stderr:
        # vagrant without a hypervisor plugin (Debian's without its recommended vagrant-libvirt) refuses to
        # validate at all: everything but the provider blocks is still checked.
        done = subprocess.run(
            ["vagrant", "validate", "--ignore-provider"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stdout + done.stderr


def test_vagrant_logs_show_the_activation_code_scrubbed(tmp_path: Path) -> None:
    """Vagrant logs each command with its `env:` values (plugins/communicators/ssh/communicator.rb, "Execute:");
    a line logged after the Vagrantfile's own must come out scrubbed."""
    vagrant = shutil.which("vagrant")
    if vagrant is None:
        pytest.skip("vagrant is not installed (apt-get install vagrant)")
    (tmp_path / "bootstrap").mkdir()
    shutil.copy2(REPO / "bootstrap" / "register-instance.sh", tmp_path / "bootstrap")
    logged = 'Log4r::Logger.new("vagrant::offload_test").info("activation code: #{ENV["OFFLOAD_ACTIVATION_CODE"]}")'
    (tmp_path / "Vagrantfile").write_text(f"{TEXT}\n{logged}\n")
    code = "AbCdEf0123456789wxyz"
    env = {
        **os.environ,
        "OFFLOAD_ACTIVATION_CODE": code,
        "VAGRANT_LOG": "info",
        "VAGRANT_HOME": str(tmp_path / "home"),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
    }
    done = subprocess.run(
        [vagrant, "validate", "--ignore-provider"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "activation code: *****" in done.stderr and code not in done.stdout + done.stderr


def test_registration_travels_in_env_never_in_args() -> None:
    provision = re.search(r'node\.vm\.provision "register", type: "shell",(.*?)\n\n', TEXT, re.S)
    assert provision, "the register provisioner is missing"
    settings = provision.group(1)
    assert 'path: "bootstrap/register-instance.sh"' in settings and "env: REGISTRATION_ENV" in settings
    assert "args" not in settings
    names = re.search(r"REGISTRATION_ENV = %w\[(.*?)\]", TEXT, re.S).group(1).split()  # type: ignore[union-attr]
    for name in (
        "OFFLOAD_REGION",
        "OFFLOAD_CLUSTER",
        "OFFLOAD_ACTIVATION_ID",
        "OFFLOAD_ACTIVATION_CODE",
        "OFFLOAD_INSTANCE_ATTRIBUTES",
        "HTTP_PROXY",
        "NO_PROXY",
    ):
        assert name in names


def test_the_uploaded_script_is_told_where_its_pin_is_in_the_synced_folder() -> None:
    """Vagrant uploads `path:` alone to /tmp/vagrant-shell: the pin must be named, in the synced folder."""
    provisioner = register_provisioner({})
    assert provisioner.upload_path == "/tmp/vagrant-shell" and provisioner.guest_repo == "/vagrant"
    pin = provisioner.env["OFFLOAD_INSTALL_PIN"]
    assert pin == "/vagrant/bootstrap/ecs-anywhere-install.pin"
    assert (REPO / Path(pin).relative_to(provisioner.guest_repo)).is_file()
    assert "bootstrap/" not in _sync_excludes()


def test_destroy_deregisters_first_on_the_guest_and_from_the_host() -> None:
    trigger = re.search(r"node\.trigger\.before :destroy do \|trigger\|(.*?)\n      end", TEXT, re.S)
    assert trigger, "no before-destroy trigger"
    body = trigger.group(1)
    assert 'run_remote = { inline: "sudo #{GUEST_REPO}/bootstrap/register-instance.sh --deregister" }' in body
    assert "cleanup --apply --computer-name #{name}" in body and "on_error = :continue" in body


def test_box_is_pinned_and_both_providers_are_configured() -> None:
    assert re.search(r'BOX = "bento/ubuntu-22\.04"', TEXT) and re.search(r'BOX_VERSION = "\d+\.\d+\.\d+"', TEXT)
    assert 'config.vm.provider "virtualbox"' in TEXT and 'config.vm.provider "libvirt"' in TEXT
    assert 'ENV.fetch("OFFLOAD_INSTANCES", "1")' in TEXT and "(1..INSTANCES).each" in TEXT


def test_the_synced_folder_leaves_terraform_state_variables_and_overrides_on_the_host(tmp_path: Path) -> None:
    """The excludes as rsync itself applies them (Vagrant passes each as --exclude): state (it holds
    the activation code), .terraform/, *.tfvars and *_override.tf stay off every VM, at any depth."""
    assert re.search(r'synced_folder "\.", GUEST_REPO, type: "rsync", rsync__exclude: SYNC_EXCLUDE\b', TEXT)
    excludes = _sync_excludes()
    tree = tmp_path / "repo"
    kept = ["terraform/main.tf", "terraform/modules/activation/main.tf", "bootstrap/ecs-anywhere-install.pin"]
    secret = [
        "terraform/terraform.tfstate",
        "terraform/terraform.tfstate.backup",
        "terraform/errored.tfstate",
        "terraform/.terraform/terraform.tfstate",
        "terraform/prod.tfvars",
        "terraform/site.auto.tfvars.json",
        "terraform/backend_override.tf",
        ".twin/stack/terraform.tfstate",
    ]
    for name in kept + secret:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("x")
    guest = tmp_path / "guest"
    rsync = ["rsync", "-a", *(f"--exclude={pattern}" for pattern in excludes), f"{tree}/", str(guest)]
    subprocess.run(rsync, check=True, capture_output=True, timeout=30)
    synced = sorted(str(p.relative_to(guest)) for p in guest.rglob("*") if p.is_file())
    assert synced == sorted(kept)
