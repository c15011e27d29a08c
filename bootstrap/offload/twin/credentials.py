"""The credentials that reach the twin. It refuses every key but its own, a random one per run (so a
web page or another user's process cannot guess it), and those its STS issues. The operator's tools,
Terraform and the Lambda sandboxes use that key; a task's containers never do: they get the task
role's credentials from the agent's endpoint (task_credentials.py), as on ECS. moto checks no
signature, so the secret is a placeholder."""

from __future__ import annotations

import os
import secrets

SECRET_KEY = "twin"  # noqa: S105 - moto checks no signature: the access key alone is the twin's secret
ACCESS_KEY_VARIABLE = "OFFLOAD_TWIN_ACCESS_KEY"  # a caller that starts the twin may choose its key


def new_access_key() -> str:
    """The key for one run of the twin: the caller's choice, or 20 random characters like AWS's."""
    return os.environ.get(ACCESS_KEY_VARIABLE) or f"OFLD{secrets.token_hex(8).upper()}"


def sdk_environment(endpoint: str, region: str, access_key: str) -> dict[str, str]:
    """AWS_ENDPOINT_URL and the twin's key; both region variables, as boto3 reads either."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
