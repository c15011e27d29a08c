"""Build the dispatcher's Lambda zip in Python, byte-for-byte reproducibly.

No archive provider is available offline, and Terraform's source_code_hash
must not change when the code has not: fixed timestamps, modes and order.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from offload.lib import file_lock
from offload.lib.paths import build_dir, repo_root

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP_PARTS = {"__pycache__", "bin"}


class LockOutOfDate(RuntimeError):
    """lambda/requirements-zip.txt no longer pins what lambda/pyproject.toml asks for."""


def lock_file() -> Path:
    return repo_root() / "lambda" / "requirements-zip.txt"


def bundled_requirements() -> list[str]:
    """Requirements to bundle: the dispatcher's, less boto3 (the runtime has it) and our own packages."""
    project = tomllib.loads((repo_root() / "lambda" / "pyproject.toml").read_text())["project"]
    return [d for d in project["dependencies"] if not d.startswith(("boto3", "offload-"))]


def _locked_pins(text: str) -> dict[str, str]:
    """{normalized name: version} of each `name==version` line of a hashes file."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, flags=re.MULTILINE)
    return {_normalized(name): version for name, version in pins}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _check_lock(text: str) -> None:
    pins = _locked_pins(text)
    for requirement in bundled_requirements():
        name, _, version = requirement.partition("==")
        if pins.get(_normalized(name)) != version:
            raise LockOutOfDate(
                f"{lock_file()} does not pin {requirement} (lambda/pyproject.toml): regenerate it as its header says"
            )


def _dependencies_dir() -> Path:
    """The locked dependencies, installed with their hashes checked (pip --require-hashes)."""
    text = lock_file().read_text()
    _check_lock(text)
    tag = hashlib.sha256(text.encode()).hexdigest()[:12]
    target = build_dir() / "lambda-deps" / tag
    if target.exists():
        return target
    with file_lock.held(build_dir() / ".lambda-deps.lock"):  # parallel test workers install it once
        if not target.exists():
            staging = target.with_suffix(".tmp")
            shutil.rmtree(staging, ignore_errors=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-compile",
                    "--require-hashes",
                    "--only-binary",
                    ":all:",
                    "--target",
                    str(staging),
                    "--requirement",
                    str(lock_file()),
                ],
                check=True,
            )
            staging.rename(target)
    return target


def _files(root: Path) -> list[tuple[str, Path]]:
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not _SKIP_PARTS.intersection(relative.parts) and path.suffix != ".pyc":
            found.append((relative.as_posix(), path))
    return found


def build(out: Path | None = None) -> Path:
    out = out or build_dir() / "dispatcher.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    entries = dict(_files(_dependencies_dir()))
    for package in (repo_root() / "lambda" / "offload_dispatch", repo_root() / "contract" / "offload_contract"):
        entries.update({f"{package.name}/{name}": path for name, path in _files(package)})
    staging = out.with_suffix(f".{os.getpid()}.tmp")  # two builds at once (parallel tests) never share one
    with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes())
    staging.replace(out)
    return out
