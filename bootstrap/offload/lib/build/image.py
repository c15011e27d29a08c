"""`make image`: build the worker image offline and push it to the stack's ECR repository
(when there is one), tagged with the git commit so a task definition names exactly one build."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import requests

from offload.lib.build import base_image as bases
from offload.lib.build import worker_image as workers
from offload.lib.build.wheel_targets import Target, download_command, host_only
from offload.lib.paths import repo_root

# Pinned by digest, as worker/Dockerfile says why and where it comes from (a test keeps the two equal).
DEFAULT_BASE_IMAGE = "python:3.12-slim-bookworm@sha256:0f5b26b9518d002b6173fd61daad821fa340635ebfec5bba471013f9ca114579"
# Its Python, for --dry-run (no engine to ask): CPython 3.12 on bookworm's glibc 2.36; the index is
# multi-platform, so an engine on this machine gets this machine's platform.
DEFAULT_BASE_PYTHON = Target("cpython", "3.12", "", sysconfig.get_platform(), "2.36")


class NoDocker(RuntimeError):
    """No Docker engine here: the image can be built anywhere docker runs."""


@dataclass(frozen=True)
class ImagePlan:
    repository_url: str | None
    tag: str
    root: Path
    base_image: str = DEFAULT_BASE_IMAGE
    python: Target | None = None  # the base's; known without an engine only for the default base

    @property
    def base_python(self) -> Target | None:
        return self.python or (DEFAULT_BASE_PYTHON if self.base_image == DEFAULT_BASE_IMAGE else None)

    @property
    def image(self) -> str:
        return f"{self.repository_url or workers.REPOSITORY}:{self.tag}"

    @property
    def registry(self) -> str | None:
        return self.repository_url.split("/", 1)[0] if self.repository_url else None

    def _build_args(self, wheels: str) -> list[str]:
        args = {"BASE_IMAGE": self.base_image, "WHEELS": wheels}
        return [word for name, value in args.items() for word in ("--build-arg", f"{name}={value}")]

    def commands(self) -> list[list[str]]:
        """What `make image` does, as CLI commands (login reads the password from stdin).

        The build itself goes through the Engine API (docker-py, classic builder): same arguments.
        A base whose Python is not known until it is asked (at build time) shows `<key>` for the wheels.
        """
        pins, python = workers.constraints(), self.base_python
        wheels = f"build/wheels/{workers.wheels_key(self.root, pins, python) if python else '<key>'}"
        build = ["docker", "build", "--file", workers.DOCKERFILE, "--network", "none", *self._build_args(wheels)]
        steps = [["pip", "wheel", "--wheel-dir", wheels, "./contract", "./worker"]]  # pinned to this venv's versions
        # Each compiled wheel built for the host's Python and not the base's: the base's own, from the index.
        steps += [download_command(python, pin, Path(wheels)) for pin in host_only(pins, python)] if python else []
        steps.append([*build, "--tag", self.image, str(self.root)])
        if self.registry:
            steps.append(["docker", "login", "--username", "AWS", "--password-stdin", self.registry])
            steps.append(["docker", "push", self.image])
        return steps


def commit_tag(root: Path | None = None) -> str:
    """The short commit; `-dirty` when the tree has uncommitted changes, so a tag never lies."""
    cwd = root or repo_root()

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()

    sha = git("rev-parse", "--short=12", "HEAD")
    return sha + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def plan(
    repository_url: str | None, tag: str | None = None, root: Path | None = None, base_image: str | None = None
) -> ImagePlan:
    base = root or repo_root()
    return ImagePlan(repository_url, tag or commit_tag(base), base, base_image or DEFAULT_BASE_IMAGE)


def require_docker() -> str:
    """The docker CLI, for login and push (the build itself goes through the Engine API)."""
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise NoDocker("no Docker engine here (docker not on PATH): run `make image` where Docker runs, or --dry-run")
    probe = subprocess.run([docker_cli, "info"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        raise NoDocker("no Docker engine reachable (`docker info` failed): start Docker, or use --dry-run")
    return docker_cli


def engine() -> docker.DockerClient:
    """The engine DOCKER_HOST (or the default socket) names, once it answers."""
    try:
        client = docker.DockerClient.from_env()
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException):
        reason = "no Docker engine reachable (DOCKER_HOST or the default socket): start Docker, or use --dry-run"
        raise NoDocker(reason) from None
    return client


def ensure_base(client: docker.DockerClient, base_image: str, debian_base: bool) -> str:
    """The base in the engine: Debian's packages via debootstrap, or pulled when not already there."""
    if debian_base:
        return bases.ensure_base_image(client)
    try:
        client.images.get(base_image)
    except docker.errors.ImageNotFound:
        try:
            client.images.pull(base_image)
        except docker.errors.APIError as error:
            reason = str(error.explanation or error).splitlines()[0]
            raise workers.ImageBuildError(
                f"cannot pull BASE_IMAGE {base_image} ({reason}): pass a local image, or --debian-base"
            ) from None
    return base_image


def build(client: docker.DockerClient, image: ImagePlan) -> str:
    """Build, then tag the content-hash image with the plan's name; returns that name."""
    built = workers.build_worker_image(client, image.base_image, root=image.root)
    repository, tag = image.image.rsplit(":", 1)
    client.images.get(built).tag(repository, tag)
    return built


def ecr_password(ecr_client: object) -> str:
    token = ecr_client.get_authorization_token()["authorizationData"][0]["authorizationToken"]  # type: ignore[attr-defined]
    return base64.b64decode(token).decode().split(":", 1)[1]


def push(image: ImagePlan, password: str) -> None:
    """docker login (password on stdin, never on the command line) and docker push."""
    *_, login, push_command = image.commands()
    subprocess.run(login, input=password, text=True, check=True)
    subprocess.run(push_command, check=True)
