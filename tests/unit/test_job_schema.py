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
