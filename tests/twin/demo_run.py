"""Run `offload demo` in a process of its own (moto's state is per process) and,
before it tears down, record what the pipeline stored: DynamoDB items, S3 objects, jobs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from offload.demo import run as demo
from offload.lib.jobs import store as jobs


def snapshot(report: demo.Report, path: Path) -> None:
    stack = report.stack
    ddb, s3 = stack.client("dynamodb"), stack.client("s3")
    items = [i for page in ddb.get_paginator("scan").paginate(TableName=stack.orders_table) for i in page["Items"]]
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket)
            for o in page.get("Contents", [])]
    objects = {k: s3.get_object(Bucket=stack.bucket, Key=k)["Body"].read().decode() for k in keys}
    recorded: dict[str, Any] = {"items": items, "objects": objects, "jobs": jobs.list_jobs(stack),
                                "dead_letters": jobs.dead_letters(stack), "timings": report.timings}
    path.write_text(json.dumps(recorded, default=str))


if __name__ == "__main__":
    demo.run(print, before_teardown=lambda report: snapshot(report, Path(sys.argv[1])))
