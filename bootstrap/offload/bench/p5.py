"""P5 of `make bench`: one large file on one instance, then as three shards on three instances,
against the null DynamoDB endpoint at the P1 RTT (its job record on the twin, which shards share).

Each instance is a one-process worker task (WORKER_PROCESSES=1: a small VM's one core). All
three run on this machine, so they share its cores: the speed-up is bounded by the cores here,
not by the fleet, and it includes what sharding adds (the boundary pass over each range, the
staged parts, settling keys several shards loaded, assembling the results in S3)."""

from __future__ import annotations

import time
from typing import Any

import boto3
from offload_contract import job_id
from offload_contract.shards import plan
from offload_dispatch.ledger import Ledger
from offload_dispatch.s3_records import S3Object

from offload.bench import null_sink
from offload.bench.p2 import GeneratedCsv
from offload.bench.settings import Echo, Settings
from offload.bench.worker_process import BUCKET, JOBS, run_worker, start_worker
from offload.twin.run import free_port

INSTANCES = 3
KEY = "incoming/p5-large.csv"


def measure_p5(settings: Settings, echo: Echo, s3: Any, dynamodb: Any, endpoint: str) -> dict[str, float]:
    dynamodb.create_table(
        TableName=JOBS,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "JobId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "JobId", "KeyType": "HASH"}],
    )
    s3.upload_fileobj(GeneratedCsv(settings.p5_mb * 1024 * 1024), BUCKET, KEY)
    head = s3.head_object(Bucket=BUCKET, Key=KEY)
    etag, size = str(head["ETag"]), int(head["ContentLength"])
    one_process = {"WORKER_PROCESSES": "1", "JOB_ID": "p5-one"}
    with null_sink.running(free_port(), settings.rtt_ms, upstream=endpoint) as sink:
        one = run_worker(endpoint, sink, KEY, etag, **one_process).seconds
        echo(f"P5: {settings.p5_mb} MB on 1 instance in {one:.1f} s")
        jid, ranges = job_id(BUCKET, KEY, etag), plan(size, size // INSTANCES, INSTANCES)
        table = boto3.resource("dynamodb", endpoint_url=endpoint, region_name=s3.meta.region_name).Table(JOBS)
        Ledger(table, 1).claim(jid, S3Object(BUCKET, KEY, etag, None, "ObjectCreated:Put", size), ranges)
        began = time.monotonic()
        shards = [
            start_worker(
                endpoint,
                sink,
                KEY,
                etag,
                WORKER_PROCESSES="1",
                JOB_ID=jid,
                SHARD_INDEX=str(i),
                SHARD_COUNT=str(len(ranges)),
                SHARD_RANGE=f"{start}-{end}",
            )
            for i, (start, end) in enumerate(ranges)
        ]
        for shard in shards:
            _out, said = shard.communicate()
            if shard.returncode != 0:
                raise RuntimeError(f"P5 shard failed: {said.decode()[-2000:]}")
        sharded = time.monotonic() - began
        status = table.get_item(Key={"JobId": jid}, ConsistentRead=True)["Item"]["Status"]
        if status != "SUCCEEDED":
            raise RuntimeError(f"P5 sharded job ended {status}")
        echo(f"P5: the same file as {len(ranges)} shards on {INSTANCES} instances in {sharded:.1f} s")
    s3.delete_object(Bucket=BUCKET, Key=KEY)
    return {
        "p5_mb": settings.p5_mb,
        "p5_one_instance_s": one,
        "p5_three_instances_s": sharded,
        "p5_speedup": one / sharded,
    }
