"""The environment that points AWS SDKs at the twin. moto accepts any key; these
are the conventional placeholders, never real credentials. The operator's tools and
the Lambda sandboxes use them; a task's containers never do: they get the task role's
credentials from the agent's endpoint (task_credentials.py), as on ECS."""

from __future__ import annotations

ACCESS_KEY = SECRET_KEY = "test"  # noqa: S105 - the twin's placeholder, not a secret


def sdk_environment(endpoint: str, region: str) -> dict[str, str]:
    """AWS_ENDPOINT_URL and placeholder credentials; both region variables, as boto3 reads either."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
