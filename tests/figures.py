"""Figures the fault, bad-input and other tests measure, shown together at the end of
`make test` (pytest hides a passing test's prints).

A figure rides on the report of the test phase that said it (tests/conftest.py): under
pytest-xdist only reports reach the controller, which prints the summary."""

from __future__ import annotations

SAID: list[str] = []  # said in this process since the last test report
SHOWN: list[str] = []  # read from every report: what the summary prints


def say(text: str) -> None:
    print(text)
    SAID.append(text)


def take() -> list[str]:
    """What was said since the last call: for the report now being made."""
    taken = SAID[:]
    SAID.clear()
    return taken
