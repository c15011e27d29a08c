"""S3 in moto: bucket policies with the request facts the twin can vouch for, and versionId in events.

moto's S3 event notification leaves out the object's `versionId`, which S3 sends for every
upload to a bucket that keeps versions; the dispatcher's job id depends on it.

moto evaluates a bucket policy without request context, and a statement whose
condition does not hold counts as an explicit deny (in AWS it simply does not
apply). So our TLS-only policy (`Deny` when `aws:SecureTransport` is false)
would deny every request. The twin's clients reach it over loopback, where it
stands in for the HTTPS endpoints real clients use: requests count as secure
transport, statements whose Bool/String conditions do not hold for that are
left out, and moto evaluates the rest as it always does.
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3 import notifications
from moto.s3.models import FakeBucket

REQUEST_CONTEXT = {"aws:SecureTransport": "true"}
_OPERATORS = {
    "Bool": lambda actual, values: actual.lower() in [v.lower() for v in values],
    "StringEquals": lambda actual, values: actual in values,
    "StringNotEquals": lambda actual, values: actual not in values,
}


def applies(statement: dict[str, Any]) -> bool:
    """False when a condition on a key the twin knows does not hold; unknown ones stay as moto treats them."""
    for operator, pairs in statement.get("Condition", {}).items():
        test = _OPERATORS.get(operator)
        for key, expected in pairs.items():
            if test is None or key not in REQUEST_CONTEXT:
                continue
            if not test(REQUEST_CONTEXT[key], [expected] if isinstance(expected, str) else list(expected)):
                return False
    return True


def _get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy.decode())
    statements = document.get("Statement", [])
    document["Statement"] = [s for s in ([statements] if isinstance(statements, dict) else statements) if applies(s)]
    return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)


_original_event = notifications._get_s3_event


def _event_with_version(event_name: str, bucket: FakeBucket, key: Any, notification_id: str) -> Any:
    event = _original_event(event_name, bucket, key, notification_id)
    if key.version_id and key.version_id != "null":
        for record in event["Records"]:
            record["s3"]["object"]["versionId"] = key.version_id
    return event


def install() -> None:
    FakeBucket.get_permission = _get_permission  # type: ignore[method-assign]
    notifications._get_s3_event = _event_with_version
