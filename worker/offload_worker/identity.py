"""Who the worker acts as, for a message about a permission it lacks."""

from __future__ import annotations

import boto3
from botocore.exceptions import BotoCoreError, ClientError


def caller() -> str:
    """'role NAME (ARN)' for the worker's credentials, from STS GetCallerIdentity (which no policy
    can deny); a plain description when even that fails."""
    try:
        arn = str(boto3.client("sts").get_caller_identity()["Arn"])
    except (BotoCoreError, ClientError):
        return "the task role (GetCallerIdentity failed too)"
    resource = arn.split(":", 5)[-1]  # assumed-role/ROLE/SESSION for a task role's credentials
    kind, _, rest = resource.partition("/")
    return f"role {rest.split('/')[0]} ({arn})" if kind == "assumed-role" else arn
