"""Plain-text helpers the status and fleet tables share."""

from __future__ import annotations


def age(seconds: float) -> str:
    """12s, 5m, 3h: how long ago, in the coarsest unit that still says something."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"
