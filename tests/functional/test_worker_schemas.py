"""The worker under declared schemas (issue 24): a second dataset end to end, the live table checked
before the first write, and sharded loads that match one task, for CSV and JSON Lines."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from offload_contract import job_id
from offload_contract.shards import plan
from offload_dispatch.ledger import Ledger
from offload_dispatch.s3_records import S3Object

from tests.conftest import make_orders_stack
from tests.functional.worker_run import BUCKET, get_text, job, keys, put, run_worker, start_worker

pytestmark = pytest.mark.functional
SCHEMAS = Path(__file__).parent / "schemas"  # this test's own
ROOT_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"  # the examples docs/schemas.md shows


def upload_schema(name: str, folder: Path = SCHEMAS) -> str:
    """The schema as Terraform uploads it: content-addressed, schemas/<name>/<sha256>.yaml."""
    data = (folder / f"{name}.yaml").read_bytes()
    key = f"schemas/{name}/{hashlib.sha256(data).hexdigest()}.yaml"
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=data)
    return key


def make_table(name: str, *keys_: tuple[str, str, str]) -> None:
    boto3.client("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, _role, t in keys_],
        KeySchema=[{"AttributeName": a, "KeyType": role} for a, role, _t in keys_],
    )


def scan(table: str) -> list[dict[str, Any]]:
    client, found, kwargs = boto3.client("dynamodb"), [], {}
    while True:
        page = client.scan(TableName=table, **kwargs)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(found, key=lambda i: json.dumps(i, sort_keys=True, default=repr))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def events_file(rows: int, start: int = 1) -> list[str]:
    return [json.dumps({"device": f"d{n % 7}", "seq": n, "reading": f"{n}.50", "note": "" if n % 2 else "x"})
            .replace(f'"{n}.50"', f"{n}.50") for n in range(start, start + rows)]


def test_gzipped_json_lines_into_a_composite_key_table(aws: str) -> None:
    """schemas/shop-events.yaml: PK = CUST#{customer_id}, SK = order_no, typed values, derived attributes."""
    make_orders_stack()
    make_table("ShopEvents", ("PK", "HASH", "S"), ("SK", "RANGE", "N"))
    lines = [
        '{"customer_id": "c-1", "order_no": 1, "placed": "2024-02-01T10:00:00+00:00", "amount": 12.50, '
        '"currency": "USD", "vip": "Y", "tags": "a|b", "lines": [{"sku": "X", "qty": 2}], "ship_by": "2024-02-03"}',
        '{"customer_id": "c-1", "order_no": 2, "placed": "2024-02-01T11:00:00+00:00", "amount": 0.10, "vip": "",'
        ' "lines": {}}',
        '{"customer_id": "c-2", "order_no": "x", "placed": "2024-02-01T11:00:00+00:00", "amount": 1}',
        "[1, 2]",
        "",
        '{"customer_id": "c-2", "order_no": 7, "placed": "2024-02-02T09:30:00+01:00", "amount": 3, "lines": []}',
    ]
    key = "incoming/shop/day1.jsonl.gz"
    etag = put(key, gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    run = run_worker(aws, key, etag, SCHEMA_KEY=upload_schema("shop-events", ROOT_SCHEMAS), TABLE_NAME="ShopEvents")
    assert run.code == 0, run.stderr
    found = {(i["PK"]["S"], i["SK"]["N"]): i for i in scan("ShopEvents")}
    assert sorted(found) == [("CUST#c-1", "1"), ("CUST#c-1", "2"), ("CUST#c-2", "7")]
    first, second = found[("CUST#c-1", "1")], found[("CUST#c-1", "2")]
    assert first["Amount"] == {"N": "12.50"} and second["Amount"] == {"N": "0.10"}  # exact: never a float
    assert first["PlacedAt"] == {"N": "1706781600"} and first["Vip"] == {"BOOL": True}
    assert first["Tags"] == {"SS": ["a", "b"]}
    assert first["Lines"] == {"L": [{"M": {"sku": {"S": "X"}, "qty": {"N": "2"}}}]}
    assert first["ExpiresAt"] == {"N": "1738454400"} and "ExpiresAt" not in second  # ttl: ship_by + 365 days
    assert second["Currency"] == {"S": "EUR"} and "Vip" not in second  # default; empty: omit
    assert first["SourceKey"] == {"S": key} and found[("CUST#c-2", "7")]["SourceLine"] == {"N": "6"}
    output = get_text("processed/shop/day1.jsonl.gz").splitlines()
    assert output[0] == "PK,SK,EventId" and [o.rsplit(",", 1)[0] for o in output[1:]] == [
        "CUST#c-1,1", "CUST#c-1,2", "CUST#c-2,7"]
    assert output[1].rsplit(",", 1)[1] == first["EventId"]["S"]
    rejects = get_text("rejected/shop/day1.jsonl.gz.rejects.csv").splitlines()
    assert rejects[1].startswith("3,order_no 'x' is not a whole number,")  # a type error: a rejected row, its line
    assert rejects[2].startswith("4,") and "not a JSON object" in rejects[2] and len(rejects) == 3
    record = job(job_id(BUCKET, key, etag))
    assert (record["RowsTotal"], record["RowsLoaded"], record["RowsRejected"]) == (5, 3, 2)


def test_semicolon_csv_with_a_bom_into_an_existing_table(aws: str) -> None:
    """schemas/store-stock.yaml: Excel's ';' CSV with a BOM into a table that holds other items; repeats rejected."""
    make_orders_stack()
    make_table("StoreStock", ("StoreId", "HASH", "S"), ("Sku", "RANGE", "S"))
    boto3.client("dynamodb").put_item(TableName="StoreStock", Item={"StoreId": {"S": "S0"}, "Sku": {"S": "OLD-0000"}})
    body = "\r\n".join([
        "\ufeffstore;sku;name;qty;price;sizes;active;counted;photo;note",
        "S1;ABC-0001;Shirt;5;19.90;38|40;ja;01.02.2024;aGk=;",
        'S1;ABC-0002;"Hose; lang";0;49;;nein;01.02.2024;;x',
        "S1;abc-3;Bad;1;1;;ja;01.02.2024;;",
        "S1;ABC-0001;Shirt again;1;1;;ja;01.02.2024;;",
        "S2;XYZ-0009;Sock;-1;1;;ja;01.02.2024;;",
    ]) + "\r\n"
    key = "incoming/stock/feb.csv"
    etag = put(key, body.encode("utf-8"))
    run = run_worker(aws, key, etag, SCHEMA_KEY=upload_schema("store-stock", ROOT_SCHEMAS), TABLE_NAME="StoreStock")
    assert run.code == 0, run.stderr
    found = {(i["StoreId"]["S"], i["Sku"]["S"]): i for i in scan("StoreStock")}
    assert sorted(found) == [("S0", "OLD-0000"), ("S1", "ABC-0001"), ("S1", "ABC-0002")]  # the table's item stays
    shirt, hose = found[("S1", "ABC-0001")], found[("S1", "ABC-0002")]
    assert shirt["Name"] == {"S": "Shirt"} and shirt["Price"] == {"N": "19.90"} and shirt["Active"] == {"BOOL": True}
    assert sorted(shirt["Sizes"]["NS"]) == ["38", "40"]  # a set: DynamoDB keeps no order
    assert shirt["CountedOn"] == {"S": "2024-02-01"} and shirt["Photo"] == {"B": b"hi"}
    assert shirt["Note"] == {"NULL": True}
    assert hose["Name"] == {"S": "Hose; lang"} and hose["Quantity"] == {"N": "0"} and "Sizes" not in hose
    assert get_text("processed/stock/feb.csv") == "StoreId,Sku\nS1,ABC-0001\nS1,ABC-0002\n"
    rejects = get_text("rejected/stock/feb.csv.rejects.csv").splitlines()
    assert [r.split(",", 1)[0] for r in rejects] == ["line", "4", "5", "6"]
    assert "duplicate of line 2" in rejects[2] and "qty" in rejects[3]


def test_a_schema_that_disagrees_with_the_table_fails_before_the_first_write(aws: str) -> None:
    make_orders_stack()
    make_table("Events", ("id", "HASH", "S"))
    etag = put("incoming/events/day2.jsonl", "\n".join(events_file(5)) + "\n")
    run = run_worker(aws, "incoming/events/day2.jsonl", etag, SCHEMA_KEY=upload_schema("events"), TABLE_NAME="Events")
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert ("table Events has partition key id (S); the schema events declares partition key PK (S) "
            "and sort key SK (N)") in run.stderr
    assert scan("Events") == [] and keys("processed/") == [] and keys("rejected/") == []
    record = job(job_id(BUCKET, "incoming/events/day2.jsonl", etag))
    assert record["Status"] == "FAILED" and "table Events has partition key id (S)" in record["Reason"]


def test_a_schema_object_not_its_digest_or_not_valid_fails_the_job(aws: str) -> None:
    make_orders_stack()
    make_table("Events", ("PK", "HASH", "S"), ("SK", "RANGE", "N"))
    key = f"schemas/events/{'0' * 64}.yaml"
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=(SCHEMAS / "events.yaml").read_bytes())
    etag = put("incoming/events/day3.jsonl", "\n".join(events_file(2)) + "\n")
    run = run_worker(aws, "incoming/events/day3.jsonl", etag, SCHEMA_KEY=key, TABLE_NAME="Events")
    assert run.code == 2 and "not the " + "0" * 64 in run.stderr, run.stderr
    assert scan("Events") == [] and keys("processed/") == []
    bad = (SCHEMAS / "events.yaml").read_bytes().replace(b"type: integer", b"type: whole")
    bad_key = f"schemas/events/{hashlib.sha256(bad).hexdigest()}.yaml"
    boto3.client("s3").put_object(Bucket=BUCKET, Key=bad_key, Body=bad)
    run = run_worker(aws, "incoming/events/day3.jsonl", etag, SCHEMA_KEY=bad_key, TABLE_NAME="Events")
    assert run.code == 2 and run.stderr.count("\n") == 1 and f"{bad_key}:11:" in run.stderr, run.stderr
    assert job(job_id(BUCKET, "incoming/events/day3.jsonl", etag))["Status"] == "FAILED"
    assert scan("Events") == [] and keys("processed/") == []


def _sharded(aws: str, key: str, body: bytes, table: str, schema_key: str, shards: int = 3) -> tuple[Any, ...]:
    """(items, output, rejects) of the file loaded as `shards` shard tasks, then as one task."""
    etag = put(key, body)
    jid = job_id(BUCKET, key, etag)
    ranges = plan(len(body), len(body) // shards, shards)
    Ledger(boto3.resource("dynamodb").Table("jobs"), 30).claim(
        jid, S3Object(BUCKET, key, etag, None, "ObjectCreated:Put", len(body)), ranges)
    started = [start_worker(aws, key, etag, JOB_ID=jid, SHARD_INDEX=str(i), SHARD_COUNT=str(shards),
                            SHARD_RANGE=f"{ranges[i][0]}-{ranges[i][1]}", WORKER_PROCESSES="1",
                            SCHEMA_KEY=schema_key, TABLE_NAME=table) for i in reversed(range(shards))]
    for process in started:
        assert process.wait(timeout=120) == 0, process.communicate()[1]
    output_key = "processed/" + key.removeprefix("incoming/")
    rejects_key = "rejected/" + key.removeprefix("incoming/") + ".rejects.csv"
    results = [scan(table), get_text(output_key), get_text(rejects_key) if keys(rejects_key) else ""]
    client = boto3.client("dynamodb")
    for item in results[0]:
        client.delete_item(TableName=table, Key={k: item[k] for k in ("PK", "SK", "SensorId") if k in item})
    one = run_worker(aws, key, etag, JOB_ID="one", WORKER_PROCESSES="2", SCHEMA_KEY=schema_key, TABLE_NAME=table)
    assert one.code == 0, one.stderr
    single = [scan(table), get_text(output_key), get_text(rejects_key) if keys(rejects_key) else ""]
    return results, single


def test_sharded_json_lines_under_a_schema_load_what_one_task_loads(aws: str) -> None:
    make_orders_stack()
    make_table("Events", ("PK", "HASH", "S"), ("SK", "RANGE", "N"))
    lines = events_file(1500) + events_file(300, start=100)  # keys again later: the later row wins
    lines[700] = '{"device": "d1", "seq": -4}'  # min 0: rejected with its line
    sharded, single = _sharded(aws, "incoming/events/big.jsonl", ("\n".join(lines) + "\n").encode(), "Events",
                               upload_schema("events"))
    assert sharded == single
    assert len(sharded[0]) == 1499 and sharded[2].splitlines()[1].startswith("701,")


def test_sharded_csv_under_a_schema_loads_what_one_task_loads(aws: str) -> None:
    make_orders_stack()
    make_table("Readings", ("SensorId", "HASH", "S"))
    rows = [f'"s{n % 900}\r\n;x";{1 + n % 28:02d}.02.2024;{n % 50}.5;ja' if n % 3 == 0 else
            f"s{n % 900};{1 + n % 28:02d}.02.2024;{n % 50}.25;nein" for n in range(2400)]
    rows[1000] = "s1;30.02.2024;1;ja"  # not a real date
    body = ("\ufeffsensor;taken;celsius;ok\r\n" + "\r\n".join(rows) + "\r\n").encode()
    sharded, single = _sharded(aws, "incoming/readings/big.csv", body, "Readings", upload_schema("readings"))
    assert sharded == single
    bad_line = 2 + 1000 + sum(1 for n in range(1000) if n % 3 == 0)  # a quoted field holds a line break
    assert len(sharded[0]) == 900 and sharded[2].splitlines()[1].startswith(f"{bad_line},")


def test_a_gzip_shard_task_fails_clearly(aws: str) -> None:
    """The dispatcher runs a gzip file as one task (it cannot be cut); a shard task given one says so."""
    make_orders_stack()
    make_table("Readings", ("SensorId", "HASH", "S"))
    body = gzip.compress(("sensor;taken;celsius;ok\n" + "s1;01.02.2024;1;ja\n" * 2000).encode(), mtime=0)
    key = "incoming/readings/big.csv.gz"
    etag = put(key, body)
    jid = job_id(BUCKET, key, etag)
    ranges = plan(len(body), len(body) // 2, 2)
    Ledger(boto3.resource("dynamodb").Table("jobs"), 30).claim(
        jid, S3Object(BUCKET, key, etag, None, "ObjectCreated:Put", len(body)), ranges)
    run = run_worker(aws, key, etag, JOB_ID=jid, SHARD_INDEX="0", SHARD_COUNT="2",
                     SHARD_RANGE=f"{ranges[0][0]}-{ranges[0][1]}", SCHEMA_KEY=upload_schema("readings"),
                     TABLE_NAME="Readings")
    assert run.code == 1 and "gzip-compressed: its bytes cannot be cut into shards" in run.stderr, run.stderr
    assert scan("Readings") == []
