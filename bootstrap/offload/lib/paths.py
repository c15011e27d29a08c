"""Where things live in a checkout. The CLI runs from the repo (make) or any cwd."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    env = os.environ.get("OFFLOAD_REPO")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "terraform").is_dir() and (parent / "Makefile").is_file():
            return parent
    return Path.cwd()


def terraform_dir() -> Path:
    return repo_root() / "terraform"


def tools_dir() -> Path:
    return repo_root() / ".tools"


def twin_dir() -> Path:
    """The twin's Terraform copy and state (OFFLOAD_TWIN_DIR moves it, e.g. for tests)."""
    return Path(os.environ.get("OFFLOAD_TWIN_DIR") or repo_root() / ".twin")


def build_dir() -> Path:
    return repo_root() / "build"
