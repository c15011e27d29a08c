"""boto3 clients, created on first use and kept for the life of the sandbox."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)


@cache
def ecs() -> Any:
    return boto3.client("ecs", config=_CONFIG)


@cache
def dynamodb() -> Any:
    return boto3.resource("dynamodb", config=_CONFIG)


@cache
def cloudwatch() -> Any:
    return boto3.client("cloudwatch", config=_CONFIG)


@cache
def s3() -> Any:
    return boto3.client("s3", config=_CONFIG)
