"""Wheels for the base image's Python, not the host's.

The host's pip builds every wheel for the host's interpreter; a compiled one (PyYAML, rpds-py)
only installs on a base with the same Python, machine and libc. Each wheel the base cannot
install is swapped for the same pinned version's wheel for the base, from the index pip is
configured with (pip download --python-version/--abi/--platform, as pip's docs describe for
"an interpreter and system other than the ones that pip is running on"). PyPA's packaging
decides compatibility, as pip does at install.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag
from packaging.utils import parse_wheel_filename

# Run by the base's python3: what its wheels must match.
PROBE = (
    "import json, platform, sys, sysconfig;"
    "print(json.dumps({'implementation': sys.implementation.name, 'python': '%d.%d' % sys.version_info[:2],"
    " 'abiflags': getattr(sys, 'abiflags', ''), 'platform': sysconfig.get_platform(),"
    " 'glibc': platform.libc_ver()[1] if platform.libc_ver()[0] == 'glibc' else ''}))"
)
# glibc versions with a legacy manylinux name (PEP 599, 571, 513); x86 wheels go back to 2.5.
_LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
_OLDEST_GLIBC_MINOR = {"x86_64": 5, "i686": 5}


class NoWheelForBase(RuntimeError):
    """A compiled wheel the base needs cannot be had: the message says which and what to do."""


@dataclass(frozen=True)
class Target:
    """The interpreter the image installs into: `python` is X.Y, `platform` sysconfig's (linux-x86_64)."""

    implementation: str
    python: str
    abiflags: str
    platform: str
    glibc: str

    @classmethod
    def parse(cls, probe_output: str) -> Target:
        fields = json.loads(probe_output.strip().splitlines()[-1])
        return cls(**{name: str(fields[name]) for name in cls.__dataclass_fields__})

    @property
    def machine(self) -> str:
        return self.platform.split("-", 1)[-1].replace("-", "_").replace(".", "_")

    @property
    def abi(self) -> str:
        return f"cp{self.python.replace('.', '')}{self.abiflags}"

    def describe(self) -> str:
        libc = f"glibc {self.glibc}" if self.glibc else "no glibc"
        return f"{self.implementation} {self.python}{self.abiflags} on {self.platform} ({libc})"

    def key(self) -> str:
        """What the wheels depend on, for the wheels' and the image's hashes."""
        return "/".join([self.implementation, self.python, self.abiflags, self.platform, self.glibc])

    def manylinux_platforms(self) -> list[str]:
        """Newest first, as packaging's _manylinux lists them for a glibc: manylinux_2_<y>_<m> and legacy names."""
        if not self.glibc.startswith("2."):
            return []
        found = []
        for minor in range(int(self.glibc.split(".")[1]), _OLDEST_GLIBC_MINOR.get(self.machine, 17) - 1, -1):
            found.append(f"manylinux_2_{minor}_{self.machine}")
            if minor in _LEGACY_MANYLINUX and (minor == 17 or self.machine in _OLDEST_GLIBC_MINOR):
                found.append(f"{_LEGACY_MANYLINUX[minor]}_{self.machine}")
        return found

    def tags(self) -> set[Tag]:
        """Every tag pip on this interpreter installs (a wheel built on a same-platform Linux: linux_<m>)."""
        version = tuple(int(part) for part in self.python.split("."))
        platforms = [*self.manylinux_platforms(), f"linux_{self.machine}"]
        if self.implementation != "cpython":
            return set(compatible_tags(version, None, platforms))
        interpreter = f"cp{self.python.replace('.', '')}"
        return set(cpython_tags(version, [self.abi], platforms)) | set(compatible_tags(version, interpreter, platforms))


def installs_on(wheel: Path, target: Target) -> bool:
    return not parse_wheel_filename(wheel.name)[3].isdisjoint(target.tags())


def host_only(pins: str, target: Target) -> list[str]:
    """The pins whose wheel installed here the target cannot install: what a build would swap (for --dry-run)."""
    found = []
    for pin in pins.splitlines():
        wheel = metadata.distribution(pin.split("==")[0]).read_text("WHEEL") or ""
        tags = {tag for line in wheel.splitlines() if line.startswith("Tag: ") for tag in parse_tag(line[5:])}
        if tags.isdisjoint(target.tags()):
            found.append(pin)
    return found


def download_command(target: Target, requirement: str, dest: Path) -> list[str]:
    """The target's binary wheel of exactly `requirement`, nothing else (--no-deps)."""
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    command += ["--only-binary", ":all:", "--no-deps", "--python-version", target.python, "--implementation", "cp"]
    free_threaded = "t" in target.abiflags  # abi3 does not apply there
    abis = [target.abi, "none"] if free_threaded else [target.abi, "abi3", "none"]
    command += [word for abi in abis for word in ("--abi", abi)]
    command += [word for platform in target.manylinux_platforms() for word in ("--platform", platform)]
    return [*command, "--dest", str(dest), requirement]


def retarget(wheels: Path, target: Target) -> list[str]:
    """Swap each wheel in `wheels` the target cannot install for its own; returns the swapped `name==version`.

    Wheels it can install (pure Python, or built for the same interpreter) stay: a base like the
    host's downloads nothing.
    """
    swapped = []
    for wheel in sorted(wheels.glob("*.whl")):
        if installs_on(wheel, target):
            continue
        name, version, _, _ = parse_wheel_filename(wheel.name)
        requirement = f"{name}=={version}"
        where = f"for the base's {target.describe()}"
        if target.implementation != "cpython" or not target.glibc:
            raise NoWheelForBase(f"{requirement} is compiled and the host cannot fetch it {where}: {_ADVICE}")
        result = subprocess.run(
            download_command(target, requirement, wheels), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            reason = _last_line(result.stderr or result.stdout)
            raise NoWheelForBase(f"no {requirement} wheel {where} ({reason}): {_ADVICE}")
        wheel.unlink()
        swapped.append(requirement)
    return swapped


_ADVICE = (
    f"use a BASE_IMAGE with the host's Python {sys.version_info.major}.{sys.version_info.minor} on "
    f"{sysconfig.get_platform()} (make image BASE_IMAGE=...), or make an index that has the wheel reachable "
    "(PIP_INDEX_URL or PIP_FIND_LINKS)"
)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
