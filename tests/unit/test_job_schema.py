"""The job's schema and table, checked before the file is read: the schema object against the digest
its key names, the table's keys (DescribeTable) against the schema's."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from offload_worker.errors import AccessDenied, ConfigError
from offload_worker.job_schema import check_table, fetch_schema
from offload_worker.schema import builtin_schema, load_schema

EVENTS = (Path(__file__).resolve().parents[1] / "functional" / "schemas" / "events.yaml").read_bytes()


class FakeDynamoDB:
    def __init__(self, answer: dict[str, Any] | str) -> None:
        self.meta = SimpleNamespace(client=self)
        self._answer = answer

    def describe_table(self, TableName: str) -> dict[str, Any]:
        if isinstance(self._answer, str):
            raise ClientError({"Error": {"Code": self._answer, "Message": "no"}}, "DescribeTable")
        return {"Table": self._answer}


def table(*keys: tuple[str, str, str]) -> dict[str, Any]:
    return {"KeySchema": [{"AttributeName": a, "KeyType": r} for a, r, _t in keys],
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": t} for a, _r, t in keys]}


def test_the_same_keys_in_any_order_pass() -> None:
    events = load_schema(EVENTS, "events.yaml")
    check_table(FakeDynamoDB(table(("SK", "RANGE", "N"), ("PK", "HASH", "S"))), "Events", events)
    check_table(FakeDynamoDB(table(("OrderId", "HASH", "S"))), "Order", builtin_schema())


@pytest.mark.parametrize(("keys", "says"), [
    ((("PK", "HASH", "S"),), "table Events has partition key PK (S); the schema events declares partition key PK (S) "
                             "and sort key SK (N)"),
    ((("PK", "HASH", "S"), ("SK", "RANGE", "S")), "has partition key PK (S) and sort key SK (S);"),
    ((("id", "HASH", "S"), ("SK", "RANGE", "N")), "has partition key id (S) and sort key SK (N);"),
])
def test_keys_that_differ_fail_saying_both(keys: tuple[tuple[str, str, str], ...], says: str) -> None:
    with pytest.raises(ConfigError, match=says.replace("(", r"\(").replace(")", r"\)")):
        check_table(FakeDynamoDB(table(*keys)), "Events", load_schema(EVENTS, "events.yaml"))


@pytest.mark.parametrize(("code", "error", "says"), [
    ("ResourceNotFoundException", ConfigError, "table Order does not exist"),
    ("AccessDeniedException", AccessDenied, "dynamodb:DescribeTable"),
])
def test_a_missing_or_forbidden_table_fails_clearly(code: str, error: type[Exception], says: str) -> None:
    with pytest.raises(error, match=says):
        check_table(FakeDynamoDB(code), "Order", builtin_schema())


class FakeS3:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": io.BytesIO(self.data)}


def test_no_schema_key_is_the_builtin_orders_schema() -> None:
    assert fetch_schema(FakeS3(b""), "b", None)[1] is builtin_schema()


def test_the_schema_object_is_checked_against_its_key() -> None:
    key = f"schemas/events/{hashlib.sha256(EVENTS).hexdigest()}.yaml"
    assert fetch_schema(FakeS3(EVENTS), "b", key)[1].name == "events"
    with pytest.raises(ConfigError, match=r"is not schemas/<name>/<sha256>\.yaml"):
        fetch_schema(FakeS3(EVENTS), "b", "events.yaml")
    with pytest.raises(ConfigError, match=r"has sha256 \w+, not the \w+ its key names: upload it again"):
        fetch_schema(FakeS3(EVENTS + b"\n"), "b", key)


CONTACTS = """schema: 1
file: {format: csv}
table:
  partition_key: {attribute: id, type: S, value: id}
columns:
  - {name: id, type: string}
  - {name: email, as: Email, type: string}
  - {name: zip, type: string, empty: omit}
  - {name: score, type: integer, empty: 'null'}
"""


def indexed_table(*index_keys: tuple[str, str], local: bool = False) -> dict[str, Any]:
    described = table(("id", "HASH", "S"))
    described["AttributeDefinitions"] += [{"AttributeName": a, "AttributeType": t} for a, t in index_keys]
    indexes = [{"IndexName": f"by-{a}", "KeySchema": [{"AttributeName": a, "KeyType": "HASH"}]} for a, _t in index_keys]
    described["LocalSecondaryIndexes" if local else "GlobalSecondaryIndexes"] = indexes
    return described


@pytest.mark.parametrize(("index_key", "local", "says"), [
    (("Email", "N"), False, "table Contacts's index by-Email keys Email as N, but the schema contacts makes Email S"),
    (("score", "S"), True, "index by-score keys score as S, but the schema contacts makes score N"),
])
def test_a_secondary_index_key_of_another_type_fails_before_any_write(
    index_key: tuple[str, str], local: bool, says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        schema = load_schema(CONTACTS.encode(), "contacts.yaml")
        check_table(FakeDynamoDB(indexed_table(index_key, local=local)), "Contacts", schema)


def test_a_list_map_set_or_boolean_column_named_like_an_index_key_fails() -> None:
    text = CONTACTS.replace("{name: zip, type: string, empty: omit}", "{name: zip, type: string_set}")
    with pytest.raises(ConfigError, match="makes zip a list, map, set or boolean"):
        check_table(FakeDynamoDB(indexed_table(("zip", "S"))), "Contacts", load_schema(text.encode(), "contacts.yaml"))


def test_an_empty_or_null_index_key_is_a_rejected_row_and_an_omitted_one_loads() -> None:
    from offload_worker.errors import RowRejected
    from offload_worker.job_schema import SchemaFile, checked_schema

    data = CONTACTS.encode()
    described = indexed_table(("Email", "S"), ("zip", "S"), ("score", "N"))
    given = (SchemaFile(data, "c.yaml"), load_schema(data, "c.yaml"))
    schema_file, schema = checked_schema(FakeDynamoDB(described), "Contacts", given)
    keys = (("Email", "S", "by-Email"), ("score", "N", "by-score"), ("zip", "S", "by-zip"))
    assert schema_file.load().index_keys == schema.index_keys == keys
    encoder = schema.compile(["id", "email", "zip", "score"], bucket="b", key="k", etag="e")
    assert encoder.encode(["1", "a@b", "", "3"])[1] == '{"id":{"S":"1"},"Email":{"S":"a@b"},"score":{"N":"3"}}'
    with pytest.raises(RowRejected, match="email is empty, but Email keys the table's index by-Email"):
        encoder.encode(["1", " ", "z", "3"])
    with pytest.raises(RowRejected, match="score is empty, but score keys the table's index by-score"):
        encoder.encode(["1", "a@b", "z", ""])


def test_a_dynamodb_json_index_key_that_is_empty_or_of_another_type_is_a_rejected_row() -> None:
    from dataclasses import replace

    from offload_worker.errors import RowRejected

    text = (b"schema: 1\nfile: {format: jsonl, dynamodb_json: true}\n"
            b"table:\n  partition_key: {attribute: id, type: S, value: id}\ncolumns: []\n")
    schema = replace(load_schema(text, "i.yaml"), index_keys=(("Email", "S", "by-Email"),))
    encoder = schema.compile(None, bucket="b", key="k", etag="e")
    assert encoder.encode({"id": {"S": "1"}})[0] == "1"  # no Email: the item stays out of the sparse index
    with pytest.raises(RowRejected, match="Email is empty, but it keys the table's index by-Email: DynamoDB refuses"):
        encoder.encode({"id": {"S": "1"}, "Email": {"S": ""}})
    with pytest.raises(RowRejected, match="Email is N, but the table's index by-Email keys it as S"):
        encoder.encode({"id": {"S": "1"}, "Email": {"N": "1"}})
