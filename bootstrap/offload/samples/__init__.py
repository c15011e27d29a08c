"""Sample orders: the demo's two files (orders.csv, bad-orders.csv) and a generator for any size."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def sample(name: str) -> Path:
    """The path of a shipped sample file."""
    return Path(str(resources.files("offload.samples") / name))
