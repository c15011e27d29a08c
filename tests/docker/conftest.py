"""Fixtures for tests that run real containers (marker `docker`).

With no engine they skip, except in CI (`CI` set), where a skip would hide that
the engine never came up: there they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NoReturn

import docker
import docker.errors
import pytest
import requests
from offload.lib.build import base_image as bases
from offload.lib.build import worker_image as workers


def _unavailable(what: str, reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{what} in CI: {reason}", pytrace=False)
    pytest.skip(f"{what}: {reason}")


def _no_engine(reason: str) -> NoReturn:
    _unavailable("no Docker engine", reason)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A client on the engine DOCKER_HOST names (the default socket otherwise) that answers ping."""
    try:
        client = docker.DockerClient.from_env()
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
        where = os.environ.get("DOCKER_HOST", "the default socket")
        _no_engine(f"{where}: {str(error).splitlines()[0] if str(error) else type(error).__name__}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def base_image(docker_client: docker.DockerClient) -> str:
    """A Python base from Debian's packages (debootstrap, cached under .tools/): no registry needed.
    Making it needs root and debootstrap; a machine without them skips (CI fails) instead of erroring."""
    try:
        return bases.ensure_base_image(docker_client)
    except bases.BaseImageError as error:
        _unavailable("no Debian base image", str(error).splitlines()[0])


@pytest.fixture(scope="session")
def worker_image(docker_client: docker.DockerClient, base_image: str) -> str:
    """worker/Dockerfile built on `base_image`, tagged with a hash of its inputs: `name:tag`."""
    return workers.build_worker_image(docker_client, base_image)
