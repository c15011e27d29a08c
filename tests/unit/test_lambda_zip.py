"""The dispatcher zip's dependencies: installed only from lambda/requirements-zip.txt with their hashes
checked, and that file pins exactly what lambda/pyproject.toml and the packages themselves require."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from offload.lib.build import lambda_zip
from offload.lib.paths import repo_root
from packaging.requirements import Requirement

LOCK = repo_root() / "lambda" / "requirements-zip.txt"


def _entries(text: str) -> dict[str, tuple[str, list[str]]]:
    """{name: (version, hashes)} of each `name==version \\ --hash=...` entry."""
    joined = text.replace("\\\n", " ")
    found = {}
    for line in joined.splitlines():
        if line.strip() and not line.startswith("#"):
            pin, *options = line.split()
            name, version = pin.split("==")
            found[name.lower()] = (version, [o.removeprefix("--hash=") for o in options])
    return found


def test_the_hashes_file_pins_the_bundled_requirements_and_everything_they_need() -> None:
    entries = _entries(LOCK.read_text())
    needed: dict[str, list[Requirement]] = {}
    queue = [Requirement(r) for r in lambda_zip.bundled_requirements()]
    while queue:  # the closure, as the installed packages' own metadata declares it (no extras)
        requirement = queue.pop()
        name = requirement.name.lower().replace("_", "-")
        needed.setdefault(name, []).append(requirement)
        if len(needed[name]) == 1:
            for declared in importlib.metadata.requires(name) or []:
                parsed = Requirement(declared)
                if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                    queue.append(parsed)
    assert sorted(entries) == sorted(needed)
    for name, (version, hashes) in entries.items():
        assert all(version in r.specifier for r in needed[name]), f"{name}=={version} does not meet {needed[name]}"
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), name


def test_a_pin_that_no_longer_matches_pyproject_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lambda").mkdir()
    shutil.copy(repo_root() / "lambda" / "pyproject.toml", tmp_path / "lambda")
    (tmp_path / "lambda" / "requirements-zip.txt").write_text(
        LOCK.read_text().replace("aws-lambda-powertools==3.37.0", "aws-lambda-powertools==3.36.0")
    )
    monkeypatch.setenv("OFFLOAD_REPO", str(tmp_path))
    with pytest.raises(lambda_zip.LockOutOfDate, match=r"does not pin aws-lambda-powertools==3.37.0 .*regenerate"):
        lambda_zip.build(tmp_path / "dispatcher.zip")


def test_a_wheel_whose_hash_differs_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip itself checks the hashes: one wrong digest and nothing is installed (from pip's cache or the index)."""
    (tmp_path / "lambda").mkdir()
    shutil.copy(repo_root() / "lambda" / "pyproject.toml", tmp_path / "lambda")
    text = LOCK.read_text()
    good = re.search(r"jmespath==\S+ \\\n\s+--hash=sha256:([0-9a-f]{64})", text)
    assert good
    (tmp_path / "lambda" / "requirements-zip.txt").write_text(text.replace(good.group(1), "0" * 64))
    monkeypatch.setenv("OFFLOAD_REPO", str(tmp_path))
    with pytest.raises(subprocess.CalledProcessError):
        lambda_zip.build(tmp_path / "dispatcher.zip")
    assert not (tmp_path / "dispatcher.zip").exists() and not list((tmp_path / "build").glob("lambda-deps/*"))
