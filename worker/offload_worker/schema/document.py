"""A schema file's YAML as plain data, each field's line kept for the one-line errors.

PyYAML composes the node tree (each node has its start mark); we build the data ourselves so
that a scalar stays the text that was written (`yes`, `N`, `null`, `007` are a boolean's
spelling, an empty policy or a column name, not YAML 1.1's booleans and numbers), except in the
few fields that hold a number or a flag. A key given twice is an error, not "the last one wins".
"""

from __future__ import annotations

from typing import Any

import yaml

from offload_worker.schema.errors import SchemaError

Path = tuple[str | int, ...]
# Fields whose value is a number or a flag: a plain scalar there is resolved as YAML does.
_TYPED = frozenset({"schema", "min", "max", "max_length", "required", "optional", "trim", "dynamodb_json", "days"})
_EXACT = frozenset({"min", "max"})  # a bound's text as written, too: YAML makes 99999999999999999.99 a float


class Document:
    """The data and where each part of it was written."""

    def __init__(self, data: Any, lines: dict[Path, int], source: str, texts: dict[Path, str] | None = None) -> None:
        self.data, self.lines, self.source = data, lines, source
        self.texts = texts or {}  # path -> the plain scalar's text, for the fields read exactly (_EXACT)

    def line(self, path: Path) -> int:
        """The line of the field at `path`, or of its nearest parent that was written."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def error(self, path: Path, message: str) -> SchemaError:
        return SchemaError(self.source, self.line(path), field_path(path), message)


def field_path(path: Path) -> str:
    """columns[3].type: how the docs and the messages name a field."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(file)"


def parse(data: bytes, source: str) -> Document:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SchemaError(source, 1, "(file)", f"is not UTF-8 text (byte {error.start}): save it as UTF-8") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise SchemaError(source, line, "(yaml)", f"{error.problem or error}: fix the YAML syntax there") from None
    if root is None:
        raise SchemaError(source, 1, "(file)", "is empty: a schema starts with `schema: 1`")
    lines: dict[Path, int] = {}
    texts: dict[Path, str] = {}
    return Document(_build(root, (), lines, source, typed=False, texts=texts), lines, source, texts)


def _build(
    node: yaml.Node, path: Path, lines: dict[Path, int], source: str, typed: bool, texts: dict[Path, str]
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        built: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                raise SchemaError(source, line, field_path(path), "a field name must be plain text")
            key = str(key_node.value)
            if key in built:
                raise SchemaError(
                    source, key_node.start_mark.line + 1, field_path((*path, key)), "is given twice: keep one"
                )
            built[key] = _build(value_node, (*path, key), lines, source, typed=key in _TYPED, texts=texts)
        return built
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, source, typed, texts) for i, item in enumerate(node.value)]
    if typed and node.style is None:  # plain: 5, 2.5, true, yes
        if path and path[-1] in _EXACT:
            texts[path] = str(node.value)
        return yaml.safe_load(node.value)
    return str(node.value)
