"""The worker image: built offline on a Debian base, non-root, the worker as its entrypoint."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import docker
import pytest
from offload.lib.build import worker_image as worker_images
from offload_worker.errors import ConfigError

from tests.figures import say

pytestmark = pytest.mark.docker

LABEL = {"offload.test": "worker-image"}
REPO_ROOT = Path(__file__).resolve().parents[2]


def _run(
    client: docker.DockerClient, image: str, *command: str, entrypoint: str | None = None, user: str = ""
) -> tuple[int, str]:
    """Run to the end with no network and no environment; (exit code, combined output)."""
    container = client.containers.create(
        image, list(command), entrypoint=entrypoint, user=user, network_mode="none", labels=LABEL, environment={}
    )
    try:
        container.start()
        code = int(container.wait(timeout=60)["StatusCode"])
        return code, container.logs().decode()
    finally:
        container.remove(force=True)


def test_the_image_builds_offline_on_the_debian_base(
    docker_client: docker.DockerClient, base_image: str, worker_image: str
) -> None:
    """The fixture built it with network_mode none; it sits on the debootstrap base's layers."""
    base_layers = docker_client.images.get(base_image).attrs["RootFS"]["Layers"]
    worker = docker_client.images.get(worker_image).attrs
    assert worker["RootFS"]["Layers"][: len(base_layers)] == base_layers
    say(f"worker image {worker_image}: {worker['Size'] / 1e6:.0f} MB (base {base_image})")


def test_it_runs_as_a_fixed_non_root_user(docker_client: docker.DockerClient, worker_image: str) -> None:
    assert docker_client.images.get(worker_image).attrs["Config"]["User"] == "10001:10001"
    code, output = _run(docker_client, worker_image, "-c", "id -u; id -g", entrypoint="sh")
    assert (code, output.split()) == (0, ["10001", "10001"])


def test_the_entrypoint_is_the_worker_and_bad_settings_are_one_line(
    docker_client: docker.DockerClient, worker_image: str
) -> None:
    code, output = _run(docker_client, worker_image)
    assert code == ConfigError.exit_code
    assert output.strip().splitlines() == [output.strip()]
    assert output.startswith("offload-worker: AWS_REGION is not set")


def test_runtime_has_what_the_worker_needs_and_no_build_leftovers(
    docker_client: docker.DockerClient, worker_image: str
) -> None:
    env = dict(item.split("=", 1) for item in docker_client.images.get(worker_image).attrs["Config"]["Env"])
    assert env["PYTHONUNBUFFERED"] == "1"
    # CA certificates for TLS to AWS, a writable temp dir as uid 10001 (spools, duplicate runs), no pip.
    probe = (
        "import importlib.util as u, ssl, tempfile;"
        "print(ssl.create_default_context().cert_store_stats()['x509_ca'] > 0, tempfile.TemporaryFile().write(b'x'),"
        " u.find_spec('pip') is None, u.find_spec('offload_worker') is not None)"
    )
    code, output = _run(docker_client, worker_image, "-c", probe, entrypoint="python")
    assert (code, output.split()) == (0, ["True", "1", "True", "True"]), output
    # As root, to see /root too; /usr/share/python-wheels is the base's own python3-venv package.
    leftovers = "find / -xdev \\( -name '*.whl' -o -path '*/.cache/pip' \\) -not -path '/usr/share/python-wheels/*'"
    code, output = _run(docker_client, worker_image, "-c", f"{leftovers}; test ! -e /wheels", entrypoint="sh", user="0")
    assert (code, output) == (0, "")


def _buildkit_build(command: list[str]) -> subprocess.CompletedProcess[str] | None:
    """`DOCKER_BUILDKIT=1 docker build` with the first CLI that has BuildKit built in (20.10 does; 23+ want buildx)."""
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    for cli in dict.fromkeys(filter(None, (shutil.which("docker"), "/usr/bin/docker"))):
        if Path(cli).is_file():
            result = subprocess.run([cli, *command], env=env, capture_output=True, text=True, check=False)
            if "buildx" not in result.stderr:
                return result
    return None


def test_the_same_dockerfile_builds_with_buildkit(
    docker_client: docker.DockerClient, base_image: str, worker_image: str, tmp_path: Path
) -> None:
    """The fixture used the classic builder (docker-py); BuildKit is driven through the CLI."""
    wheels = worker_images.build_wheels(worker_images.base_python(docker_client, base_image))
    build_args = {"BASE_IMAGE": base_image, "WHEELS": wheels.relative_to(REPO_ROOT).as_posix()}
    tag = f"{worker_image.split(':')[0]}-buildkit:{worker_image.split(':')[1]}"
    iidfile = tmp_path / "iid"
    command = [
        "build",
        "--network",
        "none",
        "--file",
        worker_images.DOCKERFILE,
        "--tag",
        tag,
        "--iidfile",
        str(iidfile),
    ]
    command += [word for name, value in build_args.items() for word in ("--build-arg", f"{name}={value}")]
    result = _buildkit_build([*command, str(REPO_ROOT)])
    if result is None:
        pytest.skip("BuildKit cannot run here: no docker CLI with BuildKit built in, and no buildx")
    assert result.returncode == 0, result.stderr[-2000:]
    try:
        built = docker_client.images.get(iidfile.read_text().strip()).attrs
        assert built["Config"]["User"] == "10001:10001"
        assert built["Config"]["Entrypoint"] == ["offload-worker"]
        code, output = _run(docker_client, tag)
        assert code == ConfigError.exit_code and output.startswith("offload-worker: AWS_REGION is not set")
    finally:
        docker_client.images.remove(tag, force=True)
