"""A loaded schema: what the file is, where its rows go, and how each cell becomes an attribute."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offload_worker.schema.encoder import Encoder

# Types whose value is one text (S, N or B on the wire): keys, templates, output and uuid5 may use them.
SCALAR_WIRE = {"string": "S", "integer": "N", "decimal": "N", "binary": "B"}


@dataclass(frozen=True)
class FileSpec:
    format: str  # csv | jsonl
    delimiter: str = ","
    quote: str = '"'
    header: tuple[str, ...] | None = None  # None: the file's first row is its header
    dynamodb_json: bool = False


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    attribute: str  # `as`, else the name
    required: bool = False
    optional: bool = False  # may be absent from the header (every row's value is then empty)
    trim: bool = True
    default: str | None = None
    empty: str | None = None  # omit | null | reject | None: the empty text is parsed as any other
    min: Decimal | None = None
    max: Decimal | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    max_length: int | None = None
    true: tuple[str, ...] = ("true",)
    false: tuple[str, ...] = ("false",)
    format: str = "iso"
    output: str = "iso"  # iso | epoch (date, datetime)
    separator: str = "|"

    @property
    def wire(self) -> str | None:
        """S, N or B when the value is one text; None for BOOL, sets, maps and lists."""
        if self.type in ("date", "datetime"):
            return "N" if self.output == "epoch" else "S"
        return SCALAR_WIRE.get(self.type)


@dataclass(frozen=True)
class Part:
    """A piece of a key template: literal text, or the text of a column's value."""

    text: str
    column: Column | None = None


@dataclass(frozen=True)
class KeySpec:
    attribute: str
    role: str  # HASH | RANGE
    type: str  # S | N | B
    parts: tuple[Part, ...]  # one column part: the column's own value; else a template

    @property
    def column(self) -> Column | None:
        """The column whose value the key is, when it is not a template."""
        return self.parts[0].column if len(self.parts) == 1 else None


@dataclass(frozen=True)
class Derived:
    attribute: str
    kind: str  # uuid5 | source | ttl
    columns: tuple[Column, ...] = ()  # uuid5's names; ttl's date column
    source: str = ""  # bucket | key | etag | line
    days: int = 0


@dataclass(frozen=True)
class Schema:
    name: str
    digest: str  # sha256 hex of the file's bytes
    source: str  # the file's name, for messages
    file: FileSpec
    keys: tuple[KeySpec, ...]
    columns: tuple[Column, ...]
    derived: tuple[Derived, ...]
    duplicates: str  # last | first | reject
    output_columns: tuple[str, ...]
    # The live table's secondary-index keys (attribute, S|N|B, index name), from DescribeTable (not the
    # file): an empty or null value there is a rejected row, as DynamoDB refuses it in an index key.
    index_keys: tuple[tuple[str, str, str], ...] = ()

    def compile(self, header: Sequence[str] | None, *, bucket: str, key: str, etag: str) -> Encoder:
        """This file's row encoder. header: the csv's column names (None for jsonl); raises
        FileRejected(line=1) when it lacks a column the schema needs."""
        from offload_worker.schema.encoder import compile_encoder

        return compile_encoder(self, header, bucket=bucket, key=key, etag=etag)
