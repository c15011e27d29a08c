"""The image's wheels are for the base's Python: compiled host wheels swapped, none fetched for a host-like base."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from offload.lib.build import image, wheel_targets, worker_image
from offload.lib.build.wheel_targets import Target
from offload.lib.build.worker_image import ImageBuildError

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST_ABI = f"cp{sys.version_info.major}{sys.version_info.minor}"
HOST_PLATFORM = sysconfig.get_platform().replace("-", "_")  # linux_x86_64: any host, any machine
PY312_X86 = Target("cpython", "3.12", "", "linux-x86_64", "2.36")
# What the host's pip wheel makes for the worker: pure wheels, and two compiled for the host's Python.
HOST_WHEELS = (
    "boto3-1.44.8-py3-none-any.whl",
    "offload_worker-0.1.0-py3-none-any.whl",
    f"pyyaml-6.0.4-{HOST_ABI}-{HOST_ABI}-{HOST_PLATFORM}.whl",
    f"rpds_py-2026.9.1-{HOST_ABI}-{HOST_ABI}-{HOST_PLATFORM}.whl",
)


class FakePip:
    """subprocess.run for `pip wheel` (writes HOST_WHEELS) and `pip download` (writes the target's wheel, or fails)."""

    def __init__(self, missing: str = "") -> None:
        self.downloads: list[list[str]] = []
        self.missing = missing

    def __call__(self, command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        if command[3] == "wheel":
            out = Path(command[command.index("--wheel-dir") + 1])
            out.mkdir(parents=True)
            for name in HOST_WHEELS:
                (out / name).write_text("host")
            return subprocess.CompletedProcess(command, 0, "", "")
        assert command[3] == "download", command
        self.downloads.append(command)
        requirement = command[-1]
        if requirement == self.missing:
            stderr = f"ERROR: Could not find a version\nERROR: No matching distribution found for {requirement}\n"
            return subprocess.CompletedProcess(command, 1, "", stderr)
        name, version = requirement.replace("-", "_").split("==")
        abi = f"cp{command[command.index('--python-version') + 1].replace('.', '')}"
        dest = Path(command[command.index("--dest") + 1])
        (dest / f"{name}-{version}-{abi}-{abi}-manylinux_2_17_x86_64.manylinux2014_x86_64.whl").write_text("base")
        return subprocess.CompletedProcess(command, 0, "", "")


@pytest.fixture
def pip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakePip:
    fake = FakePip()
    monkeypatch.setattr(subprocess, "run", fake)
    return fake


# The real probe, run by this interpreter: what a base with the host's Python reports.
HOST = Target.parse(subprocess.run([sys.executable, "-c", wheel_targets.PROBE], capture_output=True, text=True).stdout)


def test_a_base_with_another_python_gets_the_bases_wheels_of_the_same_pins(pip: FakePip, tmp_path: Path) -> None:
    wheels = worker_image.build_wheels(PY312_X86, tmp_path)
    assert sorted(p.name for p in wheels.iterdir()) == [
        "boto3-1.44.8-py3-none-any.whl",
        "offload_worker-0.1.0-py3-none-any.whl",
        "pyyaml-6.0.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "rpds_py-2026.9.1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ]
    assert [command[-1] for command in pip.downloads] == ["pyyaml==6.0.4", "rpds-py==2026.9.1"]


def test_a_base_with_the_hosts_python_downloads_nothing(pip: FakePip, tmp_path: Path) -> None:
    wheels = worker_image.build_wheels(HOST, tmp_path)
    assert sorted(p.name for p in wheels.iterdir()) == sorted(HOST_WHEELS) and pip.downloads == []
    assert wheel_targets.retarget(wheels, HOST) == []


def test_the_download_asks_for_exactly_the_bases_binary_wheel(tmp_path: Path) -> None:
    arm = Target("cpython", "3.13", "", "linux-aarch64", "2.28")
    platforms = [f"manylinux_2_{minor}_aarch64" for minor in range(28, 16, -1)] + ["manylinux2014_aarch64"]
    assert wheel_targets.download_command(arm, "pyyaml==6.0.4", tmp_path) == [
        sys.executable,
        *("-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary", ":all:", "--no-deps"),
        *("--python-version", "3.13", "--implementation", "cp", "--abi", "cp313", "--abi", "abi3", "--abi", "none"),
        *(word for platform in platforms for word in ("--platform", platform)),
        *("--dest", str(tmp_path), "pyyaml==6.0.4"),
    ]
    x86 = wheel_targets.download_command(PY312_X86, "x==1", tmp_path)
    assert {"manylinux_2_36_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"} <= set(x86)


def test_a_wheel_the_index_lacks_is_one_line_naming_it_the_base_and_what_to_do(pip: FakePip, tmp_path: Path) -> None:
    pip.missing = "rpds-py==2026.9.1"
    with pytest.raises(ImageBuildError) as raised:
        worker_image.build_wheels(PY312_X86, tmp_path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(
        "no rpds-py==2026.9.1 wheel for the base's cpython 3.12 on linux-x86_64 (glibc 2.36)"
        " (ERROR: No matching distribution found for rpds-py==2026.9.1): use a BASE_IMAGE with the host's Python"
    )
    assert message.endswith("(PIP_INDEX_URL or PIP_FIND_LINKS)")
    assert not list((tmp_path / "build" / "wheels").glob("[0-9a-f]*"))  # nothing half-made is kept


def test_a_compiled_wheel_for_a_base_without_glibc_is_one_line(pip: FakePip, tmp_path: Path) -> None:
    musl = Target("cpython", "3.12", "", "linux-x86_64", "")
    with pytest.raises(ImageBuildError, match=r"^pyyaml==6\.0\.4 is compiled .* \(no glibc\): use a BASE_IMAGE"):
        worker_image.build_wheels(musl, tmp_path)
    assert pip.downloads == []


def test_the_wheels_and_the_image_tag_follow_the_bases_python(tmp_path: Path) -> None:
    (tmp_path / "worker").mkdir()
    (tmp_path / "worker" / "pyproject.toml").write_text("1")
    py313 = Target("cpython", "3.13", "", "linux-x86_64", "2.41")
    assert worker_image.wheels_key(tmp_path, "x==1\n", PY312_X86) != worker_image.wheels_key(tmp_path, "x==1\n", py313)
    wheels = tmp_path / "k"
    assert worker_image.image_tag("sha256:b", wheels, b"F", PY312_X86) != worker_image.image_tag(
        "sha256:b", wheels, b"F", py313
    )


class FakeContainer:
    def __init__(self, code: int, logs: str) -> None:
        self.code, self.output, self.removed = code, logs, False

    def start(self) -> None:
        pass

    def wait(self, timeout: int) -> dict[str, int]:
        return {"StatusCode": self.code}

    def logs(self, stdout: bool, stderr: bool) -> bytes:
        return self.output.encode()

    def remove(self, force: bool) -> None:
        self.removed = force


class FakeClient:
    def __init__(self, container: FakeContainer) -> None:
        self.container: FakeContainer = container
        self.created: dict[str, Any] = {}
        self.containers = self

    def create(self, image_name: str, command: list[str], **options: Any) -> FakeContainer:
        self.created = {"image": image_name, "command": command, **options}
        return self.container


def test_the_bases_python_is_asked_with_no_network_in_a_container_removed_after() -> None:
    fields = {"implementation": "cpython", "python": "3.13", "abiflags": "", "platform": "linux-aarch64"}
    client = FakeClient(FakeContainer(0, json.dumps({**fields, "glibc": "2.41"}) + "\n"))
    found = worker_image.base_python(client, "debian-trixie:1")
    assert found == Target("cpython", "3.13", "", "linux-aarch64", "2.41")
    assert client.created["command"] == ["-c", wheel_targets.PROBE] and client.created["entrypoint"] == "python3"
    assert client.created["network_mode"] == "none" and client.container.removed


def test_a_base_whose_python3_fails_is_one_line() -> None:
    client = FakeClient(FakeContainer(1, "Traceback (most recent call last):\nSyntaxError: invalid syntax\n"))
    with pytest.raises(ImageBuildError) as raised:
        worker_image.base_python(client, "odd:1")
    assert str(raised.value) == (
        "BASE_IMAGE odd:1: python3 did not run (SyntaxError: invalid syntax): use a base with python3"
    )
    assert client.container.removed


def test_dry_run_for_the_default_base_shows_the_downloads_it_would_make(tmp_path: Path) -> None:
    steps = image.plan(None, tag="t", root=tmp_path).commands()
    downloads = [step for step in steps if step[3:4] == ["download"]]
    pins = dict(line.split("==") for line in worker_image.constraints().splitlines())
    if sys.version_info[:2] == (3, 12):
        assert downloads == []
    else:  # the venv's PyYAML and rpds-py are compiled for this Python, not the default base's 3.12
        assert [step[-1] for step in downloads] == [f"pyyaml=={pins['pyyaml']}", f"rpds-py=={pins['rpds-py']}"]
        assert all(step[step.index("--python-version") + 1] == "3.12" for step in downloads)
