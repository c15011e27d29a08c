"""What a bench run measures, and with which sizes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    rows: int = 20_000
    rtt_ms: float = 25.0
    concurrency: int = 16
    small_mb: int = 20
    large_mb: int = 80
