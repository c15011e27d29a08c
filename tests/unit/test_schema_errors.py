"""A bad schema file is one line naming the file, the line and the field at fault, and what to write."""

from __future__ import annotations

import pytest
from offload_worker.schema import SchemaError, load_schema

HEAD = "schema: 1\nfile: {format: csv}\ntable:\n  partition_key: {attribute: id, type: S, value: id}\ncolumns:\n"


def error_of(text: str) -> str:
    with pytest.raises(SchemaError) as caught:
        load_schema(text.encode(), "s.yaml")
    return str(caught.value)


@pytest.mark.parametrize("text, message", [
    ("schema: 1\nfile: {format: csv\n", "s.yaml:3: (yaml): expected ',' or '}'"),
    ("", "s.yaml:1: (file): is empty: a schema starts with `schema: 1`"),
    ("- a\n", "s.yaml:1: (file): is ['a']: write fields (name: value)"),
    ("schema: 1\nschema: 1\n", "s.yaml:2: schema: is given twice: keep one"),
    ("schema: 2\n", "s.yaml:1: schema: is 2: write 1"),
    ("schema: 1\nfile:\n  format: csv\ncolumns: []\n", "s.yaml:1: (file): lacks 'table': add `table: ...`"),
    ("schema: 1\nfile: {format: csv, delimiter: ';;'}\n", "s.yaml:2: file.delimiter: is ';;': write one character"),
    ("schema: 1\nfile: {format: xlsx}\n", "s.yaml:2: file.format: is 'xlsx': write one of csv, jsonl"),
    ("schema: 1\nfile: {format: csv, header: [a, a]}\n", "s.yaml:2: file.header: names an entry twice: keep one"),
    ("schema: 1\nfile: {format: csv, header: first}\n",
     "s.yaml:2: file.header: is 'first': write first-row or a list of column names"),
    (HEAD + "  - {name: id, type: string}\noutput: {columns: [id, id]}\n",
     "s.yaml:7: output.columns: names an entry twice: keep one"),
    ("schema: 1\nfile: {format: jsonl, delimiter: ';'}\ntable:\n  partition_key: {attribute: id, type: S, value: id}\n"
     "columns: [{name: id, type: string}]\n", "s.yaml:2: file.delimiter: applies to csv files only"),
    (HEAD + "  - {name: id, type: string}\n  - {name: n, type: float}\n",
     "s.yaml:7: columns[1].type: is 'float': write one of string, integer, decimal, boolean, date, datetime"),
    (HEAD + "  - {name: id, type: string, requird: true}\n",
     "s.yaml:6: columns[0]: has no field 'requird': the fields here are name, type, as, required"),
    (HEAD + "  - {name: id, type: string, max_length: many}\n",
     "s.yaml:6: columns[0].max_length: is 'many': write a whole number"),
    (HEAD + "  - {name: id, type: string, min: 3}\n",
     "s.yaml:6: columns[0].min: applies to integer, decimal, number_set columns, not string"),
    (HEAD + "  - {name: id, type: string}\n  - {name: n, type: integer,\n     default: abc}\n",
     "s.yaml:8: columns[1].default: is not a valid integer: n 'abc' is not a whole number"),
    (HEAD + "  - {name: id, type: string}\n  - {name: n, type: integer, default: '1', empty: omit}\n",
     "s.yaml:7: columns[1].default: a default fills an empty value: drop `empty`/`required` or it"),
    (HEAD + "  - {name: id, type: string}\n  - {name: c, type: string, enum: [a, b], default: z}\n",
     "s.yaml:7: columns[1].default: 'z' is not one of the column's enum"),
    (HEAD + "  - {name: id, type: string}\n  - {name: d, type: date, format: '%Q'}\n",
     "s.yaml:7: columns[1].format: '%Q' %Q is not supported"),
    (HEAD + "  - {name: id, type: string}\n  - {name: d, type: datetime, format: '%Y-%m-%d'}\n",
     "s.yaml:7: columns[1].format: '%Y-%m-%d' lacks %H, %M"),
    (HEAD + "  - {name: id, type: string}\n  - {name: p, type: string, pattern: '(a'}\n",
     "s.yaml:7: columns[1].pattern: is not a regular expression"),
    (HEAD + "  - {name: id, type: string}\n  - {name: n, type: decimal, min: 5, max: 1}\n",
     "s.yaml:7: columns[1].max: is below min (5)"),
    (HEAD + "  - {name: id, type: string}\n  - {name: id, type: integer}\n",
     "s.yaml:7: columns[1].name: column name 'id' is declared twice"),
    (HEAD + "  - {name: id, type: string}\n  - {name: x, as: id, type: integer}\n",
     "s.yaml:7: columns[1].as: attribute 'id' is declared twice"),
    (HEAD.replace("value: id", "value: 'CUST#{cust}'") + "  - {name: id, type: string}\n",
     "s.yaml:4: table.partition_key.value: names no column 'cust': the columns are id"),
    (HEAD.replace("value: id", "value: 'CUST#{id'") + "  - {name: id, type: string}\n",
     "s.yaml:4: table.partition_key.value: 'CUST#{id' has an unmatched brace"),
    (HEAD.replace("type: S", "type: N") + "  - {name: id, type: string}\n",
     "s.yaml:4: table.partition_key.type: is N, but column id is string (S)"),
    (HEAD.replace("type: S, value: id", "type: N, value: 'A#{id}'") + "  - {name: id, type: string}\n",
     "s.yaml:4: table.partition_key.type: is N: a template makes text, write S"),
    (HEAD + "  - {name: id, type: string}\n  - {name: t, type: string_set}\noutput: {columns: [t]}\n",
     "s.yaml:8: output.columns[0]: 't' is a string_set column: name a column with one value"),
    (HEAD + "  - {name: id, type: string}\noutput: {columns: [id, nope]}\n",
     "s.yaml:7: output.columns[1]: names no attribute 'nope'"),
    (HEAD + "  - {name: id, type: string}\nderived:\n  - {as: X, uuid5: [id], source: key}\n",
     "s.yaml:8: derived[0]: needs exactly one of uuid5, source, ttl beside `as`"),
    (HEAD + "  - {name: id, type: string}\nderived:\n  - {as: X, ttl: {from: id, days: 3}}\n",
     "s.yaml:8: derived[0].ttl.from: names string column id: name a date"),
    (HEAD + "  - {name: id, type: string}\nderived:\n  - {as: id, source: key}\n",
     "s.yaml:8: derived[0].as: attribute 'id' is declared twice"),
    (HEAD + "  - {name: id, type: string}\nduplicates: newest\n",
     "s.yaml:7: duplicates: is 'newest': write one of last, first, reject"),
])
def test_each_error_is_one_line_with_file_line_and_field(text: str, message: str) -> None:
    found = error_of(text)
    assert found.startswith(message)
    assert "\n" not in found


def test_yaml_1_1_words_stay_text() -> None:
    """`yes`, `N`, `null`, `007` are a boolean's spellings, an empty policy or names, not YAML 1.1 values."""
    schema = load_schema((HEAD + "  - {name: id, type: string}\n  - {name: 007, type: boolean, true: [yes, Y],"
                                 " false: [no, N], empty: null}\n").encode(), "s.yaml")
    flag = schema.columns[1]
    assert (flag.name, flag.true, flag.false, flag.empty) == ("007", ("yes", "Y"), ("no", "N"), "null")


def test_not_utf8_is_an_error() -> None:
    with pytest.raises(SchemaError, match=r"s.yaml:1: \(file\): is not UTF-8 text"):
        load_schema(b"schema: 1\n\xff\n", "s.yaml")


@pytest.mark.parametrize("text, message", [
    ("schema: 1\nfile: {format: csv, header: [id, x]}\ntable:\n  partition_key: {attribute: id, type: S, value: id}\n"
     "columns:\n  - {name: id, type: string}\n  - {name: v, type: string}\n",
     "s.yaml:2: file.header: lacks column(s) v the columns declare: add them to the header, or mark them"),
    ("schema: 1\nfile: {format: csv}\ntable:\n  partition_key: {attribute: id, type: S, value: id}\n"
     "  sort_key: {attribute: id, type: S, value: v}\ncolumns:\n  - {name: id, type: string}\n"
     "  - {name: v, type: string}\n",
     "s.yaml:5: table.sort_key.attribute: is the partition key's attribute id: a sort key is another attribute"),
    (HEAD + "  - {name: id, type: string, default: x}\n",
     "s.yaml:6: columns[0].default: id is a key column, always required: drop the default"),
    (HEAD + "  - {name: id, type: string}\n  - {name: f, type: boolean, true: [Y, yes], false: [n, y]}\n",
     "s.yaml:7: columns[1].false: 'y' is also a true spelling (letter case is ignored): keep it in one list"),
    (HEAD.replace("{format: csv}", "{format: csv, delimiter: \"'\", quote: \"'\"}") + "  - {name: id, type: string}\n",
     "s.yaml:2: file.quote: is the delimiter too: write another quote character"),
    (HEAD + "  - {name: id, type: string}\n  - {name: a, as: X, type: string}\n  - {name: b, as: a, type: string}\n",
     "s.yaml:8: columns[2].as: 'a' is column a's name: a reference to it would be ambiguous, write another name"),
])
def test_a_schema_that_can_never_load_a_file_is_an_error(text: str, message: str) -> None:
    found = error_of(text)
    assert found == message or found.startswith(message), found
    assert "\n" not in found


def test_an_empty_output_list_is_an_error() -> None:
    text = HEAD + "  - {name: id, type: string}\noutput: {columns: []}\n"
    assert error_of(text) == "s.yaml:7: output.columns: is an empty list: give at least one entry"
