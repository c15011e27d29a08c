"""Issue 24 end to end on the twin, riding on the sites stack (one apply): three schemas below each
site's prefix and files loaded through them by a dc1 host, dispatcher to worker to job record.

- events: JSON Lines (plain or gzip) into a table of its own, keyed as it declares (templated PK,
  numeric SK; a bare N is YAML 1.1's false to yamldecode, the stack maps it back);
- orders: Excel's `;` CSV with a BOM into the existing orders table;
- mismatch: declares the orders table with a key it does not have, so its file fails before any write.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from pathlib import Path
from typing import Any

import boto3
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.jobs.store import FINAL, Stack, get_job, list_jobs
from offload.twin import onprem
from offload.twin.agent import LocalAgent
from offload.twin.runtime.process import ProcessRuntime

EVENTS_YAML = """schema: 1
file: {format: jsonl}
table:
  partition_key: {attribute: PK, type: S, value: "CUST#{customer_id}"}
  sort_key: {attribute: SK, type: N, value: seq}
columns:
  - {name: customer_id, type: string, required: true}
  - {name: seq, type: integer, required: true}
duplicates: first
output: {columns: [PK, SK]}
"""
ORDERS_YAML = """schema: 1
file: {format: csv, delimiter: ";"}
table:
  partition_key: {attribute: OrderId, type: S, value: order_id}
columns:
  - {name: order_id, as: OrderId, type: string, required: true}
output: {columns: [OrderId]}
"""
MISMATCH_YAML = """schema: 1
file: {format: csv}
table:
  partition_key: {attribute: PK, type: S, value: order_id}
columns:
  - {name: order_id, type: string, required: true}
output: {columns: [PK]}
"""
SCHEMAS = {"events": EVENTS_YAML, "orders": ORDERS_YAML, "mismatch": MISMATCH_YAML}
# What dc1's files say, and what each must come to.
DAY1 = "incoming/dc1/events/day1.jsonl"
DAY2 = "incoming/dc1/events/day2.jsonl.gz"  # gzip, found from its bytes; line 2's seq is no integer
STOCK = "incoming/dc1/orders/stock.csv"  # `;`, with Excel's BOM
WRONG = "incoming/dc1/mismatch/wrong.csv"
FILES = {
    DAY1: b'{"customer_id": "c1", "seq": 1}\n',
    DAY2: gzip.compress(
        b'{"customer_id": "c2", "seq": 1}\n{"customer_id": "c2", "seq": "x"}\n{"customer_id": "c3", "seq": 3}\n',
        mtime=0,
    ),
    STOCK: "\ufefforder_id;note\nA1;first\nA2;second\n".encode(),
    WRONG: b"order_id\nZ9\n",
}


def variable(folder: Path) -> dict[str, Any]:
    """TF_VAR_schemas: absolute paths, since the twin applies a copy of the stack elsewhere."""
    tables = {"events": None, "orders": "offload-orders", "mismatch": "offload-orders"}
    declared: dict[str, Any] = {}
    for name, text in SCHEMAS.items():
        (folder / f"{name}.yaml").write_text(text)
        declared[name] = {"file": str(folder / f"{name}.yaml"), "prefix": f"{name}/", "table": tables[name]}
    declared["events"]["suffixes"] = [".jsonl", ".jsonl.gz"]
    return declared


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def schema_key(name: str) -> str:
    return f"schemas/{name}/{digest(SCHEMAS[name])}.yaml"


def upload(outputs: dict[str, Any]) -> None:
    """dc1's files, before any host of dc1 joins: their jobs wait, each with its schema."""
    s3, ddb = boto3.client("s3"), boto3.client("dynamodb")
    for key, body in FILES.items():
        s3.put_object(Bucket=outputs["bucket"], Key=key, Body=body)
    deadline, records = time.monotonic() + 30, {}
    while len(records) < len(FILES) and time.monotonic() < deadline:  # S3 -> SQS -> the dispatcher, in the twin
        records = {
            i["Key"]["S"]: i
            for i in ddb.scan(TableName=outputs["jobs_table"])["Items"]
            if i.get("Key", {}).get("S") in FILES
        }
        time.sleep(0.3)
    assert set(records) == set(FILES), f"the dispatcher kept no job for {set(FILES) - set(records)}"
    for key, name in ((DAY1, "events"), (DAY2, "events"), (STOCK, "orders"), (WRONG, "mismatch")):
        record = records[key]
        assert (record["Schema"]["S"], record["SchemaKey"]["S"]) == (name, schema_key(name)), record


def assert_loaded(outputs: dict[str, Any], twin: str, logs: Path) -> None:
    """A dc1 host joins; each waiting job loads with its SCHEMA_KEY's schema: items, output and rejects
    as declared, a type error a rejected row with its line, a schema that disagrees with its table
    FAILED before the first write."""
    stack, dc1 = Stack.from_outputs(outputs, twin), outputs["sites"]["dc1"]
    instance = onprem.join(
        twin,
        outputs["region"],
        outputs["cluster_name"],
        dc1["activation_id"],
        outputs["site_activation_codes"]["dc1"],
        attributes={"site": "dc1"},
    )
    agent = LocalAgent(instance, twin, outputs["region"], logs, heartbeat_seconds=1, runtime=ProcessRuntime()).start()
    try:
        jobs = {j["Key"]: j for j in list_jobs(stack) if j.get("Key") in FILES}
        deadline = time.monotonic() + 120
        while any(j.get("Status") not in FINAL for j in jobs.values()) and time.monotonic() < deadline:
            time.sleep(0.3)
            jobs = {key: get_job(stack, str(j["JobId"])) or j for key, j in jobs.items()}
    finally:
        agent.stop()
    ended = {key: (j["Status"], j.get("RowsLoaded"), j.get("RowsRejected")) for key, j in jobs.items()}
    assert {k: ended[k] for k in (DAY1, DAY2, STOCK)} == {
        DAY1: ("SUCCEEDED", 1, 0),
        DAY2: ("SUCCEEDED", 2, 1),
        STOCK: ("SUCCEEDED", 2, 0),
    }, ended
    assert ended[WRONG][0] == "FAILED" and "partition key" in str(jobs[WRONG].get("Reason")), jobs[WRONG]
    ddb, s3, bucket = boto3.client("dynamodb"), boto3.client("s3"), outputs["bucket"]
    events = sorted((i["PK"]["S"], i["SK"]["N"]) for i in ddb.scan(TableName="offload-events")["Items"])
    assert ("CUST#c1", "1") in events and ("CUST#c2", "1") in events and ("CUST#c3", "3") in events, events
    orders = sorted(i["OrderId"]["S"] for i in ddb.scan(TableName=outputs["orders_table"])["Items"])
    assert orders == ["A1", "A2"], orders  # the BOM is not part of the first name; nothing of wrong.csv

    def body(key: str) -> list[bytes]:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()

    assert body("processed/dc1/events/day1.jsonl") == [b"PK,SK", b"CUST#c1,1"]
    assert body("processed/dc1/events/day2.jsonl.gz") == [b"PK,SK", b"CUST#c2,1", b"CUST#c3,3"]
    rejects = body("rejected/dc1/events/day2.jsonl.gz.rejects.csv")
    assert len(rejects) == 2 and rejects[1].startswith(b"2,") and b"seq" in rejects[1], rejects
    assert body("processed/dc1/orders/stock.csv") == [b"OrderId", b"A1", b"A2"]
    shown = CliRunner().invoke(cli, ["status"])
    assert shown.exit_code == 0 and f"events@{digest(EVENTS_YAML)[:8]}" in shown.output, shown.output
