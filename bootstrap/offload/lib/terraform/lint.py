"""`offload lint-terraform`: fmt, validate (the twin's copy: offline) and checkov, as commands to run."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable

from offload.lib.paths import terraform_dir, tools_dir
from offload.lib.terraform import targets, tooling


class LintFailed(RuntimeError):
    """str() names the step that failed and its exit code."""


def steps() -> tuple[list[list[str]], dict[str, str], bool]:
    """(commands, environment, whether checkov is among them)."""
    binary, _version = tooling.ensure_terraform()
    twin = targets.for_target("twin")
    env = {**twin.env, "AWS_ENDPOINT_URL": ""}
    commands = [
        [binary, "fmt", "-check", "-recursive", "-diff", str(terraform_dir())],
        [binary, f"-chdir={twin.workdir}", "init", "-backend=false", "-input=false", "-no-color"],
        [binary, f"-chdir={twin.workdir}", "validate", "-no-color"],
    ]
    own = tools_dir() / "checkov" / "bin"  # where `make lint` installs it, apart from the project's venv
    checkov = shutil.which("checkov", path=str(own)) or shutil.which("checkov")
    if checkov:
        commands.append(
            [checkov, "--quiet", "--compact", "--skip-download", "-d", str(terraform_dir()), "--framework", "terraform"]
        )
    return commands, env, checkov is not None


def run(warn: Callable[[str], None]) -> None:
    commands, env, has_checkov = steps()
    if not has_checkov:
        warn("offload: checkov not installed; `make lint` installs it")
    for step in commands:
        code = subprocess.run(step, env={**os.environ, **env}, check=False).returncode
        if code != 0:
            raise LintFailed(f"{' '.join(step[:3])} failed (exit {code})")
