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
SCHEMAS = Path(__file__).parent / "schemas"


def upload_schema(name: str, text: str | None = None) -> str:
    """The schema as Terraform uploads it: content-addressed, schemas/<name>/<sha256>.yaml."""
    data = (text if text is not None else (SCHEMAS / f"{name}.yaml").read_text()).encode()
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
            return sorted(found, key=lambda i: json.dumps(i, sort_keys=True))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def events_file(rows: int, start: int = 1) -> list[str]:
    return [json.dumps({"device": f"d{n % 7}", "seq": n, "reading": f"{n}.50", "note": "" if n % 2 else "x"})
            .replace(f'"{n}.50"', f"{n}.50") for n in range(start, start + rows)]


def test_gzipped_json_lines_into_a_composite_key_table(aws: str) -> None:
    make_orders_stack()
    make_table("Events", ("PK", "HASH", "S"), ("SK", "RANGE", "N"))
    lines = [*events_file(3), '{"device": "d1", "seq": "x1"}', "[1, 2]", "",
             '{"device": "d2", "seq": 9, "reading": 0.10}']
    etag = put("incoming/events/day1.jsonl.gz", gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    run = run_worker(aws, "incoming/events/day1.jsonl.gz", etag, SCHEMA_KEY=upload_schema("events"),
                     TABLE_NAME="Events")
    assert run.code == 0, run.stderr
    found = {(i["PK"]["S"], i["SK"]["N"]): i for i in scan("Events")}
    assert sorted(found) == [("DEVICE#d1", "1"), ("DEVICE#d2", "2"), ("DEVICE#d2", "9"), ("DEVICE#d3", "3")]
    assert found[("DEVICE#d2", "9")]["Reading"] == {"N": "0.10"}  # exact: never a float
    assert found[("DEVICE#d2", "2")]["Note"] == {"S": "x"} and "Note" not in found[("DEVICE#d1", "1")]  # empty: omit
    assert found[("DEVICE#d1", "1")]["SourceKey"] == {"S": "incoming/events/day1.jsonl.gz"}
    assert get_text("processed/events/day1.jsonl.gz") == "PK,SK\nDEVICE#d1,1\nDEVICE#d2,2\nDEVICE#d3,3\nDEVICE#d2,9\n"
    rejects = get_text("rejected/events/day1.jsonl.gz.rejects.csv").splitlines()
    assert [r.split(",", 1)[0] for r in rejects] == ["line", "4", "5"]  # a type error is a rejected row, with its line
    assert "seq" in rejects[1] and "not a JSON object" in rejects[2]
    record = job(job_id(BUCKET, "incoming/events/day1.jsonl.gz", etag))
    assert (record["RowsTotal"], record["RowsLoaded"], record["RowsRejected"]) == (6, 4, 2)


def test_semicolon_csv_with_a_bom_into_an_existing_table(aws: str) -> None:
    make_orders_stack()
    make_table("Readings", ("SensorId", "HASH", "S"))
    boto3.client("dynamodb").put_item(TableName="Readings", Item={"SensorId": {"S": "old"}, "Kept": {"BOOL": True}})
    body = ("\ufeffsensor;taken;celsius;ok\r\ns1;01.02.2024;-3.5;ja\r\ns2;02.02.2024;99;nein\r\n"
            '"s;3";31.01.2024;21.25;nein\r\n')
    etag = put("incoming/readings/feb.csv", body.encode("utf-8"))
    run = run_worker(aws, "incoming/readings/feb.csv", etag, SCHEMA_KEY=upload_schema("readings"),
                     TABLE_NAME="Readings")
    assert run.code == 0, run.stderr
    found = {i["SensorId"]["S"]: i for i in scan("Readings")}
    assert sorted(found) == ["old", "s1", "s;3"]  # the table's other items stay
    assert found["s1"]["Taken"] == {"S": "2024-02-01"} and found["s1"]["Celsius"] == {"N": "-3.5"}
    assert found["s1"]["Ok"] == {"BOOL": True} and found["s;3"]["Ok"] == {"BOOL": False}
    assert get_text("processed/readings/feb.csv") == "SensorId\ns1\ns;3\n"
    rejects = get_text("rejected/readings/feb.csv.rejects.csv").splitlines()
    assert len(rejects) == 2 and rejects[1].startswith("3,") and "celsius" in rejects[1].lower()


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


def test_a_schema_object_that_is_not_its_digest_fails_the_job(aws: str) -> None:
    make_orders_stack()
    make_table("Events", ("PK", "HASH", "S"), ("SK", "RANGE", "N"))
    key = f"schemas/events/{'0' * 64}.yaml"
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=(SCHEMAS / "events.yaml").read_bytes())
    etag = put("incoming/events/day3.jsonl", "\n".join(events_file(2)) + "\n")
    run = run_worker(aws, "incoming/events/day3.jsonl", etag, SCHEMA_KEY=key, TABLE_NAME="Events")
    assert run.code == 2 and "not the " + "0" * 64 in run.stderr, run.stderr
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
