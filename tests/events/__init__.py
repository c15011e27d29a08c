"""Sample events (as AWS sends them) and helpers that vary them for a test."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

HERE = Path(__file__).parent


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / f"{name}.json").read_text())  # type: ignore[no-any-return]


def s3_message(bucket: str, keys_and_etags: list[tuple[str, str]], size: int | None = None) -> str:
    """An S3 notification body naming these objects; keys URL-encoded as S3 does."""
    template = json.loads(load("sqs_s3_object_created")["Records"][0]["body"])
    record = template["Records"][0]
    records = []
    for key, etag in keys_and_etags:
        r = copy.deepcopy(record)
        r["s3"]["bucket"]["name"] = bucket
        r["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        r["s3"]["object"].update(key=quote_plus(key), eTag=etag.strip('"'))
        if size is not None:
            r["s3"]["object"]["size"] = size
        records.append(r)
    return json.dumps({"Records": records})


def sqs_event(*bodies: str) -> dict[str, Any]:
    template = load("sqs_s3_object_created")["Records"][0]
    records = []
    for n, body in enumerate(bodies):
        r = copy.deepcopy(template)
        r.update(messageId=f"msg-{n}", receiptHandle=f"rh-{n}", body=body)
        records.append(r)
    return {"Records": records}
