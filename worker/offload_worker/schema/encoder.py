"""Schema.compile: the per-file encoder, generated once (codegen.py) and exec'd, then called per row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from json.encoder import encode_basestring_ascii as json_string
from operator import itemgetter
from typing import Any

from offload_contract import confirmation_ids

from offload_worker.schema.codegen import (
    Columns,
    Expr,
    Piece,
    Source,
    attribute_piece,
    fstring,
    wire_of,
)
from offload_worker.schema.dates import epoch_seconds
from offload_worker.schema.header import Placed, place
from offload_worker.schema.index_checks import index_checks
from offload_worker.schema.item_json import dynamodb_json_encoder
from offload_worker.schema.model import Column, Derived, KeySpec, Schema

Encode = Callable[..., tuple[str, str, str]]  # (record, line=0) -> (key identity, wire item, output line)
_KEY_LIMITS = {"HASH": (2048, "partition"), "RANGE": (1024, "sort")}  # bytes: DynamoDB's key size limits


class Encoder:
    """One file's rows -> (key identity, the wire item "{...}", the output line "a,b\\n").

    encode(record, line=0) raises RowRejected(reason); `line` is needed only when the schema
    derives the source line (uses_line). key(record) is the key identity alone, from the key
    columns only ("" for a record whose key cannot be read: its encode is rejected)."""

    def __init__(
        self,
        encode: Encode,
        key: Callable[[Any], str],
        ignored: tuple[str, ...],
        uses_line: bool,
        source: str = "",
        dialect: tuple[str, str] = (",", '"'),
    ) -> None:
        self.encode = encode
        self._key = key
        self.ignored = ignored
        self.uses_line = uses_line
        self.source = source  # the generated code, for a reader of tests and bug reports
        self.dialect = dialect  # the csv's delimiter and quote: a rejected row's raw text is written in them

    def key(self, record: Any) -> str:
        try:
            return self._key(record)
        except Exception:  # noqa: BLE001 - any record the encoder refuses has no key
            return ""


def compile_encoder(schema: Schema, header: Sequence[str] | None, *, bucket: str, key: str, etag: str) -> Encoder:
    constants = {"bucket": bucket, "key": key, "etag": etag}
    confirm = confirmation_ids(bucket, key, etag)
    uses_line = any(d.kind == "source" and d.source == "line" for d in schema.derived)
    if schema.file.dynamodb_json:
        encode = dynamodb_json_encoder(schema, constants, confirm)
        return Encoder(encode, lambda record: encode(record)[0], (), uses_line)
    placed = None
    if schema.file.format == "csv":
        placed = place(schema, header if header is not None else schema.file.header or ())
    key_columns = [p.column for k in schema.keys for p in k.parts if p.column is not None]
    order = list({c.name: c for c in [*key_columns, *schema.columns]}.values())
    code, encode = _generate(
        schema, placed, order, lambda src, columns: _item(schema, src, columns, constants, confirm)
    )
    _code, key_of = _generate(schema, placed, order[: len({c.name for c in key_columns})], lambda _s, _c: "")
    dialect = (schema.file.delimiter, schema.file.quote)
    return Encoder(encode, key_of, placed.ignored if placed else (), uses_line, code, dialect)


def _generate(
    schema: Schema, placed: Placed | None, order: list[Column], rest: Callable[[Source, Columns], str]
) -> tuple[str, Any]:
    """The source and function of `def f(row, line=0)`: the columns in `order`, the keys, then `rest`
    (more lines; it answers what f returns after the key identity)."""
    src = Source()
    src.lines.append("def f(row, line=0):")
    cells: dict[str, str] = {c.name: f"c{i}" for i, c in enumerate(order)}
    if placed is not None:
        present = [(i, c) for i, c in enumerate(order) if c.name in placed.positions]
        cells = {c.name: f"c{i}" for i, c in present}
        src.add(f"if len(row) != {placed.width}:")
        src.add(f'raise RowRejected(f"row has {{len(row)}} fields, the header has {placed.width}")', 2)
        positions = [placed.positions[c.name] for _i, c in present]
        names = ", ".join(cells[c.name] for _i, c in present)
        if len(present) == 1:
            src.add(f"{names} = row[{positions[0]}]")
        elif present:
            src.add(f"{names} = {src.name(itemgetter(*positions), 'pick')}(row)")
    columns = Columns(schema, src, lambda c: cells.get(c.name), placed is None)
    columns.emit(order, {p.column.name for k in schema.keys for p in k.parts if p.column is not None})
    key_texts = _keys(schema, src, columns)
    identity = ' + "\\x00" + '.join(key_texts[k.attribute] for k in schema.keys)
    returned = rest(src, columns)
    src.add(f"return {identity}, {returned}" if returned else f"return {identity}")
    namespace = dict(src.names)
    code = "\n".join(src.lines)
    exec(compile(code, f"<schema {schema.name}>", "exec"), namespace)  # noqa: S102 - our own generated code
    return code, namespace["f"]


def _item(
    schema: Schema, src: Source, columns: Columns, constants: dict[str, str], confirm: Callable[[str], str]
) -> str:
    """The lines after the keys: derived attributes and the output line; answers `item, out`."""
    index_checks(schema, src, columns)
    key_texts = {k.attribute: columns.key_text[k.attribute] for k in schema.keys}
    own = {c.name for k in schema.keys if (c := k.column) is not None and c.attribute == k.attribute}
    pieces: list[Piece] = [_join([columns.key_piece[k.attribute] for k in schema.keys])]
    for column in schema.columns:
        if column.name not in own:
            piece = columns.piece[column.name]
            pieces.append(piece if _maybe_omitted(piece) else [",", *piece])
    derived_texts, safe = _derived(schema, src, columns, constants, pieces, confirm, key_texts)
    texts = {**{c.attribute: columns.text[c.name] for c in schema.columns}, **key_texts, **derived_texts}
    texts |= {c.name: columns.text[c.name] for c in schema.columns}
    _output(schema, src, texts, {k.attribute for k in schema.keys} | own, safe)
    return f"{fstring([['{'], *pieces, ['}']])}, out"


def _maybe_omitted(piece: Piece) -> bool:
    return len(piece) == 1 and isinstance(piece[0], Expr) and piece[0].startswith("a")


def _join(pieces: list[Piece]) -> Piece:
    joined: Piece = []
    for i, piece in enumerate(pieces):
        joined += piece if i == 0 else [",", *piece]
    return joined


def _keys(schema: Schema, src: Source, columns: Columns) -> dict[str, str]:
    """Each key's text variable (and its piece, in columns.key_piece): a column's own, or built."""
    for index, key in enumerate(schema.keys):
        column = key.column
        if column is not None and column.attribute == key.attribute:
            text = columns.text[column.name]
            columns.key_piece[key.attribute] = columns.piece[column.name]
        else:
            text = f"k{index}"
            parts = [repr(p.text) if p.column is None else columns.text[p.column.name] for p in key.parts]
            src.add(f"{text} = {' + '.join(parts)}")
            kind = Column(key.attribute, {"S": "string", "N": "decimal", "B": "binary"}[key.type], key.attribute)
            columns.key_piece[key.attribute] = attribute_piece(key.attribute, wire_of(kind, text))
        _key_size_check(src, key, column, text)
        columns.key_text[key.attribute] = text
    return columns.key_text


def _key_size_check(src: Source, key: KeySpec, column: Column | None, text: str) -> None:
    limit, which = _KEY_LIMITS[key.role]
    if key.type == "N" or (column is not None and column.max_length is not None and column.max_length <= limit):
        return
    size = f'len({text}.encode("utf-8", "surrogateescape"))' if key.type == "S" else f"len({text}) * 3 // 4"
    src.add(f"if len({text}) * 4 > {limit} and {size} > {limit}:")
    message = f"{key.attribute} is longer than {limit} bytes, DynamoDB's {which} key limit"
    src.add(f"raise RowRejected({message!r})", 2)


def _derived(
    schema: Schema,
    src: Source,
    columns: Columns,
    constants: dict[str, str],
    pieces: list[Piece],
    confirm: Callable[[str], str],
    key_texts: dict[str, str],
) -> tuple[dict[str, str], set[str]]:
    """Append each derived attribute's piece; answer the variables holding their texts, and those
    whose text never needs quoting in a report (a uuid, a line number)."""
    texts: dict[str, str] = {}
    safe: set[str] = set()
    for index, derived in enumerate(schema.derived):
        name = derived.attribute
        if derived.kind == "uuid5":
            values = [key_texts.get(c.attribute) or columns.text[c.name] for c in derived.columns]
            src.add(f"u{index} = {src.name(confirm, 'confirm')}({' + chr(0) + '.join(values)})")
            pieces.append([",", *attribute_piece(name, ['{"S":"', Expr(f"u{index}"), '"}'])])
            texts[name] = f"u{index}"
            safe.add(texts[name])
        elif derived.kind == "source" and derived.source == "line":
            pieces.append([",", *attribute_piece(name, ['{"N":"', Expr("line"), '"}'])])
            texts[name] = "str(line)"
            safe.add(texts[name])
        elif derived.kind == "source":
            value = constants[derived.source]
            pieces.append([",", *attribute_piece(name, ['{"S":' + json_string(value) + "}"])])
            texts[name] = src.name(value, "constant")
        else:  # ttl: omitted with its date
            date = columns.text[derived.columns[0].name]
            ttl = src.name(_ttl(derived), "ttl")
            src.add(f"v{index} = {ttl}({date}) if {date} else ''")
            piece = repr(json_string(name) + ':{"N":"')
            src.add(f"""w{index} = ',' + {piece} + v{index} + '"}}' if {date} else ''""")
            pieces.append([Expr(f"w{index}")])
            texts[name] = f"v{index}"
    return texts, safe


def _output(schema: Schema, src: Source, texts: dict[str, str], never_empty: set[str], safe: set[str]) -> None:
    """out = the output line: cells that need quoting or start like a formula go through report_line."""
    from offload_worker.load import FORMULA_STARTS, report_line  # the reports' one writer of cells

    values = [texts[name] for name in schema.output_columns]
    if not values:
        src.add("out = '\\n'")
        return
    formula, needs = src.name(FORMULA_STARTS, "formula"), src.name(frozenset(',"\r\n'), "quoting")
    tests = []
    for name, value in zip(schema.output_columns, values, strict=True):
        if value in safe:
            continue
        first = f"{value}[0]" if name in never_empty else f"{value}[:1]"
        tests.append(f"{first} in {formula} or {needs}.intersection({value})")
    plain = ' + "," + '.join(values) + ' + "\\n"'
    if tests:
        src.add(f"if {' or '.join(tests)}:")
        src.add(f"out = {src.name(report_line, 'report_line')}(({', '.join(values)},))", 2)
        src.add("else:")
        src.add(f"out = {plain}", 2)
    else:
        src.add(f"out = {plain}")


def _ttl(derived: Derived) -> Callable[[str], str]:
    """A date column's text -> the epoch seconds `days` later, as a number's text."""
    seconds = derived.days * 86400

    def ttl(text: str) -> str:
        return str(epoch_seconds(text) + seconds)

    return ttl
