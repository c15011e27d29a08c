"""From the checked structure to a Schema: what JSON Schema cannot say, checked with the same errors.

A reference (a key's value or template part, uuid5, ttl's `from`, an output column) names a
column by its name in the file or by its attribute (`as`); output may also name a key or a
derived attribute.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from offload_worker.errors import RowRejected
from offload_worker.schema.dates import format_problem
from offload_worker.schema.document import Document, Path
from offload_worker.schema.loadable import check_loadable
from offload_worker.schema.model import Column, Derived, FileSpec, KeySpec, Part, Schema
from offload_worker.schema.parsers import value_parser

_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
# Which column types each optional field applies to.
_APPLIES = {
    "min": ("integer", "decimal", "number_set"),
    "max": ("integer", "decimal", "number_set"),
    "enum": ("string", "integer", "decimal"),
    "pattern": ("string",),
    "max_length": ("string",),
    "true": ("boolean",),
    "false": ("boolean",),
    "format": ("date", "datetime"),
    "output": ("date", "datetime"),
    "separator": ("string_set", "number_set"),
}
_CSV_ONLY = ("delimiter", "quote", "header")


def build(document: Document, data: bytes) -> Schema:
    spec = document.data
    file = _file(document, spec["file"])
    columns = tuple(_column(document, i, c) for i, c in enumerate(spec["columns"]))
    if file.dynamodb_json and columns:
        raise document.error(("columns",), "a DynamoDB-JSON file's items load as they are: write `columns: []`")
    _unique(document, [(("columns", i, "name"), c.name) for i, c in enumerate(columns)], "column name")
    refs = _References(document, columns, dynamodb_json=file.dynamodb_json)
    keys = tuple(
        _key(document, refs, role, spec["table"][field])
        for field, role in (("partition_key", "HASH"), ("sort_key", "RANGE"))
        if field in spec["table"]
    )
    derived = tuple(_derived(document, refs, i, d) for i, d in enumerate(spec.get("derived", [])))
    _attributes_unique(document, columns, keys, derived)
    check_loadable(document, file, columns, keys)
    output = tuple(spec["output"]["columns"]) if "output" in spec else tuple(k.attribute for k in keys)
    known = {k.attribute for k in keys} | {d.attribute for d in derived}
    for i, name in enumerate(output):
        if name not in known and refs.scalar(("output", "columns", i), name) is None:
            raise document.error(("output", "columns", i), f"names no attribute {name!r}")
    return Schema(
        name=str(spec.get("name") or _name_of(document.source)),
        digest=hashlib.sha256(data).hexdigest(),
        source=document.source,
        file=file,
        keys=keys,
        columns=columns,
        derived=derived,
        duplicates=str(spec.get("duplicates", "last")),
        output_columns=output,
    )


def _name_of(source: str) -> str:
    """The file's name without .yaml; for Terraform's content-addressed schemas/<name>/<sha256>.yaml, <name>."""
    path = PurePath(source)
    stem = path.name.split(".")[0]
    return path.parent.name if _DIGEST.fullmatch(stem) and path.parent.name else stem


def _file(document: Document, spec: dict[str, Any]) -> FileSpec:
    fmt = spec["format"]
    for field in _CSV_ONLY if fmt == "jsonl" else ("dynamodb_json",):
        if field in spec:
            raise document.error(("file", field), f"applies to {'csv' if fmt == 'jsonl' else 'jsonl'} files only")
    header = spec.get("header", "first-row")
    return FileSpec(
        format=fmt,
        delimiter=spec.get("delimiter", ","),
        quote=spec.get("quote", '"'),
        header=None if header == "first-row" else tuple(header),
        dynamodb_json=bool(spec.get("dynamodb_json", False)),
    )


def _column(document: Document, index: int, spec: dict[str, Any]) -> Column:
    at: Path = ("columns", index)
    kind = spec["type"]
    for field, types in _APPLIES.items():
        if field in spec and kind not in types:
            raise document.error((*at, field), f"applies to {', '.join(types)} columns, not {kind}")
    if "default" in spec and ("empty" in spec or spec.get("required")):
        raise document.error((*at, "default"), "a default fills an empty value: drop `empty`/`required` or it")
    if kind in ("date", "datetime") and (problem := format_problem(spec.get("format", "iso"), kind == "datetime")):
        raise document.error((*at, "format"), f"{spec['format']!r} {problem}")
    if "pattern" in spec:
        try:
            re.compile(spec["pattern"])
        except re.error as error:
            raise document.error((*at, "pattern"), f"is not a regular expression: {error}") from None
    low, high = (_exact(document, (*at, b), spec[b]) if b in spec else None for b in ("min", "max"))
    if low is not None and high is not None and low > high:
        raise document.error((*at, "max"), f"is below min ({low})")
    column = Column(
        name=spec["name"],
        type=kind,
        attribute=spec.get("as", spec["name"]),
        required=bool(spec.get("required", False)),
        optional=bool(spec.get("optional", False)),
        trim=bool(spec.get("trim", True)),
        empty=spec.get("empty"),
        min=low,
        max=high,
        pattern=spec.get("pattern"),
        max_length=spec.get("max_length"),
        true=tuple(spec.get("true", ("true",))),
        false=tuple(spec.get("false", ("false",))),
        format=spec.get("format", "iso"),
        output=spec.get("output", "iso"),
        separator=spec.get("separator", "|"),
    )
    parse = value_parser(column)
    try:
        enum = tuple(parse(v) for v in spec["enum"]) if "enum" in spec else None
        default = parse(spec["default"]) if "default" in spec else None
    except RowRejected as error:
        field = "default" if "default" in spec and "enum" not in str(error) else "enum"
        raise document.error((*at, field), f"is not a valid {kind}: {error}") from None
    numeric = kind in ("integer", "decimal")  # compared as numbers: a default of 1.50 is the enum's 1.5
    if (
        enum is not None
        and default is not None
        and (Decimal(default) if numeric else default) not in ({Decimal(v) for v in enum} if numeric else enum)
    ):
        raise document.error((*at, "default"), f"{default!r} is not one of the column's enum")
    return dataclasses.replace(column, enum=enum, default=default)


def _exact(document: Document, at: Path, value: Any) -> Decimal:
    """A bound as written (`99999999999999999.99`), not the float YAML reads; jsonschema checked it is a number."""
    try:
        return Decimal(document.texts.get(at, str(value)))
    except InvalidOperation:  # a YAML spelling Decimal does not read (.inf, 0x1F): the value YAML gave
        return Decimal(str(value))


class _References:
    def __init__(self, document: Document, columns: tuple[Column, ...], dynamodb_json: bool) -> None:
        self._document, self._dynamodb_json = document, dynamodb_json
        self._by = {c.attribute: c for c in columns} | {c.name: c for c in columns}
        self._names = ", ".join(c.name for c in columns)

    def scalar(self, at: Path, name: str) -> Column | None:
        """The column a reference names (a DynamoDB-JSON item's attribute: a column of that name)."""
        if self._dynamodb_json:
            return Column(name=name, type="attribute", attribute=name)
        found = self._by.get(name)
        if found is not None and found.wire is None:
            raise self._document.error(at, f"{name!r} is a {found.type} column: name a column with one value")
        return found

    def column(self, at: Path, name: str) -> Column:
        found = self.scalar(at, name)
        if found is None:
            raise self._document.error(at, f"names no column {name!r}: the columns are {self._names}")
        return found


def _key(document: Document, refs: _References, role: str, spec: dict[str, Any]) -> KeySpec:
    field = "partition_key" if role == "HASH" else "sort_key"
    at: Path = ("table", field, "value")
    value, parts = spec["value"], []
    if "{" not in value and "}" not in value:
        parts.append(Part("", refs.column(at, value)))
    else:
        if _TEMPLATE.sub("", value).count("{") or _TEMPLATE.sub("", value).count("}"):
            raise document.error(at, f"{value!r} has an unmatched brace: write `PREFIX#{{column}}`")
        position = 0
        for match in _TEMPLATE.finditer(value):
            if match.start() > position:
                parts.append(Part(value[position : match.start()]))
            parts.append(Part("", refs.column(at, match.group(1))))
            position = match.end()
        if position < len(value):
            parts.append(Part(value[position:]))
    key = KeySpec(attribute=spec["attribute"], role=role, type=spec["type"], parts=tuple(parts))
    column = key.column
    if column is None and key.type != "S":
        raise document.error(("table", field, "type"), f"is {key.type}: a template makes text, write S")
    if column is not None and column.type != "attribute" and column.wire != key.type:
        raise document.error(
            ("table", field, "type"), f"is {key.type}, but column {column.name} is {column.type} ({column.wire})"
        )
    return key


def _derived(document: Document, refs: _References, index: int, spec: dict[str, Any]) -> Derived:
    at: Path = ("derived", index)
    if "uuid5" in spec:
        names = spec["uuid5"]
        columns = tuple(refs.column((*at, "uuid5", i), n) for i, n in enumerate(names))
        return Derived(spec["as"], "uuid5", columns=columns)
    if "ttl" in spec:
        column = refs.column((*at, "ttl", "from"), spec["ttl"]["from"])
        if column.type not in ("date", "datetime", "attribute"):
            raise document.error((*at, "ttl", "from"), f"names {column.type} column {column.name}: name a date")
        return Derived(spec["as"], "ttl", columns=(column,), days=int(spec["ttl"]["days"]))
    return Derived(spec["as"], "source", source=spec["source"])


def _unique(document: Document, named: list[tuple[Path, str]], what: str) -> None:
    seen: set[str] = set()
    for at, name in named:
        if name in seen:
            raise document.error(at, f"{what} {name!r} is declared twice")
        seen.add(name)


def _attributes_unique(
    document: Document, columns: tuple[Column, ...], keys: tuple[KeySpec, ...], derived: tuple[Derived, ...]
) -> None:
    own = {k.attribute for k in keys if k.column is not None and k.column.attribute == k.attribute}
    named: list[tuple[Path, str]] = [
        (("columns", i, "as" if c.attribute != c.name else "name"), c.attribute) for i, c in enumerate(columns)
    ]
    named += [(("table", "partition_key" if k.role == "HASH" else "sort_key", "attribute"), k.attribute) for k in keys]
    named += [(("derived", i, "as"), d.attribute) for i, d in enumerate(derived)]
    _unique(document, [(at, name) for at, name in named if not (name in own and at[0] == "table")], "attribute")
