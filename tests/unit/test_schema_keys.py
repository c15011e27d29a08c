"""Keys (a column or a template), derived attributes, output columns, DynamoDB-JSON lines, the examples."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from offload_contract import confirmation_ids
from offload_worker.errors import RowRejected
from offload_worker.schema import load_schema

from tests.conftest import REPO

EVENTS = """schema: 1
file: {format: jsonl}
table:
  partition_key: {attribute: PK, type: S, value: "CUST#{customer_id}"}
  sort_key: {attribute: SK, type: N, value: order_no}
columns:
  - {name: customer_id, type: string}
  - {name: order_no, type: integer}
  - {name: ship, as: ShipDate, type: date, empty: omit}
derived:
  - {as: EventId, uuid5: [customer_id, order_no]}
  - {as: Bucket, source: bucket}
  - {as: Etag, source: etag}
  - {as: Line, source: line}
  - {as: ExpiresAt, ttl: {from: ShipDate, days: 2}}
output:
  columns: [PK, SK, EventId, Etag]
"""


def encode(text: str, record: Any, header: list[str] | None = None, line: int = 0) -> tuple[str, Any, str]:
    encoder = load_schema(text.encode(), "t.yaml").compile(header, bucket="bkt", key="in/a", etag='"e1"')
    key, item, out = encoder.encode(record, line)
    return key, json.loads(item), out


def test_templated_partition_key_and_number_sort_key() -> None:
    key, item, out = encode(EVENTS, {"customer_id": "c-1", "order_no": Decimal(17), "ship": "1970-01-02"}, line=4)
    event_id = confirmation_ids("bkt", "in/a", '"e1"')("c-1\x0017")
    assert key == "CUST#c-1\x0017"
    assert item == {
        "PK": {"S": "CUST#c-1"},
        "SK": {"N": "17"},
        "customer_id": {"S": "c-1"},
        "order_no": {"N": "17"},
        "ShipDate": {"S": "1970-01-02"},
        "EventId": {"S": event_id},
        "Bucket": {"S": "bkt"},
        "Etag": {"S": '"e1"'},
        "Line": {"N": "4"},
        "ExpiresAt": {"N": str(86400 * 3)},
    }
    assert out == f'CUST#c-1,17,{event_id},"""e1"""\n'  # the ETag's quotes are quoted, as csv does


def test_ttl_is_omitted_with_its_date() -> None:
    _key, item, _out = encode(EVENTS, {"customer_id": "c-1", "order_no": Decimal(1)})
    assert "ShipDate" not in item and "ExpiresAt" not in item


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"order_no": Decimal(1)}, "customer_id is empty"),
        ({"customer_id": "c", "order_no": "x"}, "order_no 'x' is not a whole number"),
        ({"customer_id": "x" * 2044, "order_no": Decimal(1)}, "PK is longer than 2048 bytes, DynamoDB's partition key"),
    ],
)
def test_key_values_are_required_and_within_dynamodbs_limits(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        encode(EVENTS, record)


def test_sort_key_limit_is_1024_bytes() -> None:
    text = EVENTS.replace('value: "CUST#{customer_id}"', "value: customer_id").replace(
        "sort_key: {attribute: SK, type: N, value: order_no}", "sort_key: {attribute: SK, type: S, value: s}"
    )
    text = text.replace("  - {name: ship,", "  - {name: s, type: string}\n  - {name: ship,")
    with pytest.raises(RowRejected, match="SK is longer than 1024 bytes, DynamoDB's sort key limit"):
        encode(text, {"customer_id": "c", "order_no": Decimal(1), "s": "\u00e9" * 513})


def test_given_header_and_optional_column() -> None:
    text = """schema: 1
file: {format: csv, delimiter: "|", header: [id, n]}
table:
  partition_key: {attribute: id, type: N, value: id}
columns:
  - {name: id, type: integer}
  - {name: n, type: string}
  - {name: later, type: string, optional: true, empty: omit}
"""
    schema = load_schema(text.encode(), "t.yaml")
    assert schema.file.header == ("id", "n") and schema.output_columns == ("id",)
    encoder = schema.compile(None, bucket="b", key="k", etag="e")
    assert encoder.encode(["07", "x"]) == ("7", '{"id":{"N":"7"},"n":{"S":"x"}}', "7\n")


def test_dynamodb_json_lines_load_as_they_are() -> None:
    text = """schema: 1
file: {format: jsonl, dynamodb_json: true}
table:
  partition_key: {attribute: PK, type: S, value: "USER#{id}"}
columns: []
derived:
  - {as: SourceKey, source: key}
output: {columns: [PK]}
"""
    # The reader unwraps ExportTable's {"Item": {...}}: the encoder gets the item.
    key, item, out = encode(text, {"id": {"S": "u1"}, "n": {"N": "1.50"}, "tags": {"SS": ["a"]}})
    assert key == "USER#u1" and out == "USER#u1\n"
    assert item == {
        "id": {"S": "u1"},
        "n": {"N": "1.50"},
        "tags": {"SS": ["a"]},
        "PK": {"S": "USER#u1"},
        "SourceKey": {"S": "in/a"},
    }
    with pytest.raises(RowRejected, match="n is not a DynamoDB-JSON value"):
        encode(text, {"id": {"S": "u1"}, "n": 5})


@pytest.mark.parametrize("path", sorted((REPO / "schemas").glob("*.yaml")), ids=lambda p: p.name)
def test_example_schemas_load(path: Path) -> None:
    schema = load_schema(path.read_bytes(), str(path.relative_to(REPO)))
    assert schema.keys and schema.output_columns


def test_store_stock_example_row() -> None:
    schema = load_schema((REPO / "schemas" / "store-stock.yaml").read_bytes(), "store-stock.yaml")
    header = ["store", "sku", "name", "qty", "price", "sizes", "active", "counted", "photo", "note"]
    encoder = schema.compile(header, bucket="b", key="k", etag="e")
    cells = ["S1", "ABC-0001", "Shirt", "3", "19.90", "38|40|40.0", "ja", "01.02.2024", "aGVsbG8=", ""]
    key, item, out = encoder.encode(cells)
    assert (key, out) == ("S1\x00ABC-0001", "S1,ABC-0001\n")
    assert json.loads(item) == {
        "StoreId": {"S": "S1"},
        "Sku": {"S": "ABC-0001"},
        "Name": {"S": "Shirt"},
        "Quantity": {"N": "3"},
        "Price": {"N": "19.90"},
        "Sizes": {"NS": ["38", "40"]},
        "Active": {"BOOL": True},
        "CountedOn": {"S": "2024-02-01"},
        "Photo": {"B": "aGVsbG8="},
        "Note": {"NULL": True},
    }
    assert schema.duplicates == "reject"


@pytest.mark.parametrize(
    "source, name",
    [
        ("schemas/store-stock.yaml", "store-stock"),
        ("schemas/stock/" + "a" * 64 + ".yaml", "stock"),  # as Terraform uploads it: schemas/<name>/<sha256>.yaml
    ],
)
def test_schema_without_a_name_is_named_after_its_file(source: str, name: str) -> None:
    text = (REPO / "schemas" / "store-stock.yaml").read_text().replace("name: store-stock\n", "")
    assert load_schema(text.encode(), source).name == name


def test_key_alone_reads_only_the_key_columns() -> None:
    encoder = load_schema(EVENTS.encode(), "t.yaml").compile(None, bucket="b", key="k", etag="e")
    record = {"customer_id": "c-1", "order_no": Decimal(17), "ship": "not a date"}  # encode rejects it
    assert encoder.key(record) == "CUST#c-1\x0017"
    assert encoder.key({"order_no": Decimal(1)}) == ""  # no key: its encode is a rejected row


def test_optional_column_the_file_lacks_takes_its_default_and_output_shows_empty_values() -> None:
    text = """schema: 1
file: {format: csv}
table:
  partition_key: {attribute: id, type: S, value: id}
columns:
  - {name: id, type: string}
  - {name: plan, type: string, optional: true, default: free}
  - {name: note, type: string, empty: 'null'}
output: {columns: [id, plan, note]}
"""
    encoder = load_schema(text.encode(), "t.yaml").compile(["note", "id"], bucket="b", key="k", etag="e")
    assert encoder.encode(["", "7"]) == ("7", '{"id":{"S":"7"},"plan":{"S":"free"},"note":{"NULL":true}}', "7,free,\n")
    assert encoder.encode(["-x", "8"])[2] == '8,free,"\'-x"\n'  # a formula-like cell is quoted


def test_names_and_texts_with_quotes_and_braces_stay_data_in_the_generated_code() -> None:
    names = ["a'b", "x{y}", "back\\slash", 'q"uote', "f'{1/0}'", "\u00e9"]
    columns = "".join(f"  - {{name: {json.dumps(n)}, as: {json.dumps(n + '!')}, type: string}}\n" for n in names)
    text = (
        'schema: 1\nfile: {format: csv}\ntable:\n  partition_key: {attribute: "P\'K{", type: S, value: '
        + json.dumps("L'it\\#{a'b}")
        + "}\ncolumns:\n"
        + columns
        + 'derived:\n  - {as: "S\'{k}", source: key}\noutput: {columns: '
        + json.dumps(names[:2])
        + "}\n"
    )
    encoder = load_schema(text.encode(), "t.yaml").compile(names, bucket="b", key="k'{x}\\\"", etag="e")
    key, item, out = encoder.encode([f"v{i}'{{" for i in range(len(names))])
    assert key == "L'it\\#v0'{" and out == "v0'{,v1'{\n"
    assert json.loads(item) == {
        "P'K{": {"S": key},
        **{n + "!": {"S": f"v{i}'{{"} for i, n in enumerate(names)},
        "S'{k}": {"S": "k'{x}\\\""},
    }


NUMBER_SORT_KEY = """schema: 1
file: {format: csv}
table:
  partition_key: {attribute: id, type: S, value: id}
  sort_key: {attribute: n, type: N, value: n}
columns:
  - {name: id, type: string}
  - {name: n, type: decimal}
duplicates: reject
"""


@pytest.mark.parametrize("spelled", ["1.50", "01.5", "+1.5", "1.500000", "00001.5000"])
def test_a_number_key_is_sent_and_identified_as_dynamodb_stores_it(spelled: str) -> None:
    # DynamoDB trims a number's leading and trailing zeros (HowItWorks.NamingRulesDataTypes): 1.50 is the key 1.5.
    key, item, _out = encode(NUMBER_SORT_KEY, ["a", spelled], header=["id", "n"])
    assert key == "a\x001.5" and item["n"] == {"N": "1.5"}


def test_number_keys_of_one_value_are_one_key_also_in_json_and_dynamodb_json() -> None:
    jsonl = NUMBER_SORT_KEY.replace("format: csv", "format: jsonl")
    assert encode(jsonl, {"id": "a", "n": Decimal("1E+2")})[0] == encode(jsonl, {"id": "a", "n": Decimal("100.0")})[0]
    assert encode(jsonl, {"id": "a", "n": Decimal("1E+2")})[1]["n"] == {"N": "100"}
    items = """schema: 1
file: {format: jsonl, dynamodb_json: true}
table:
  partition_key: {attribute: id, type: S, value: id}
  sort_key: {attribute: n, type: N, value: n}
columns: []
"""
    key, item, _out = encode(items, {"id": {"S": "a"}, "n": {"N": "1.0"}})
    assert key == encode(items, {"id": {"S": "a"}, "n": {"N": "1"}})[0] == "a\x001" and item["n"] == {"N": "1"}


ITEMS = """schema: 1
file: {format: jsonl, dynamodb_json: true}
table:
  partition_key: {attribute: PK, type: S, value: PK}
  sort_key: {attribute: SK, type: N, value: SK}
columns: []
derived:
  - {as: ExpiresAt, ttl: {from: Shipped, days: 1}}
"""


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"S": "leaf"}
    for _ in range(levels):
        value = {"L": [value]}
    return value


@pytest.mark.parametrize(
    "attributes, reason",
    [
        ({"n": {"N": Decimal(5)}}, "n N is not text"),
        ({"n": {"S": Decimal(5)}}, "n S is not text"),
        ({"n": {"N": "abc"}}, "n 'abc' is not a plain decimal number"),
        ({"SK": {"N": "x1"}}, "SK 'x1' is not a plain decimal number"),
        ({"n": {"SS": []}}, "n SS is not a list of at least one item"),
        ({"n": {"NS": ["1", "1.0"]}}, "n NS holds an item twice"),
        ({"n": {"BOOL": "yes"}}, "n BOOL is not true or false"),
        ({"n": {"NULL": False}}, "n NULL is not true"),
        ({"n": {"M": {"x": {"N": Decimal("NaN")}}}}, "n.x N is not text"),
        ({"n": {"L": [{"N": "NaN"}]}}, r"n\[0\] 'NaN' is not a plain decimal number"),
        ({"n": {"B": "not base64!"}}, "n B is not base64"),
        ({"n": {"M": []}}, "n M is not a map"),
        ({"n": {"X": "?"}}, "n has the type 'X'"),
        ({"n": deep(32)}, "n nests deeper than DynamoDB's 32 levels"),
        ({"Shipped": {"S": "garbage"}}, "Shipped 'garbage' is not a date"),
        ({"Shipped": {"N": "abc"}}, "Shipped 'abc' is not a plain decimal number"),
        ({"Shipped": {"S": "12x"}}, "Shipped '12x' is not a date"),
    ],
)
def test_a_malformed_dynamodb_json_value_anywhere_in_the_item_is_a_rejected_row(
    attributes: dict[str, Any], reason: str
) -> None:
    record = {"PK": {"S": "a"}, "SK": {"N": "1"}, **attributes}
    with pytest.raises(RowRejected, match=reason):
        encode(ITEMS, record)


def test_dynamodb_json_nesting_up_to_dynamodbs_limit_loads() -> None:
    _key, item, _out = encode(ITEMS, {"PK": {"S": "a"}, "SK": {"N": "1"}, "n": deep(31), "s": {"NS": ["1", "2"]}})
    assert item["n"] == deep(31) and "ExpiresAt" not in item  # a TTL is omitted with its date


def test_an_item_with_an_attribute_named_item_is_unwrapped_once() -> None:
    from offload_worker.formats.jsonl_rows import jsonl_rows

    exported = '{"Item":{"PK":{"S":"a"},"SK":{"N":"1"},"Item":{"S":"x"}}}'
    bare = '{"PK":{"S":"b"},"SK":{"N":"1"},"Item":{"S":"x"}}'
    rows = [record for _line, record in jsonl_rows([exported, bare], dynamodb_json=True)]
    assert [encode(ITEMS, r)[1]["Item"] for r in rows] == [{"S": "x"}, {"S": "x"}]
