"""Schemas that pass the structure but could never load a file: refused when the schema loads
(`offload schema check`, the worker before any read), one line each, not as a failed job later."""

from __future__ import annotations

from offload_worker.schema.document import Document
from offload_worker.schema.model import Column, FileSpec, KeySpec


def check_loadable(document: Document, file: FileSpec, columns: tuple[Column, ...], keys: tuple[KeySpec, ...]) -> None:
    if file.format == "csv" and file.delimiter == file.quote:
        raise document.error(("file", "quote"), "is the delimiter too: write another quote character")
    if file.header is not None:
        missing = [c.name for c in columns if not c.optional and c.name not in file.header]
        if missing:
            raise document.error(
                ("file", "header"),
                f"lacks column(s) {', '.join(missing)} the columns declare: add them to the header, "
                "or mark them `optional: true`",
            )
    if len(keys) == 2 and keys[0].attribute == keys[1].attribute:
        raise document.error(
            ("table", "sort_key", "attribute"),
            f"is the partition key's attribute {keys[0].attribute}: a sort key is another attribute",
        )
    in_keys = {p.column.name for k in keys for p in k.parts if p.column is not None}
    names = {c.name: i for i, c in enumerate(columns)}
    for index, column in enumerate(columns):
        at = ("columns", index)
        if column.default is not None and column.name in in_keys:
            raise document.error((*at, "default"), f"{column.name} is a key column, always required: drop the default")
        if column.type == "boolean":
            spelled_true = {s.casefold() for s in column.true}
            both = next((s for s in column.false if s.casefold() in spelled_true), None)
            if both is not None:
                raise document.error(
                    (*at, "false"), f"{both!r} is also a true spelling (letter case is ignored): keep it in one list"
                )
        other = names.get(column.attribute)
        if column.attribute != column.name and other is not None and other != index:
            raise document.error(
                (*at, "as"),
                f"{column.attribute!r} is column {columns[other].name}'s name: a reference to it would be "
                "ambiguous, write another name",
            )
