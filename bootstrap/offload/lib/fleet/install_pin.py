"""The pin of the ECS Anywhere install script that register-instance.sh verifies before running it."""

from __future__ import annotations

import hashlib
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from offload.lib.paths import repo_root

INSTALL_SCRIPT_URL = "https://raw.githubusercontent.com/aws/amazon-ecs-agent/{ref}/scripts/ecs-anywhere-install.sh"


class PinError(RuntimeError):
    """str() is the one line to show."""


@dataclass(frozen=True)
class Pin:
    url: str
    sha256: str
    size: int


def pin_file() -> Path:
    return repo_root() / "bootstrap" / "ecs-anywhere-install.pin"


def pin(ref: str) -> Pin:
    """Download the script at REF (needs internet), hash it, and rewrite the pin file, comments kept."""
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", ref):
        raise PinError(f"ref {ref!r} is not a tag or commit")
    url = INSTALL_SCRIPT_URL.format(ref=ref)
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - fixed https URL
            body = response.read()
    except OSError as error:
        raise PinError(f"could not download {url}: {error}") from None
    digest = hashlib.sha256(body).hexdigest()
    path = pin_file()
    comments = [line for line in path.read_text().splitlines() if line.startswith("#")]
    path.write_text("\n".join([*comments, f"url={url}", f"sha256={digest}"]) + "\n")
    return Pin(url, digest, len(body))
