"""Build the worker image offline: wheels made on the host for the base's Python, installed with --no-index.

A container's pip cannot reach a package index everywhere (no registry, TLS interception),
so the host's pip builds every wheel and the Dockerfile only installs them. Pure-Python
wheels install anywhere; a compiled one (PyYAML, rpds-py) is built for the host's Python, so
when the base's differs (asked of its python3, with no network) the host's pip downloads
that pinned version's wheel for the base (wheel_targets). A base like the host's needs no
download. The tag is a hash of what goes in (sources, pins, the base and its Python), so two
builds of different trees or for different bases never share one.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import docker
import docker.errors

from offload.lib.build import wheel_targets
from offload.lib.build.base_image import has_image
from offload.lib.build.wheel_targets import Target
from offload.lib.paths import repo_root

REPOSITORY = "offload-worker"
DOCKERFILE = "worker/Dockerfile"
# Sources of the two wheels; everything else in their folders is build output.
_PACKAGES = ("contract", "worker")
_SKIP_PARTS = {"__pycache__", "build", "dist"}
STALE_WHEELS_SECONDS = 3600
_PROBE_LABEL = {"offload.build": "base-python"}
# A requirement's name, unless only an extra asks for it (`...; extra == "x"`).
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?!.*\bextra\s*==)")


class ImageBuildError(RuntimeError):
    """The worker image did not build: the last line of the build says why."""


def _wheel_sources(root: Path) -> list[Path]:
    found = []
    for package in _PACKAGES:
        for path in (root / package).rglob("*"):
            relative = path.relative_to(root / package)
            if not path.is_file() or _SKIP_PARTS.intersection(relative.parts) or path.suffix == ".pyc":
                continue
            if any(part.endswith(".egg-info") for part in relative.parts) or path.name == "Dockerfile":
                continue
            found.append(path)
    return sorted(found)


def constraints() -> str:
    """Pin the worker's dependencies to the versions installed here: the image runs what the tests ran.

    Only the worker's own dependency closure, so installing an unrelated tool does not rebuild it.
    """
    pins: dict[str, str] = {}
    todo = ["offload-worker"]
    while todo:
        name = _normal(todo.pop())
        if name in pins:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        pins[name] = dist.version
        todo += [_normal(match[0]) for req in dist.requires or [] if (match := _REQUIREMENT.match(req))]
    return "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()) if not name.startswith("offload"))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _digest(parts: Iterable[bytes]) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(hashlib.sha256(part).digest())
    return hasher.hexdigest()[:16]


def wheels_key(root: Path, pins: str, target: Target) -> str:
    sources = _wheel_sources(root)
    files = (str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() for p in sources)
    return _digest([pins.encode(), target.key().encode(), *files])


def build_wheels(python: Target, root: Path | None = None) -> Path:
    """`pip wheel ./contract ./worker` into build/wheels/<key>/, compiled ones swapped for `python`'s.

    Reused while the sources, pins and target are unchanged.
    """
    root = root or repo_root()
    pins = constraints()
    parent = root / "build" / "wheels"
    wheels_dir = parent / wheels_key(root, pins, python)
    parent.mkdir(parents=True, exist_ok=True)
    with (parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        drop_unused_wheel_sets(parent)
        if wheels_dir.is_dir():
            wheels_dir.touch()  # in use: not dropped for another hour
            return wheels_dir
        with tempfile.TemporaryDirectory(dir=parent, prefix="staging-") as work:
            pinned = Path(work) / "constraints.txt"
            pinned.write_text(pins)
            staging = Path(work) / "wheels"
            command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(staging)]
            result = subprocess.run(
                [*command, "--constraint", str(pinned), "./contract", "./worker"],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise ImageBuildError(f"pip wheel failed: {_last_line(result.stderr or result.stdout)}")
            try:
                wheel_targets.retarget(staging, python)
            except wheel_targets.NoWheelForBase as error:
                raise ImageBuildError(str(error)) from None
            staging.rename(wheels_dir)
    return wheels_dir


def drop_unused_wheel_sets(parent: Path) -> None:
    """Every set under build/wheels/ rides along in the build context: drop those unused for an hour."""
    cutoff = time.time() - STALE_WHEELS_SECONDS
    for other in parent.iterdir():
        if other.is_dir() and not other.name.startswith("staging-") and other.stat().st_mtime < cutoff:
            shutil.rmtree(other, ignore_errors=True)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def image_tag(base_id: str, wheels: Path, dockerfile: bytes, python: Target) -> str:
    return _digest([base_id.encode(), dockerfile, wheels.name.encode(), python.key().encode()])


def base_python(client: docker.DockerClient, base_image: str) -> Target:
    """The base's python3, asked in a container with no network (its entrypoint replaced), removed after."""
    container = client.containers.create(
        base_image, ["-c", wheel_targets.PROBE], entrypoint="python3", network_mode="none", labels=_PROBE_LABEL
    )
    try:
        container.start()
        code = int(container.wait(timeout=60)["StatusCode"])
        said = container.logs(stdout=True, stderr=code != 0).decode()
    except docker.errors.APIError as error:  # no python3 to start
        code, said = -1, str(error.explanation or error)
    finally:
        container.remove(force=True)
    if code != 0:
        reason = _last_line(said)
        raise ImageBuildError(f"BASE_IMAGE {base_image}: python3 did not run ({reason}): use a base with python3")
    return Target.parse(said)


def build_worker_image(
    client: docker.DockerClient, base_image: str, repository: str = REPOSITORY, root: Path | None = None
) -> str:
    """Build worker/Dockerfile on `base_image` with no network; returns `repository:tag`.

    docker-py's build is the classic builder and sends the repo root as the context,
    filtered by its .dockerignore (the wheels directory goes in, Terraform state does not).
    """
    root = root or repo_root()
    python = base_python(client, base_image)
    wheels = build_wheels(python, root)
    base = client.images.get(base_image)
    name = f"{repository}:{image_tag(str(base.id), wheels, (root / DOCKERFILE).read_bytes(), python)}"
    if has_image(client, name):
        return name
    try:
        client.images.build(
            path=str(root),
            dockerfile=DOCKERFILE,
            tag=name,
            buildargs={"BASE_IMAGE": base_image, "WHEELS": wheels.relative_to(root).as_posix()},
            network_mode="none",  # proves the build needs no network
            pull=False,
            rm=True,
            forcerm=True,
        )
    except docker.errors.BuildError as error:
        raise ImageBuildError(f"worker image build failed: {_last_line(str(error))}") from None
    return name
