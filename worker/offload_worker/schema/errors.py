"""A schema that cannot be used: one line naming the file, the line and the field at fault."""

from __future__ import annotations


class SchemaError(ValueError):
    """str() is `<file>:<line>: <field path>: <what is wrong and what to write instead>`."""

    def __init__(self, source: str, line: int, field: str, message: str) -> None:
        super().__init__(f"{source}:{line}: {field}: {message}")
        self.source, self.line, self.field, self.message = source, line, field, message
