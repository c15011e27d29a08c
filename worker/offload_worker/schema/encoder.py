"""Schema.compile: the per-file encoder, generated once (codegen.py) and exec'd, then called per row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from json.encoder import encode_basestring_ascii as json_string
from typing import Any

from offload_contract import confirmation_ids

from offload_worker.schema.codegen import (
    Columns,
    Expr,
    Piece,
    Source,
    attribute_piece,
    fstring,
    key_limit,
    picker,
    ttl_function,
    wire_of,
)
from offload_worker.schema.header import place
from offload_worker.schema.item_json import dynamodb_json_encoder
from offload_worker.schema.model import Column, KeySpec, Schema

Encode = Callable[..., tuple[str, str, str]]  # (record, line=0) -> (key identity, wire item, output line)


class Encoder:
    """One file's rows -> (key identity, the wire item "{...}", the output line "a,b\\n").

    encode(record, line=0) raises RowRejected(reason); `line` is needed only when the schema
    derives the source line (uses_line). key(record) is the key identity alone ("" if the
    record has none: its encode is rejected)."""

    def __init__(self, encode: Encode, ignored: tuple[str, ...], uses_line: bool, source: str = "") -> None:
        self.encode = encode
        self.ignored = ignored
        self.uses_line = uses_line
        self.source = source  # the generated code, for a reader of tests and bug reports

    def key(self, record: Any) -> str:
        try:
            return self.encode(record)[0]
        except Exception:  # noqa: BLE001 - any record the encoder refuses has no key
            return ""


def compile_encoder(schema: Schema, header: Sequence[str] | None, *, bucket: str, key: str, etag: str) -> Encoder:
    constants = {"bucket": bucket, "key": key, "etag": etag}
    uses_line = any(d.kind == "source" and d.source == "line" for d in schema.derived)
    if schema.file.dynamodb_json:
        encode = dynamodb_json_encoder(schema, constants, confirmation_ids(bucket, key, etag))
        return Encoder(encode, (), uses_line)
    jsonl = schema.file.format == "jsonl"
    src = Source()
    key_columns = [p.column for k in schema.keys for p in k.parts if p.column is not None]
    order = list({c.name: c for c in [*key_columns, *schema.columns]}.values())
    src.lines.append("def encode(row, line=0):")
    ignored: tuple[str, ...] = ()
    cells: dict[str, str] = {}
    if jsonl:
        cells = {c.name: f"c{i}" for i, c in enumerate(order)}
    else:
        placed = place(schema, header if header is not None else schema.file.header or ())
        ignored = placed.ignored
        present = [(i, c) for i, c in enumerate(order) if c.name in placed.positions]
        cells = {c.name: f"c{i}" for i, c in present}
        width = placed.width
        src.add(f"if len(row) != {width}:")
        src.add(f'raise RowRejected(f"row has {{len(row)}} fields, the header has {width}")', 2)
        positions = [placed.positions[c.name] for _i, c in present]
        names = ", ".join(cells[c.name] for _i, c in present)
        if len(present) == 1:
            src.add(f"{names} = row[{positions[0]}]")
        elif present:
            src.add(f"{names} = {src.name(picker(positions), 'pick')}(row)")
    columns = Columns(schema, src, lambda c: cells.get(c.name), jsonl)
    columns.emit(order, {c.name for c in key_columns})
    key_pieces, key_texts, own = _keys(schema, src, columns)
    pieces: list[Piece] = [_join(key_pieces)]
    for column in schema.columns:
        if column.name in own:
            continue
        piece = columns.piece[column.name]
        pieces.append(piece if _maybe_omitted(piece) else [",", *piece])
    derived_texts = _derived(schema, src, columns, constants, pieces, confirmation_ids(bucket, key, etag), key_texts)
    texts = {**{c.attribute: columns.text[c.name] for c in schema.columns}, **key_texts, **derived_texts}
    texts |= {c.name: columns.text[c.name] for c in schema.columns}
    identity = ' + "\\x00" + '.join(key_texts[k.attribute] for k in schema.keys)
    _output(schema, src, texts, {k.attribute for k in schema.keys} | set(own))
    src.add(f"return {identity}, {fstring([['{'], *pieces, ['}']])}, out")
    namespace = dict(src.names)
    code = "\n".join(src.lines)
    exec(compile(code, f"<schema {schema.name}>", "exec"), namespace)  # noqa: S102 - our own generated code
    return Encoder(namespace["encode"], ignored, uses_line, code)


def _maybe_omitted(piece: Piece) -> bool:
    return len(piece) == 1 and isinstance(piece[0], Expr) and piece[0].startswith("a")


def _join(pieces: list[Piece]) -> Piece:
    joined: Piece = []
    for i, piece in enumerate(pieces):
        joined += piece if i == 0 else [",", *piece]
    return joined


def _keys(schema: Schema, src: Source, columns: Columns) -> tuple[list[Piece], dict[str, str], set[str]]:
    """Each key's piece and text variable; `own`: the columns that are a key attribute themselves."""
    pieces, texts, own = [], {}, set()
    for index, key in enumerate(schema.keys):
        column = key.column
        if column is not None and column.attribute == key.attribute:
            own.add(column.name)
            text = columns.text[column.name]
            pieces.append(columns.piece[column.name])
        else:
            text = f"k{index}"
            parts = [repr(p.text) if p.column is None else columns.text[p.column.name] for p in key.parts]
            src.add(f"{text} = {' + '.join(parts)}")
            kind = Column(key.attribute, {"S": "string", "N": "decimal", "B": "binary"}[key.type], key.attribute)
            pieces.append(attribute_piece(key.attribute, wire_of(kind, text)))
        _key_size_check(src, key, column, text)
        texts[key.attribute] = text
    return pieces, texts, own


def _key_size_check(src: Source, key: KeySpec, column: Column | None, text: str) -> None:
    limit, which = key_limit(key)
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
) -> dict[str, str]:
    """Append each derived attribute's piece; answer the variables holding their texts."""
    texts: dict[str, str] = {}
    for index, derived in enumerate(schema.derived):
        name = derived.attribute
        if derived.kind == "uuid5":
            values = [key_texts.get(c.attribute) or columns.text[c.name] for c in derived.columns]
            src.add(f"u{index} = {src.name(confirm, 'confirm')}({' + chr(0) + '.join(values)})")
            pieces.append([",", *attribute_piece(name, ['{"S":"', Expr(f"u{index}"), '"}'])])
            texts[name] = f"u{index}"
        elif derived.kind == "source" and derived.source == "line":
            pieces.append([",", *attribute_piece(name, ['{"N":"', Expr("line"), '"}'])])
            texts[name] = "str(line)"
        elif derived.kind == "source":
            value = constants[derived.source]
            pieces.append([",", *attribute_piece(name, ['{"S":' + json_string(value) + "}"])])
            texts[name] = src.name(value, "constant")
        else:  # ttl: omitted with its date
            date = columns.text[derived.columns[0].name]
            ttl = src.name(ttl_function(derived), "ttl")
            src.add(f"v{index} = {ttl}({date}) if {date} else ''")
            piece = repr(json_string(name) + ':{"N":"')
            src.add(f"""w{index} = ',' + {piece} + v{index} + '"}}' if {date} else ''""")
            pieces.append([Expr(f"w{index}")])
            texts[name] = f"v{index}"
    return texts


def _output(schema: Schema, src: Source, texts: dict[str, str], never_empty: set[str]) -> None:
    """out = the output line: cells that need quoting or start like a formula go through report_line."""
    from offload_worker.load import FORMULA_STARTS, report_line  # the reports' one writer of cells

    values = [texts[name] for name in schema.output_columns]
    if not values:
        src.add("out = '\\n'")
        return
    formula, needs = src.name(FORMULA_STARTS, "formula"), src.name(frozenset(',"\r\n'), "quoting")
    tests = []
    for name, value in zip(schema.output_columns, values, strict=True):
        if value.startswith("u"):  # a uuid: never quoted
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
