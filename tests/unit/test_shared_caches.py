"""What the checkout's caches hold is made under a file lock, so processes beside each other (make test's
parallel workers, a demo during the tests) make it once and never read it half made."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docker.errors
import pytest
from offload.lib.build import base_image as bases
from offload.lib.build import lambda_zip
from offload.lib.build import worker_image as workers
from offload.lib.build.wheel_targets import Target
from offload.lib.paths import repo_root, tools_dir
from offload.lib.terraform import module_tests
from offload.lib.terraform.runner import Runner
from offload.lib.terraform.targets import Workspace


def _locked(path: Path) -> bool:
    """Whether some open file holds the flock on `path` (another open file of it cannot take it)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


INIT_LOCK = tools_dir() / "terraform-init.lock"


def test_the_stacks_terraform_init_fills_the_plugin_cache_under_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lambda_zip, "build", lambda out=None: tmp_path / "unused.zip")
    runner = Runner(Workspace("twin", tmp_path, {}), quiet=True)
    seen: dict[str, bool] = {}

    def run(command: str, *args: Any, **options: Any) -> int:
        seen[command] = _locked(INIT_LOCK)
        return 0

    monkeypatch.setattr(runner, "_run", run)
    monkeypatch.setattr(runner, "outputs", dict)
    runner.init()
    assert seen == {"init": True}
    assert not _locked(INIT_LOCK)  # released after


def test_a_module_test_inits_under_the_lock_and_tests_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, bool]] = []
    real_run = subprocess.run

    def run(command: list[str], **options: Any) -> Any:
        if not command[1].startswith("-chdir="):  # `terraform version`, finding the binary
            return real_run(command, **options)
        seen.append((command[2], _locked(INIT_LOCK)))
        return SimpleNamespace(returncode=0, stdout="", stderr="")

    monkeypatch.setattr(subprocess, "run", run)
    assert module_tests.run("storage").code == 0
    assert seen == [("init", True), ("test", False)]


def test_the_lambda_dependencies_install_once_under_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lambda").mkdir()
    for name in ("pyproject.toml", "requirements-zip.txt"):
        shutil.copy(repo_root() / "lambda" / name, tmp_path / "lambda")
    monkeypatch.setenv("OFFLOAD_REPO", str(tmp_path))
    installs: list[bool] = []

    def pip(command: list[str], **options: Any) -> None:
        target = Path(command[command.index("--target") + 1])
        installs.append(_locked(tmp_path / "build" / ".lambda-deps.lock"))
        target.mkdir(parents=True)  # as pip does

    monkeypatch.setattr(subprocess, "run", pip)
    first, again = lambda_zip._dependencies_dir(), lambda_zip._dependencies_dir()
    assert first == again and first.is_dir() and installs == [True]


def test_the_worker_image_builds_under_the_lock_and_a_second_caller_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "worker").mkdir()
    (tmp_path / "worker" / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.setattr(
        workers, "base_python", lambda client, base: Target("cpython", "3.11", "", "linux-x86_64", "2.36")
    )
    monkeypatch.setattr(workers, "build_wheels", lambda python, root=None: tmp_path / "build" / "wheels" / "key")
    built: list[tuple[str, bool]] = []

    class Images:
        def get(self, name: str) -> SimpleNamespace:
            if name != "base" and name not in [tag for tag, _ in built]:
                raise docker.errors.ImageNotFound(name)
            return SimpleNamespace(id="sha256:base")

        def build(self, tag: str, **options: Any) -> None:
            built.append((tag, _locked(tmp_path / "build" / ".worker-image.lock")))

    client: Any = SimpleNamespace(images=Images())
    first = workers.build_worker_image(client, "base", root=tmp_path)
    assert workers.build_worker_image(client, "base", root=tmp_path) == first
    assert built == [(first, True)]


def test_the_base_image_imports_under_the_lock_and_a_second_caller_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        bases, "rootfs_tarball", lambda mirror=None, cache=None, suite=None: tmp_path / "bookworm-x.tar"
    )
    imported: list[tuple[str, bool]] = []

    def get(name: str) -> object:
        if name not in [image for image, _ in imported]:
            raise docker.errors.ImageNotFound(name)
        return object()

    def import_image_from_file(path: str, repository: str, tag: str, **options: Any) -> None:
        imported.append((f"{repository}:{tag}", _locked(tmp_path / ".import.lock")))

    client: Any = SimpleNamespace(
        images=SimpleNamespace(get=get), api=SimpleNamespace(import_image_from_file=import_image_from_file)
    )
    first = bases.ensure_base_image(client, "http://mirror.example/debian")
    assert bases.ensure_base_image(client, "http://mirror.example/debian") == first
    assert imported == [(first, True)]
