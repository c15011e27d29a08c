"""IAM: AWS managed policies in the `aws` partition only, and a role's own say over S3's answers.

The stack attaches AWS managed policies (AmazonSSMManagedInstanceCore...), so the twin loads
them (MOTO_IAM_LOAD_MANAGED_POLICIES). moto builds them for each of its six partitions, on
start and on every /moto-api/reset: ~9,500 policy objects, ~1.9 s a reset. The twin is one
account in the `aws` partition; the other partitions start with none (~0.2 s a reset).

moto accepts any credentials. Where an answer of S3 depends on the caller's permissions (a
missing key is 404 only to a caller that may s3:ListBucket it, s3.py), or where moto's own IAM
enforcement ignores a condition (DynamoDB's dynamodb:Attributes and dynamodb:LeadingKeys,
dynamodb.py), `role_allows` evaluates the inline policies of the role an STS access key belongs
to, with the request's context keys. A key may have several values (LeadingKeys, Attributes).

Operators (IAM user guide, "Condition operators" and "Multivalued context keys"): StringEquals,
StringLike; with `IfExists`, a key the request lacks holds; `ForAllValues:`, every value of the
key matches one of the statement's. AWS also lets `ForAllValues:` hold for a key the request
lacks (why a Scan, which names no LeadingKeys, passes such a condition); the twin does not: a key
it did not compute never holds, so it refuses rather than allow what AWS might refuse. Any other
operator never holds.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import IAMBackend, iam_backends
from moto.sts.models import sts_backends

TWIN_PARTITION = "aws"
_original = IAMBackend._init_aws_policies


def _init_aws_policies(self: IAMBackend) -> list[Any]:
    return _original(self) if self.region_name == TWIN_PARTITION else []


def install() -> None:
    IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


Context = Mapping[str, str | Sequence[str]]
_CONDITIONS = {
    "StringEquals": lambda actual, pattern: actual == pattern,
    "StringLike": fnmatch.fnmatchcase,
}


def _condition_holds(operator: str, expected: Any, actual: str | Sequence[str] | None) -> bool:
    every = operator.startswith("ForAllValues:")
    name = operator.removeprefix("ForAllValues:")
    if_exists = name.endswith("IfExists")
    test = _CONDITIONS.get(name.removesuffix("IfExists"))
    if test is None:
        return False
    if actual is None:
        return if_exists
    values = _listed(actual)
    if not every and len(values) != 1:  # a single-valued operator over a set: the twin never says yes
        return False
    return all(any(test(value, pattern) for pattern in _listed(expected)) for value in values)


def _holds(conditions: dict[str, Any], context: Context) -> bool:
    """Every condition holds in the request context; an operator the twin does not know never does."""
    return all(
        _condition_holds(operator, expected, context.get(key))
        for operator, pairs in conditions.items()
        for key, expected in pairs.items()
    )


def _matches(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in _listed(patterns))


def role_allows(access_key_id: str, action: str, resource: str, context: Context) -> bool | None:
    """Whether the role an STS access key was issued for may do `action` on `resource`, from its
    inline policies (the stack's roles have only those): an explicit Deny wins, then any Allow
    whose Action, Resource and conditions match. None when the key is no assumed role's (the
    placeholder keys): the caller then keeps moto's answer."""
    assumed = sts_backends[DEFAULT_ACCOUNT_ID][TWIN_PARTITION].get_assumed_role_from_access_key(access_key_id)
    if assumed is None:
        return None
    role = iam_backends[DEFAULT_ACCOUNT_ID][TWIN_PARTITION].get_role_by_arn(assumed.role_arn)
    allowed = False
    for document in role.policies.values():
        statements = json.loads(document).get("Statement", [])
        for statement in [statements] if isinstance(statements, dict) else statements:
            if not (
                _matches(statement.get("Action"), action)
                and _matches(statement.get("Resource"), resource)
                and _holds(statement.get("Condition", {}), context)
            ):
                continue  # NotAction/NotResource statements never match: the stack writes none
            if statement.get("Effect") == "Deny":
                return False
            allowed = True
    return allowed
