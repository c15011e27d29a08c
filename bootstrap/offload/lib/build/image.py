"""`make image`: build the worker image and push it to the stack's ECR repository,
tagged with the git commit so a task definition names exactly one build."""

from __future__ import annotations

import base64
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from offload.lib.paths import repo_root


class NoDocker(RuntimeError):
    """No Docker engine here: the image can be built anywhere docker runs."""


@dataclass(frozen=True)
class ImagePlan:
    repository_url: str
    tag: str
    root: Path

    @property
    def image(self) -> str:
        return f"{self.repository_url}:{self.tag}"

    @property
    def dockerfile(self) -> Path:
        return self.root / "worker" / "Dockerfile"

    @property
    def registry(self) -> str:
        return self.repository_url.split("/", 1)[0]

    def commands(self) -> list[list[str]]:
        """What `make image` runs, in order (login reads the password from stdin)."""
        return [
            ["docker", "login", "--username", "AWS", "--password-stdin", self.registry],
            ["docker", "build", "--file", str(self.dockerfile), "--tag", self.image, str(self.root)],
            ["docker", "push", self.image],
        ]


def commit_tag(root: Path | None = None) -> str:
    """The short commit; `-dirty` when the tree has uncommitted changes, so a tag never lies."""
    cwd = root or repo_root()

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()

    sha = git("rev-parse", "--short=12", "HEAD")
    return sha + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def plan(repository_url: str, tag: str | None = None, root: Path | None = None) -> ImagePlan:
    base = root or repo_root()
    return ImagePlan(repository_url=repository_url, tag=tag or commit_tag(base), root=base)


def require_docker() -> str:
    docker = shutil.which("docker")
    if docker is None:
        raise NoDocker("no Docker engine here (docker not on PATH): run `make image` where Docker runs, or --dry-run")
    probe = subprocess.run([docker, "info"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        raise NoDocker("no Docker engine reachable (`docker info` failed): start Docker, or use --dry-run")
    return docker


def ecr_password(ecr_client: object) -> str:
    token = ecr_client.get_authorization_token()["authorizationData"][0]["authorizationToken"]  # type: ignore[attr-defined]
    return base64.b64decode(token).decode().split(":", 1)[1]


def build_and_push(image: ImagePlan, password: str) -> None:
    login, *rest = image.commands()
    subprocess.run(login, input=password, text=True, check=True)
    for command in rest:
        subprocess.run(command, check=True)
