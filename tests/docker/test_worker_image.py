"""The worker image: built offline on a Debian base, non-root, the worker as its entrypoint."""

from __future__ import annotations

import docker
import pytest

pytestmark = pytest.mark.docker


def test_worker_image_runs_the_worker_as_non_root(docker_client: docker.DockerClient, worker_image: str) -> None:
    config = docker_client.images.get(worker_image).attrs["Config"]
    assert config["User"].split(":")[0] not in ("", "0", "root")
