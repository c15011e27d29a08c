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

S3 answers GetObject and HeadObject of a key that does not exist with 404 only to a caller
that may s3:ListBucket the bucket; to any other it is 403 AccessDenied, so a missing key and
a missing permission look alike (S3 user guide, GetObject: "If you don't have the
s3:ListBucket permission, Amazon S3 returns an HTTP status code 403"). moto always says 404.
Here, for a caller signing with an STS role's key, ListBucket is evaluated against that role's
policies (iam.py) with `s3:prefix` set to the key asked for (our task role's grant is scoped
by it); the placeholder keys keep moto's 404.
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3 import notifications
from moto.s3.exceptions import MissingKey, S3AccessDeniedError
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

from offload.twin import iam

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


def _listing_denied(response: S3Response, bucket: str, key: str) -> bool:
    """True when the request's signer is a role that may not s3:ListBucket this key's prefix."""
    authorization = response.headers.get("Authorization") or ""
    access_key = authorization.partition("Credential=")[2].partition("/")[0]
    allowed = iam.role_allows(access_key, "s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": key})
    return allowed is False


_original_get_object = S3Response.get_object
_original_head_object = S3Response.head_object


def _get_object(self: S3Response) -> Any:
    try:
        return _original_get_object(self)
    except MissingKey:
        if _listing_denied(self, self.bucket_name, self.parse_key_name()):
            raise S3AccessDeniedError() from None
        raise


def _head_object(self: S3Response, bucket_name: str, query: dict[str, Any], key_name: str, headers: Any) -> Any:
    status, response_headers, body = _original_head_object(self, bucket_name, query, key_name, headers)
    if status == 404 and "x-amz-delete-marker" not in response_headers and _listing_denied(self, bucket_name, key_name):
        return 403, {}, ""
    return status, response_headers, body


def install() -> None:
    FakeBucket.get_permission = _get_permission  # type: ignore[method-assign]
    notifications._get_s3_event = _event_with_version
    S3Response.get_object = _get_object  # type: ignore[method-assign]
    S3Response.head_object = _head_object  # type: ignore[method-assign]
