"""Figures the fault, bad-input and other tests measure, shown together at the end of
`make test` (pytest hides a passing test's prints)."""

from __future__ import annotations

FIGURES: list[str] = []


def say(text: str) -> None:
    print(text)
    FIGURES.append(text)
