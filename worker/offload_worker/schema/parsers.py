"""Each column type's parser: a cell (csv text, or a JSON Lines value) -> its canonical text or wire value."""

from __future__ import annotations

from decimal import Decimal

from offload_worker.errors import RowRejected
from offload_worker.schema import cells
from offload_worker.schema.cells import Parser
from offload_worker.schema.dates import date_parser
from offload_worker.schema.model import Column
from offload_worker.schema.numbers import decimal_parser, integer_parser


def value_parser(column: Column) -> Parser:
    """The column's whole check: its type, then its constraints (enum, pattern, max_length, min, max)."""
    kind, name = column.type, column.name
    if kind == "string":
        return cells.string_parser(column)
    if kind in ("integer", "decimal"):
        number = (integer_parser if kind == "integer" else decimal_parser)(name, column.min, column.max)
        return _one_of(number, column) if column.enum is not None else number
    if kind in ("date", "datetime"):
        return date_parser(name, column.format, kind == "datetime", column.output == "epoch")
    makers = {
        "boolean": cells.boolean_parser,
        "string_set": cells.string_set_parser,
        "number_set": cells.number_set_parser,
        "json": cells.json_parser,
        "binary": cells.binary_parser,
    }
    return makers[kind](column)


def _one_of(parse: Parser, column: Column) -> Parser:
    """The number must be one of the enum's values, compared as numbers (1.50 is 1.5); sent as written."""
    allowed = frozenset(Decimal(v) for v in column.enum or ())
    choices = ", ".join(column.enum or ())

    def parse_one_of(value: object) -> str:
        text = parse(value)
        if Decimal(text) not in allowed:
            raise RowRejected(f"{column.name} {value!r} is not one of {choices}")
        return text

    return parse_one_of
