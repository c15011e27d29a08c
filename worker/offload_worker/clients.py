"""The AWS clients of one worker process (cli for the task, parallel for each load process)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from offload_worker.dynamodb_wire import WireClient


def wire_client(region: str, concurrency: int) -> WireClient:
    """The client for the item batches, which the worker serializes itself."""
    return WireClient(boto3.Session(), region, concurrency)


def clients(region: str, concurrency: int) -> tuple[Any, Any, WireClient]:
    """S3, the DynamoDB resource (job record, DescribeTable) and the wire client."""
    config = Config(max_pool_connections=8, retries={"mode": "standard", "max_attempts": 5})
    # The object is pinned by If-Match and read over TLS; re-checking its whole-object CRC as it
    # streams cost ~12% of the worker's CPU. Uploads keep their checksums.
    s3_config = config.merge(Config(response_checksum_validation="when_required"))
    return (
        boto3.client("s3", region_name=region, config=s3_config),
        boto3.resource("dynamodb", region_name=region, config=config),
        wire_client(region, concurrency),
    )
