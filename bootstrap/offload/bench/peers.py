"""What P1 compares the worker with, each run in its own process against the same S3 object
and the same null DynamoDB endpoint (AWS_ENDPOINT_URL_DYNAMODB):

workshop    the seed workshop's algorithm: the whole object read, csv.DictReader, full items
            (Decimal numbers, uuid5 ConfirmationId, SourceKey) through boto3's Table.batch_writer,
            which sends one 25-item BatchWriteItem after another.
awswrangler what users pick instead (aws-sdk-pandas): wr.s3.read_csv, then wr.dynamodb.put_df
            with its defaults. put_df refuses the float columns read_csv infers ("Float types are
            not supported"), so the numbers are read as text and made Decimal, as a user must.

    python -m offload.bench.peers NAME BUCKET KEY   ->  one JSON line: rows, seconds, batches
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from decimal import Decimal

import boto3
from offload_contract import confirmation_id

NUMBERS = ("UnitSold", "UnitPrice", "TotalRevenue", "TotalCost", "TotalProfit")


def workshop(bucket: str, key: str) -> int:
    obj = boto3.client("s3").get_object(Bucket=bucket, Key=key)
    text, etag = obj["Body"].read().decode("utf-8-sig"), obj["ETag"]
    rows = 0
    with boto3.resource("dynamodb").Table("Order").batch_writer() as batch:
        for row in csv.DictReader(io.StringIO(text)):
            item: dict[str, object] = {k: (Decimal(v) if k in NUMBERS else v) for k, v in row.items()}
            item["ConfirmationId"] = confirmation_id(bucket, key, etag, row["OrderId"])
            item["SourceKey"] = key
            batch.put_item(Item=item)
            rows += 1
    return rows


def awswrangler(bucket: str, key: str) -> int:
    import awswrangler as wr

    frame = wr.s3.read_csv(f"s3://{bucket}/{key}", dtype=str)
    for column in NUMBERS:
        frame[column] = frame[column].map(Decimal)
    wr.dynamodb.put_df(frame, "Order")
    return len(frame)


def main() -> None:
    name, bucket, key = sys.argv[1:4]
    load = {"workshop": workshop, "awswrangler": awswrangler}[name]
    began = time.monotonic()
    rows = load(bucket, key)
    print(json.dumps({"rows": rows, "seconds": time.monotonic() - began}))


if __name__ == "__main__":
    main()
