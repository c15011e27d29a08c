"""The worker image on a base whose Python is not the host's: Debian trixie's 3.13, its compiled wheels its own.

Opt-in (OFFLOAD_TEST_OTHER_PYTHON=1): the first run debootstraps trixie (about 100 s here),
too long for every `make test`; later runs reuse the cached tarball and image.
"""

from __future__ import annotations

import os
import sys
import time

import docker
import pytest
from offload.lib.build import base_image as bases
from offload.lib.build import worker_image as workers

from tests.figures import say

pytestmark = pytest.mark.docker

OPT_IN = "OFFLOAD_TEST_OTHER_PYTHON"
# Loads PyYAML's C extension and rpds-py's (jsonschema's Rust part): both only from a wheel for this Python.
PROBE = (
    "import sys, yaml, rpds, jsonschema; from importlib import metadata;"
    "print('%d.%d' % sys.version_info[:2], yaml.__with_libyaml__,"
    " [line for line in metadata.distribution('rpds-py').read_text('WHEEL').splitlines() if line.startswith('Tag')][0])"
)


@pytest.fixture(scope="module")
def trixie_base(docker_client: docker.DockerClient) -> str:
    if not os.environ.get(OPT_IN):
        pytest.skip(f"set {OPT_IN}=1 to build on Debian trixie (debootstrap, ~100 s the first time)")
    try:
        return str(bases.ensure_base_image(docker_client, suite="trixie"))
    except bases.BaseImageError as error:
        pytest.skip(f"no Debian trixie base: {error}")


def test_the_image_installs_the_bases_own_compiled_wheels(docker_client: docker.DockerClient, trixie_base: str) -> None:
    python = workers.base_python(docker_client, trixie_base)
    assert python.python != f"{sys.version_info.major}.{sys.version_info.minor}", (
        "the base must not have the host's Python"
    )
    started = time.monotonic()
    image = workers.build_worker_image(docker_client, trixie_base)
    built_in = time.monotonic() - started
    output = docker_client.containers.run(
        image,
        ["-c", PROBE],
        entrypoint="python",
        network_mode="none",
        labels={"offload.test": "other-python"},
        remove=True,
    ).decode()
    version, with_libyaml, rpds_tag = output.strip().split(" ", 2)
    abi = f"cp{python.python.replace('.', '')}"
    assert (version, with_libyaml) == (python.python, "True")
    assert rpds_tag.startswith(f"Tag: {abi}-{abi}-manylinux"), rpds_tag
    say(f"worker image on {trixie_base} ({python.describe()}): {image}, built in {built_in:.0f} s")
