"""Native `terraform test` of each module (its *.tftest.hcl beside it), offline: the aws provider is
mocked (mock_provider), its schema from the newest provider mirror this machine has. Where only the
twin's 3.39 is at hand, the module is tested as the twin's copy, without the test files that
start with `# provider: >= 5`."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from offload.lib.paths import terraform_dir
from offload.lib.terraform import targets, tooling

_NEEDS_CURRENT = "# provider: >= 5"
ROOT = "root"  # terraform/ itself: its *.tftest.hcl beside main.tf, the modules with it
# What a checkout's terraform/ may hold besides the configuration: never part of the root's test copy.
_NOT_CONFIGURATION = shutil.ignore_patterns(".terraform*", "*.tfstate*", "*.tfvars", "*_override.tf", "*.tfplan")


@dataclass(frozen=True)
class ModuleTest:
    module: str
    provider: str
    code: int
    output: str


def modules() -> list[str]:
    return sorted({p.parent.name for p in (terraform_dir() / "modules").glob("*/*.tftest.hcl")})


def run(module: str) -> ModuleTest:
    """init + test in a scratch copy, so the checkout gets no .terraform or lock file; module ROOT: the
    root configuration's own tests."""
    binary, _version = tooling.ensure_terraform()
    config, provider = tooling.module_test_config()
    twin = provider == tooling.TWIN_PROVIDER_VERSION
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    with tempfile.TemporaryDirectory(prefix=f"offload-tftest-{module}-") as scratch:
        if module == ROOT:
            workdir = Path(scratch) / "terraform"  # ./tests/mocks and ./modules, as in the checkout
            shutil.copytree(terraform_dir(), workdir, ignore=_NOT_CONFIGURATION)
        else:
            workdir = Path(scratch) / "modules" / module  # beside ../../tests/mocks, as in the checkout
            shutil.copytree(terraform_dir() / "modules" / module, workdir)
            shutil.copytree(terraform_dir() / "tests", Path(scratch) / "tests")
        tests = sorted(workdir.glob("*.tftest.hcl"))
        if twin:
            env["TF_VAR_lambda_runtime"] = "python3.8"  # the newest 3.39 accepts, as the twin's stack uses
            for tf in workdir.rglob("*.tf"):
                tf.write_text(targets.strip_twin_omissions(tf.read_text()))
            tests = [t for t in tests if not t.read_text().startswith(_NEEDS_CURRENT)]
            if not tests:
                return ModuleTest(module, provider, 0, f"no test of {module} runs on provider {provider}")
        chosen = [f"-filter={t.name}" for t in tests]
        output = ""
        for step in (["init", "-backend=false", "-input=false", "-no-color"], ["test", "-no-color", *chosen]):
            with tooling.init_lock() if step[0] == "init" else contextlib.nullcontext():
                done = subprocess.run([binary, f"-chdir={workdir}", *step], env=env, capture_output=True, text=True)
            output += done.stdout + done.stderr
            if done.returncode != 0:
                return ModuleTest(module, provider, done.returncode, output)
    return ModuleTest(module, provider, 0, output)
