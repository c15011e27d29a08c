"""A csv header against the schema's columns: where each one sits, and what the file lacks.

The messages are the orders loader's (the hostile-input corpus and the docs quote them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from offload_worker.errors import FileRejected
from offload_worker.schema.model import Schema

# A one-column header holding one of these was written with another separator.
_SEPARATOR_WORDS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class Placed:
    positions: dict[str, int]  # column name -> index in the row (absent: an optional column the file lacks)
    width: int
    ignored: tuple[str, ...]


def place(schema: Schema, names: Sequence[str]) -> Placed:
    cleaned = [n.strip() for n in names]
    delimiter = schema.file.delimiter
    others = [d for d in _SEPARATOR_WORDS if d != delimiter]
    if len(cleaned) == 1 and (other := next((d for d in others if d in cleaned[0]), None)):
        word = _SEPARATOR_WORDS.get(delimiter, repr(delimiter))
        plural = word + "s" if delimiter in _SEPARATOR_WORDS else word
        raise FileRejected(
            f"header is separated by {other!r}, not {plural}: export the file as {word}-separated CSV", line=1
        )
    positions: dict[str, int] = {}
    for index, name in enumerate(cleaned):
        if name in positions:
            raise FileRejected(f"header names column {name!r} twice", line=1)
        positions[name] = index
    missing = [c.name for c in schema.columns if c.name not in positions and not c.optional]
    if missing:
        expected = ",".join(c.name for c in schema.columns)
        raise FileRejected(f"header is missing required column(s) {', '.join(missing)}; expected {expected}", line=1)
    declared = {c.name for c in schema.columns}
    return Placed(
        positions={c.name: positions[c.name] for c in schema.columns if c.name in positions},
        width=len(cleaned),
        ignored=tuple(n for n in cleaned if n not in declared),
    )
