"""One process at a time: the checkout's caches (.tools/, build/) are shared by every offload
process on the machine, parallel test workers among them."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """An exclusive flock on `path` (made if missing) for the block; released when the process dies too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Read-only: CI may have made the cache (and its lock) as root for a non-root run; flock needs no write.
    descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
