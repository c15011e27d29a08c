"""The structure check: jsonschema's first error (in file order) as one line saying what to write."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from offload_worker.schema.document import Document, Path
from offload_worker.schema.structure import STRUCTURE

_VALIDATOR = Draft202012Validator(STRUCTURE)
_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "fields (name: value)",
    "array": "a list ([a, b] or one `- item` a line)",
}


def check_structure(document: Document) -> None:
    errors = sorted(_VALIDATOR.iter_errors(document.data), key=lambda e: _where(document, e))
    if errors:
        error = errors[0]
        path: Path = tuple(error.absolute_path)
        raise document.error(path, _message(error, _schema_at(path)))


def _where(document: Document, error: ValidationError) -> tuple[bool, int, int]:
    """A missing field last (it has no line of its own), else in file order, the deepest field first."""
    return error.validator == "required", document.line(tuple(error.absolute_path)), -len(error.absolute_path)


def _schema_at(path: Path) -> dict[str, Any]:
    """The JSON Schema of the field at `path` (for the list of fields it may hold)."""
    schema: dict[str, Any] = STRUCTURE
    for part in path:
        schema = schema.get("items", {}) if isinstance(part, int) else schema.get("properties", {}).get(part, {})
    return schema


def _message(error: ValidationError, here: dict[str, Any]) -> str:
    kind, value = error.validator, error.instance
    if kind == "required":
        missing = [name for name in error.validator_value if name not in value]
        return f"lacks {missing[0]!r}: add `{missing[0]}: ...`"
    if kind == "additionalProperties":
        known = ", ".join(here.get("properties", {}))
        extra = [name for name in value if name not in here.get("properties", {})]
        return f"has no field {extra[0]!r}: the fields here are {known}"
    if kind == "enum":
        return f"is {value!r}: write one of {', '.join(map(str, error.validator_value))}"
    if kind == "const":
        return f"is {value!r}: write {error.validator_value!r}"
    if kind == "type":
        return f"is {value!r}: write {_TYPE_WORDS.get(str(error.validator_value), error.validator_value)}"
    if kind in ("minLength", "maxLength") and error.validator_value == 1 and kind == "maxLength":
        return f"is {value!r}: write one character"
    if kind == "minLength":
        return "is empty: write a value"
    if kind == "maxLength":
        return f"is longer than {error.validator_value} characters"
    if kind == "uniqueItems":
        return "names an entry twice: keep one"
    if kind == "minItems":
        return "is an empty list: give at least one entry"
    if kind == "minimum":
        return f"is {value!r}: write {error.validator_value} or more"
    if kind in ("minProperties", "maxProperties"):
        choices = [name for name in here.get("properties", {}) if name != "as"]
        return f"needs exactly one of {', '.join(choices)} beside `as`"
    if kind == "oneOf":
        listed = [e for e in error.context or () if isinstance(value, list) and e.validator not in ("const", "type")]
        if listed:  # a list was meant: say what is wrong with it
            return _message(listed[0], here)
        return f"is {value!r}: write first-row or a list of column names"
    return str(error.message)
