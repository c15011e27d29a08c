"""IAM: AWS managed policies in the `aws` partition only, and a role's own say over S3's answers.

The stack attaches AWS managed policies (AmazonSSMManagedInstanceCore...), so the twin loads
them (MOTO_IAM_LOAD_MANAGED_POLICIES). moto builds them for each of its six partitions, on
start and on every /moto-api/reset: ~9,500 policy objects, ~1.9 s a reset. The twin is one
account in the `aws` partition; the other partitions start with none (~0.2 s a reset).

moto accepts any credentials. Where an answer of S3 depends on the caller's permissions (a
missing key is 404 only to a caller that may s3:ListBucket it, s3.py), `role_allows` evaluates
the inline policies of the role an STS access key belongs to, with the request's context keys.
"""

from __future__ import annotations

import fnmatch
import json
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


_CONDITIONS = {
    "StringEquals": lambda actual, pattern: actual == pattern,
    "StringLike": fnmatch.fnmatchcase,
}


def _holds(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    """Every condition holds in the request context; an operator the twin does not know never does."""
    for operator, pairs in conditions.items():
        test = _CONDITIONS.get(operator)
        for key, expected in pairs.items():
            if test is None or key not in context or not any(test(context[key], p) for p in _listed(expected)):
                return False
    return True


def _matches(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in _listed(patterns))


def role_allows(access_key_id: str, action: str, resource: str, context: dict[str, str]) -> bool | None:
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
