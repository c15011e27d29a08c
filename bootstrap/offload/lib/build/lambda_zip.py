"""Build the dispatcher's Lambda zip in Python, byte-for-byte reproducibly.

No archive provider is available offline, and Terraform's source_code_hash
must not change when the code has not: fixed timestamps, modes and order.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from offload.lib.paths import build_dir, repo_root

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP_PARTS = {"__pycache__", "bin"}


def _pinned_dependencies() -> list[str]:
    """Requirements to bundle: the dispatcher's, less boto3 (the runtime has it) and our own packages."""
    project = tomllib.loads((repo_root() / "lambda" / "pyproject.toml").read_text())["project"]
    return [d for d in project["dependencies"] if not d.startswith(("boto3", "offload-"))]


def _dependencies_dir() -> Path:
    requirements = _pinned_dependencies()
    tag = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
    target = build_dir() / "lambda-deps" / tag
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
                "--target",
                str(staging),
                *requirements,
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
