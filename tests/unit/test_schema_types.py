"""Each column type and constraint: the attribute a cell becomes, or the reason its row is rejected."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from offload_worker.errors import RowRejected
from offload_worker.schema import load_schema


def schema_text(column: str, fmt: str = "csv") -> bytes:
    return (
        f"schema: 1\nfile: {{format: {fmt}}}\ntable:\n  partition_key: {{attribute: id, type: S, value: id}}\n"
        f"columns:\n  - {{name: id, type: string}}\n  - {column}\n"
    ).encode()


def attribute(column: str, cell: Any, fmt: str = "csv") -> Any:
    """The `v` attribute of the item a row with this cell makes (None: omitted)."""
    encoder = load_schema(schema_text(column, fmt), "t.yaml").compile(["id", "v"], bucket="b", key="k", etag="e")
    record: Any = ["1", cell] if fmt == "csv" else {"id": "1", **({} if cell is None else {"v": cell})}
    _key, item, _out = encoder.encode(record)
    return json.loads(item).get("v")


def reason(column: str, cell: Any, fmt: str = "csv") -> str:
    with pytest.raises(RowRejected) as caught:
        attribute(column, cell, fmt)
    return str(caught.value)


@pytest.mark.parametrize("column, cell, wire", [
    ("{name: v, type: string}", "  text  ", {"S": "text"}),
    ("{name: v, type: string, trim: false}", "  text  ", {"S": "  text  "}),
    ("{name: v, type: string}", "", {"S": ""}),
    ("{name: v, type: string, enum: [a, b]}", "b", {"S": "b"}),
    ("{name: v, type: string, pattern: '[A-Z]{3}'}", "ABC", {"S": "ABC"}),
    ("{name: v, type: string, max_length: 3}", "\u00e9a", {"S": "\u00e9a"}),  # 3 UTF-8 bytes
    ("{name: v, type: integer}", "+5", {"N": "5"}),
    ("{name: v, type: integer}", "-12", {"N": "-12"}),
    ("{name: v, type: integer}", "-0", {"N": "0"}),
    ("{name: v, type: integer, min: -3, max: 3}", "-3", {"N": "-3"}),
    ("{name: v, type: integer, enum: ['1', '2']}", "02", {"N": "2"}),
    ("{name: v, type: decimal}", "0012.50", {"N": "12.50"}),
    ("{name: v, type: decimal}", "0.0000001", {"N": "1E-7"}),
    ("{name: v, type: decimal}", "1" * 38, {"N": "1" * 38}),
    ("{name: v, type: decimal, max: 10}", "10.0", {"N": "10.0"}),
    ("{name: v, type: boolean}", "TRUE", {"BOOL": True}),
    ("{name: v, type: boolean, true: [Y, ja], false: [N, nein]}", "nein", {"BOOL": False}),
    ("{name: v, type: date, format: '%m/%d/%Y'}", "3/4/2021", {"S": "2021-03-04"}),
    ("{name: v, type: date, format: '%d.%m.%y', output: epoch}", "02.01.70", {"N": "86400"}),
    ("{name: v, type: date}", "2021-03-04", {"S": "2021-03-04"}),
    ("{name: v, type: datetime, format: '%Y-%m-%dT%H:%M:%S%z'}", "2021-03-04T10:00:00+0100",
     {"S": "2021-03-04T10:00:00+01:00"}),
    ("{name: v, type: datetime, format: '%Y-%m-%d %H:%M:%S.%f', output: epoch}", "1970-01-01 00:00:01.5",
     {"N": "1.5"}),
    ("{name: v, type: datetime, output: epoch}", "1970-01-02T00:00:00Z", {"N": "86400"}),
    ("{name: v, type: string_set}", "b| a |b||", {"SS": ["b", "a"]}),
    ("{name: v, type: string_set, separator: ','}", "x,y", {"SS": ["x", "y"]}),
    ("{name: v, type: number_set}", "1|1.0|2", {"NS": ["1", "2"]}),
    ("{name: v, type: json}", '{"a": [1, 2.5, null, true, "x"]}',
     {"M": {"a": {"L": [{"N": "1"}, {"N": "2.5"}, {"NULL": True}, {"BOOL": True}, {"S": "x"}]}}}),
    ("{name: v, type: binary}", "aGVsbG8", None),  # unpadded: not base64
    ("{name: v, type: binary}", " aGVsbG8= ", {"B": "aGVsbG8="}),
])
def test_csv_cell_becomes_its_typed_attribute(column: str, cell: str, wire: Any) -> None:
    if wire is None:
        assert "is not base64" in reason(column, cell)
    else:
        assert attribute(column, cell) == wire


@pytest.mark.parametrize("column, cell, message", [
    ("{name: v, type: string, enum: [a, b]}", "c", "v 'c' is not one of a, b"),
    ("{name: v, type: string, pattern: '[A-Z]{3}'}", "ABCD", "v 'ABCD' does not match [A-Z]{3}"),
    ("{name: v, type: string, max_length: 3}", "\u00e9ab", "v is longer than 3 bytes"),
    ("{name: v, type: integer}", "12.5", "v '12.5' is not a whole number"),
    ("{name: v, type: integer}", "", "v '' is not a whole number"),
    ("{name: v, type: integer, min: 0}", "-1", "v '-1' must not be negative"),
    ("{name: v, type: integer, min: 2}", "1", "v '1' is below the minimum 2"),
    ("{name: v, type: integer, max: 2}", "3", "v '3' is above the maximum 2"),
    ("{name: v, type: integer, enum: ['1', '2']}", "3", "v '3' is not one of 1, 2"),
    ("{name: v, type: decimal}", "1e5", "v '1e5' is not a plain decimal number"),
    ("{name: v, type: decimal}", "1" * 39, "has more than 38 significant digits"),
    ("{name: v, type: decimal}", "0." + "0" * 130 + "1", "is out of DynamoDB's number range"),
    ("{name: v, type: decimal, max: 10}", "10.01", "v '10.01' is above the maximum 10"),
    ("{name: v, type: boolean}", "yes", "v 'yes' is not a boolean: write one of true, false"),
    ("{name: v, type: date, format: '%m/%d/%Y'}", "2021-03-20", "v '2021-03-20' is not a date in M/D/YYYY form"),
    ("{name: v, type: date, format: '%m/%d/%Y'}", "2/30/2021", "v '2/30/2021' is not a real date"),
    ("{name: v, type: date}", "3/4/2021", "v '3/4/2021' is not a date in ISO-8601 form"),
    ("{name: v, type: datetime, format: '%Y-%m-%d %H:%M'}", "2021-03-04", "not a date and time in YYYY-M-D hh:mm"),
    ("{name: v, type: string_set}", "|", "v '|' has no items (DynamoDB has no empty sets)"),
    ("{name: v, type: number_set}", "1|x", "v 'x' is not a plain decimal number"),
    ("{name: v, type: json}", "[1,", "v is not JSON"),
    ("{name: v, type: json}", "5", "v 5 is not a JSON map or list"),
])
def test_bad_csv_cell_rejects_the_row(column: str, cell: str, message: str) -> None:
    assert message in reason(column, cell)


@pytest.mark.parametrize("column, cell, wire", [
    ("{name: v, type: string, empty: omit}", "", None),
    ("{name: v, type: integer, empty: omit}", "  ", None),
    ("{name: v, type: integer, empty: 'null'}", "", {"NULL": True}),
    ("{name: v, type: decimal, default: '1.50'}", "", {"N": "1.50"}),
    ("{name: v, type: boolean, default: 'false'}", "", {"BOOL": False}),
    ("{name: v, type: string_set, empty: omit}", "", None),
])
def test_empty_cell_follows_its_policy(column: str, cell: str, wire: Any) -> None:
    assert attribute(column, cell) == wire


@pytest.mark.parametrize("column", ["{name: v, type: string, empty: reject}",
                                    "{name: v, type: integer, required: true}"])
def test_empty_cell_rejected_when_declared(column: str) -> None:
    assert reason(column, " ") == "v is empty"


@pytest.mark.parametrize("column, value, wire", [
    ("{name: v, type: integer}", Decimal("12"), {"N": "12"}),
    ("{name: v, type: integer}", Decimal("12.0"), {"N": "12"}),
    ("{name: v, type: decimal}", Decimal("0.10"), {"N": "0.10"}),
    ("{name: v, type: decimal}", "7.25", {"N": "7.25"}),
    ("{name: v, type: boolean}", True, {"BOOL": True}),
    ("{name: v, type: string_set}", ["a", "b", "a"], {"SS": ["a", "b"]}),
    ("{name: v, type: number_set}", [Decimal(1), "2"], {"NS": ["1", "2"]}),
    ("{name: v, type: json}", {"k": [Decimal("1.5")]}, {"M": {"k": {"L": [{"N": "1.5"}]}}}),
    ("{name: v, type: string, empty: omit}", None, None),
    ("{name: v, type: string, empty: 'null'}", "", {"NULL": True}),
])
def test_jsonl_value_becomes_its_typed_attribute(column: str, value: Any, wire: Any) -> None:
    assert attribute(column, value, "jsonl") == wire


@pytest.mark.parametrize("column, value, message", [
    ("{name: v, type: integer, required: true}", None, "v is empty"),
    ("{name: v, type: integer}", Decimal("12.5"), "v 12.5 is not a whole number"),
    ("{name: v, type: string}", Decimal("5"), "v 5 is not text"),
    ("{name: v, type: decimal}", True, "v true is not a number"),
    ("{name: v, type: boolean}", "maybe", "v 'maybe' is not a boolean"),
    ("{name: v, type: string, required: true}", "  ", "v is empty"),
    ("{name: v, type: string_set}", ["a", Decimal(1)], 'v ["a", "1"] holds an item that is not text'),
    ("{name: v, type: string_set}", {"a": Decimal(1)}, 'v {"a": "1"} is not text or a list'),
    ("{name: v, type: string_set}", True, "v true is not text or a list"),
    ("{name: v, type: string_set}", Decimal("12.5"), "v 12.5 is not text or a list"),
    ("{name: v, type: number_set}", {"a": Decimal(1)}, 'v {"a": "1"} is not text or a list'),
])
def test_bad_jsonl_value_rejects_the_row(column: str, value: Any, message: str) -> None:
    assert message in reason(column, value, "jsonl")


def test_repeated_cells_give_the_same_value_and_a_bad_one_stays_rejected() -> None:
    """A csv cell's value is remembered per column (it depends on the text only); a rejected one is not."""
    text = schema_text("{name: v, type: boolean, true: [ja], false: [nein]}")
    encoder = load_schema(text, "t.yaml").compile(["id", "v"], bucket="b", key="k", etag="e")
    cells = ["ja", "nein", "ja", " ja "] * 2000 + [f"x{i}" for i in range(5000)] + ["ja"]
    values = []
    for n, cell in enumerate(cells):
        try:
            values.append(json.loads(encoder.encode([str(n), cell])[1])["v"]["BOOL"])
        except RowRejected as error:
            values.append(str(error))
    assert values[:4] == [True, False, True, True] and values[:8000] == values[:4] * 2000
    assert values[8000:] == [f"v 'x{i}' is not a boolean: write one of ja, nein" for i in range(5000)] + [True]


@pytest.mark.parametrize("kind", ["integer", "decimal", "string", "boolean", "date", "json", "string_set"])
def test_an_absent_or_null_jsonl_field_of_an_optional_column_is_omitted(kind: str) -> None:
    """DynamoDB has no schema for other attributes: a sparse JSON object loads as a sparse item."""
    schema = load_schema(schema_text(f"{{name: v, type: {kind}}}", "jsonl"), "t.yaml")
    encoder = schema.compile(None, bucket="b", key="k", etag="e")
    for record in ({"id": "1"}, {"id": "1", "v": None}):
        assert json.loads(encoder.encode(record)[1]) == {"id": {"S": "1"}}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_json_value_deeper_than_dynamodbs_32_levels_is_a_rejected_row(fmt: str) -> None:
    """DynamoDB: 32 levels counting the top-level attribute, so 31 maps or lists around a scalar at most."""
    def nested(levels: int) -> Any:
        value: Any = "leaf"
        for _ in range(levels):
            value = [value]
        return json.dumps(value) if fmt == "csv" else value

    assert attribute("{name: v, type: json}", nested(31), fmt) is not None
    assert reason("{name: v, type: json}", nested(32), fmt) == "v nests deeper than DynamoDB's 32 levels"
    if fmt == "csv":  # deeper than Python's own recursion limit, too
        too_deep = "[" * 100_000 + "]" * 100_000
        assert reason("{name: v, type: json}", too_deep) == "v nests deeper than DynamoDB's 32 levels"


def test_a_json_line_nested_past_pythons_recursion_limit_is_a_rejected_row() -> None:
    from offload_worker.formats.jsonl_rows import jsonl_rows

    ((line, rejected),) = list(jsonl_rows(['{"v": ' + "[" * 100_000 + "]" * 100_000 + "}"], dynamodb_json=False))
    assert line == 1 and isinstance(rejected, RowRejected) and "nests too deep" in str(rejected)


def test_a_decimal_enum_compares_values_not_spellings() -> None:
    column = "{name: v, type: decimal, enum: ['1.5', '2']}"
    assert [attribute(column, c) for c in ("1.50", "2.0", "02")] == [{"N": "1.50"}, {"N": "2.0"}, {"N": "2"}]
    assert reason(column, "2.5") == "v '2.5' is not one of 1.5, 2"
    assert attribute("{name: v, type: decimal, enum: ['1.5', '2'], default: '1.50'}", "") == {"N": "1.50"}


def test_min_and_max_are_read_exactly_not_as_floats() -> None:
    column = "{name: v, type: decimal, min: 0.1, max: 99999999999999999.99}"
    assert attribute(column, "99999999999999999.99") == {"N": "99999999999999999.99"}
    above = "v '100000000000000000.00' is above the maximum 99999999999999999.99"
    assert reason(column, "100000000000000000.00") == above
    assert reason(column, "0.09") == "v '0.09' is below the minimum 0.1"


@pytest.mark.parametrize("column, cell", [
    ("{name: v, type: integer}", "\uff11\uff12"),  # fullwidth 12
    ("{name: v, type: decimal}", "\u0661\u0662.5"),  # Arabic-Indic 12.5
    ("{name: v, type: date, format: '%d.%m.%Y'}", "0\u0661.01.2024"),
])
def test_only_ascii_digits_are_numbers_and_dates(column: str, cell: str) -> None:
    with pytest.raises(RowRejected):
        attribute(column, cell)


def test_38_digits_are_counted_as_dynamodb_counts_them_after_trimming_zeros() -> None:
    assert attribute("{name: v, type: decimal}", "1." + "0" * 40) == {"N": "1"}
    assert attribute("{name: v, type: integer}", "0" * 40 + "12") == {"N": "12"}
    assert "more than 38 significant digits" in reason("{name: v, type: decimal}", "1" * 39 + ".0")
    assert "is not a whole number" in reason("{name: v, type: integer}", "1" * 39)
