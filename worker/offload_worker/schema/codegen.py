"""A schema and a header -> the Python source of that file's row encoder, exec'd once per file.

The hot loop runs only what this file's columns need: one C-level pick of the cells, one regex
for a run of plain numbers, a cache per date format, the item as one f-string. Any value off the
fast path goes through its column's parser (parsers.py) in column order, key columns first, so
the first problem is the one reported. The values a generated line uses (parsers, constants)
reach it as names in its globals, never as text pasted into code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from json.encoder import encode_basestring_ascii as json_string
from typing import Any

from offload_worker.errors import RowRejected
from offload_worker.schema.memo import cached_date, remembered
from offload_worker.schema.model import Column, Schema
from offload_worker.schema.numbers import canonical_parser, fast_pattern
from offload_worker.schema.parsers import value_parser

NULL = '{"NULL":true}'


class Source:
    """The lines of one function and the values its names stand for."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"q": json_string, "RowRejected": RowRejected}

    def name(self, value: Any, stem: str) -> str:
        found = f"{stem}{len(self.names)}"
        self.names[found] = value
        return found

    def add(self, line: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + line)


class Expr(str):
    """Code inside an f-string piece (anything else in a piece is literal text)."""


Piece = list[str]  # literal text and Expr segments


def wire_of(column: Column, text: str) -> Piece:
    """A column's value held in variable `text`, as its wire JSON."""
    kind = column.wire
    if kind == "S":
        return ['{"S":', Expr(f"q({text})"), "}"]
    if kind in ("N", "B"):
        return ['{"' + kind + '":"', Expr(text), '"}']
    return [Expr(text)]  # the parser made the whole wire value


def attribute_piece(name: str, value: Piece) -> Piece:
    return [json_string(name) + ":", *value]


def fstring(pieces: list[Piece]) -> str:
    """One f-string literal of the pieces' segments, literal text escaped for Python."""
    out = []
    for segment in (s for piece in pieces for s in piece):
        if isinstance(segment, Expr):
            out.append("{" + segment + "}")
        else:
            out.append(segment.replace("\\", "\\\\").replace("'", "\\'").replace("{", "{{").replace("}", "}}"))
    return "f'" + "".join(out) + "'"


class Columns:
    """Code for each column: after it runs, t<i> holds the value's text and the item gets p<i>."""

    def __init__(self, schema: Schema, src: Source, cell: Callable[[Column], str | None], jsonl: bool) -> None:
        self.schema, self.src, self.cell, self.jsonl = schema, src, cell, jsonl
        self.text: dict[str, str] = {}  # column name -> variable (or expression) holding its text
        self.piece: dict[str, Piece] = {}  # column name -> its piece; [Expr("a<i>")] when it may be omitted
        self.needed = _text_needed(schema)
        self._number_keys = {c.name for k in schema.keys if (c := k.column) is not None and k.type == "N"}
        self.key_text: dict[str, str] = {}  # key attribute -> the variable holding its text
        self.key_piece: dict[str, Piece] = {}
        self._dates: dict[tuple[str, str, str], dict[str, str]] = {}

    def emit(self, order: list[Column], key_columns: set[str]) -> None:
        run: list[tuple[int, Column]] = []
        for index, column in enumerate(order):
            if self._plain_number(column) and column.name not in key_columns:
                run.append((index, column))
                continue
            self._numbers(run)
            run = []
            self._column(index, column, column.name in key_columns)
        self._numbers(run)

    def _plain_number(self, column: Column) -> bool:
        return (
            not self.jsonl
            and column.type in ("integer", "decimal")
            and column.empty is None
            and column.default is None
            and not column.required
            and column.enum is None
            and self.cell(column) is not None
            and fast_pattern(column.type, column.min, column.max) is not None
        )

    def _numbers(self, run: list[tuple[int, Column]]) -> None:
        """A run of plain numbers: one regex over them all; any miss parses each, in order."""
        if not run:
            return
        cells = [str(self.cell(c)) for _i, c in run]
        patterns = [str(fast_pattern(c.type, c.min, c.max)) for _i, c in run]
        matcher = self.src.name(re.compile("\x00".join(patterns)).fullmatch, "fast")
        joined = f'"\\x00".join(({", ".join(cells)},))' if len(cells) > 1 else cells[0]
        self.src.add(f"if not {matcher}({joined}):")
        for cell, (_i, column) in zip(cells, run, strict=True):
            self.src.add(f"{cell} = {self.src.name(value_parser(column), 'parse')}({cell})", 2)
        for cell, (_i, column) in zip(cells, run, strict=True):
            self.text[column.name] = cell
            self.piece[column.name] = attribute_piece(column.attribute, wire_of(column, cell))

    def _column(self, index: int, column: Column, is_key: bool) -> None:
        src, cell, text = self.src, self.cell(column), f"t{index}"
        self.text[column.name] = text
        policy = self.policy(column, is_key)
        if cell is None:  # an optional column this file lacks: every row's value is empty
            self._set(column, index, self._empty(index, column, policy, indent=1))
            return
        if self.jsonl:
            src.add(f"{cell} = row.get({column.name!r})")
        elif column.type == "string" and column.enum is None and column.pattern is None:
            self._csv_string(index, column, cell, policy)
            return
        elif column.type in ("date", "datetime") and policy is None and column.name not in self.needed:
            cache = self._dates.setdefault((column.type, column.format, column.output), {})
            fill = src.name(cached_date(value_parser(column), cache, column.wire == "S"), "date")
            src.add(f"{text} = {src.name(cache, 'dates')}.get({cell}) or {fill}({cell})")
            self.piece[column.name] = attribute_piece(column.attribute, [Expr(text)])  # the cache holds the value
            return
        parser = value_parser(column)
        if column.name in self._number_keys and column.type == "decimal":  # integers are already canonical
            parser = canonical_parser(parser)
        call = f"{src.name(parser, 'parse')}({cell})"
        if not self.jsonl and not is_key:  # a cell's value depends on its text only: repeats are looked up
            memo: dict[str, str] = {}
            seen, fill = src.name(memo, "seen"), src.name(remembered(parser, memo), "fill")
            call = f"{seen}.get({cell}) or {fill}({cell})"
        if policy is None and not self.jsonl:
            src.add(f"{text} = {call}")
            self._set(column, index, False)
            return
        if not self.jsonl:
            empty = f"not {cell}.strip()" if column.trim or column.type != "string" else f"not {cell}"
        elif policy is None:
            empty = f"{cell} is None"
        else:
            empty = f"{cell} is None or ({cell}.__class__ is str and not {cell}.strip())"
        src.add(f"if {empty}:")
        omitted = self._empty(index, column, policy, indent=2)
        src.add("else:")
        src.add(f"{text} = {call}", 2)
        if omitted:
            src.add(f"a{index} = ',' + {_piece_expr(column, text)}", 2)
        self._set(column, index, omitted)

    def _csv_string(self, index: int, column: Column, cell: str, policy: str | None) -> None:
        src, text, value = self.src, f"t{index}", f"{cell}.strip()" if column.trim else cell
        limit = column.max_length
        if policy is None and limit is None and column.name not in self.needed:
            self.text[column.name] = value
            self.piece[column.name] = attribute_piece(column.attribute, ['{"S":', Expr(f"q({value})"), "}"])
            return
        src.add(f"{text} = {value}")
        body = []  # for a value that is there
        if limit is not None:
            body.append(f'if len({text}) * 4 > {limit} and len({text}.encode("utf-8", "surrogateescape")) > {limit}:')
            body.append(f"    raise RowRejected({f'{column.name} is longer than {limit} bytes'!r})")
        omitted = False
        if policy is not None:
            src.add(f"if not {text}:")
            omitted = self._empty(index, column, policy, indent=2)
            if omitted:
                body.append(f"a{index} = ',' + {_piece_expr(column, text)}")
            if body:
                src.add("else:")
        for line in body:
            src.add(line, 2 if policy is not None else 1)
        self._set(column, index, omitted)

    def _set(self, column: Column, index: int, omitted: bool) -> None:
        """The item's piece: always there, or a{index} (',"Name":value', or '' when omitted)."""
        if omitted:
            self.piece[column.name] = [Expr(f"a{index}")]
        else:
            self.piece[column.name] = attribute_piece(column.attribute, wire_of(column, f"t{index}"))

    def policy(self, column: Column, is_key: bool) -> str | None:
        if is_key or column.required:
            return "reject"
        return "default" if column.default is not None else column.empty

    def _empty(self, index: int, column: Column, policy: str | None, indent: int) -> bool:
        """The code for an empty value: rejected, omitted, NULL or the default. True: a<index> holds the piece."""
        src, text = self.src, f"t{index}"
        if policy is None and self.jsonl:  # an absent or null field of an optional column: no attribute
            policy = "omit"
        if policy is None:  # an empty csv cell parsed as any other
            src.add(f"{text} = {src.name(value_parser(column), 'parse')}('')", indent)
            return False
        if policy == "reject":
            src.add(f"raise RowRejected({f'{column.name} is empty'!r})", indent)
            return False
        if policy == "default":
            src.add(f"{text} = {src.name(column.default, 'default')}", indent)
            src.add(f"a{index} = ',' + {_piece_expr(column, text)}", indent)
        elif policy == "null":
            src.add(f"{text} = ''", indent)
            src.add(f"a{index} = {src.name(',' + json_string(column.attribute) + ':' + NULL, 'null')}", indent)
        else:  # omit
            src.add(f"{text} = ''", indent)
            src.add(f"a{index} = ''", indent)
        return True


def _piece_expr(column: Column, text: str) -> str:
    """A Python expression (not an f-string) for `"Name":<value>` of the text in `text`."""
    name = repr(json_string(column.attribute) + ":")
    kind = column.wire
    if kind == "S":
        return f"{name} + '{{\"S\":' + q({text}) + '}}'"
    if kind in ("N", "B"):
        return f"{name} + '{{\"{kind}\":\"' + {text} + '\"}}'"
    return f"{name} + {text}"


def _text_needed(schema: Schema) -> set[str]:
    """Columns whose plain text other parts use: key templates, uuid5, ttl, output."""
    names = {p.column.name for k in schema.keys for p in k.parts if p.column is not None}
    names |= {c.name for d in schema.derived for c in d.columns}
    by = {c.attribute: c.name for c in schema.columns} | {c.name: c.name for c in schema.columns}
    return names | {by[o] for o in schema.output_columns if o in by}
