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
        "PK": {"S": "CUST#c-1"}, "SK": {"N": "17"}, "customer_id": {"S": "c-1"}, "order_no": {"N": "17"},
        "ShipDate": {"S": "1970-01-02"}, "EventId": {"S": event_id}, "Bucket": {"S": "bkt"},
        "Etag": {"S": '"e1"'}, "Line": {"N": "4"}, "ExpiresAt": {"N": str(86400 * 3)},
    }
    assert out == f'CUST#c-1,17,{event_id},"""e1"""\n'  # the ETag's quotes are quoted, as csv does


def test_ttl_is_omitted_with_its_date() -> None:
    _key, item, _out = encode(EVENTS, {"customer_id": "c-1", "order_no": Decimal(1)})
    assert "ShipDate" not in item and "ExpiresAt" not in item


@pytest.mark.parametrize("record, reason", [
    ({"order_no": Decimal(1)}, "customer_id is empty"),
    ({"customer_id": "c", "order_no": "x"}, "order_no 'x' is not a whole number"),
    ({"customer_id": "x" * 2044, "order_no": Decimal(1)}, "PK is longer than 2048 bytes, DynamoDB's partition key"),
])
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
    key, item, out = encode(text, {"Item": {"id": {"S": "u1"}, "n": {"N": "1.50"}, "tags": {"SS": ["a"]}}})
    assert key == "USER#u1" and out == "USER#u1\n"
    assert item == {"id": {"S": "u1"}, "n": {"N": "1.50"}, "tags": {"SS": ["a"]}, "PK": {"S": "USER#u1"},
                    "SourceKey": {"S": "in/a"}}
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
        "StoreId": {"S": "S1"}, "Sku": {"S": "ABC-0001"}, "Name": {"S": "Shirt"}, "Quantity": {"N": "3"},
        "Price": {"N": "19.90"}, "Sizes": {"NS": ["38", "40"]}, "Active": {"BOOL": True},
        "CountedOn": {"S": "2024-02-01"}, "Photo": {"B": "aGVsbG8="}, "Note": {"NULL": True},
    }
    assert schema.duplicates == "reject"


@pytest.mark.parametrize("source, name", [
    ("schemas/store-stock.yaml", "store-stock"),
    ("schemas/stock/" + "a" * 64 + ".yaml", "stock"),  # as Terraform uploads it: schemas/<name>/<sha256>.yaml
])
def test_schema_without_a_name_is_named_after_its_file(source: str, name: str) -> None:
    text = (REPO / "schemas" / "store-stock.yaml").read_text().replace("name: store-stock\n", "")
    assert load_schema(text.encode(), source).name == name
