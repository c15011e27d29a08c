"""Shim state kept on moto's own backend objects, so /moto-api/reset clears it too."""

from __future__ import annotations

from typing import Any


def shim_state(backend: Any, name: str) -> dict[str, Any]:
    """A dict living in the backend's __dict__: moto's reset() empties that."""
    attribute = f"_offload_{name}"
    found = backend.__dict__.get(attribute)
    if found is None:
        found = backend.__dict__[attribute] = {}
    return found  # type: ignore[no-any-return]
