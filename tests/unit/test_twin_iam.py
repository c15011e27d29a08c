"""The twin's evaluation of an STS role's policies, which decides S3's 404-or-403 for a missing key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from offload.twin.iam import role_allows

BUCKET = "arn:aws:s3:::orders"


@pytest.fixture
def role_key() -> Iterator[Any]:
    """A function making a role with these statements and returning its STS access key id."""
    with mock_aws():
        iam, sts = boto3.client("iam"), boto3.client("sts")

        def make(name: str, *statements: dict[str, Any]) -> str:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
            policy = {"Version": "2012-10-17", "Statement": list(statements)}
            iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
            return str(sts.assume_role(RoleArn=arn, RoleSessionName="task")["Credentials"]["AccessKeyId"])

        yield make


LIST_INPUTS = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
               "Condition": {"StringLike": {"s3:prefix": ["incoming/*"]}}}


def test_a_prefix_scoped_grant_covers_only_its_prefix(role_key: Any) -> None:
    key = role_key("lists-inputs", LIST_INPUTS)
    assert role_allows(key, "s3:ListBucket", BUCKET, {"s3:prefix": "incoming/a.csv"}) is True
    assert role_allows(key, "s3:ListBucket", BUCKET, {"s3:prefix": "processed/a.csv"}) is False
    assert role_allows(key, "s3:GetObject", BUCKET, {"s3:prefix": "incoming/a.csv"}) is False


def test_an_explicit_deny_wins_and_unknown_condition_operators_grant_nothing(role_key: Any) -> None:
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert role_allows(role_key("denied", LIST_INPUTS, deny), "s3:ListBucket", BUCKET,
                       {"s3:prefix": "incoming/a.csv"}) is False
    odd = {**LIST_INPUTS, "Condition": {"ForAnyValue:StringLike": {"s3:prefix": ["incoming/*"]}}}
    assert role_allows(role_key("odd", odd), "s3:ListBucket", BUCKET, {"s3:prefix": "incoming/a.csv"}) is False


def test_a_key_of_no_role_is_not_judged(role_key: Any) -> None:
    assert role_allows("test", "s3:ListBucket", BUCKET, {"s3:prefix": "incoming/a.csv"}) is None


def test_multivalued_keys_hold_for_all_values_and_if_exists_holds_when_absent(role_key: Any) -> None:
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/jobs"
    report = {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": table, "Condition": {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["dc1-*"]},
        "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE"]}}}
    key = role_key("reports", report)
    assert role_allows(key, "dynamodb:UpdateItem", table, {"dynamodb:LeadingKeys": ["dc1-a"]}) is True
    assert role_allows(key, "dynamodb:UpdateItem", table, {"dynamodb:LeadingKeys": ["dc1-a", "dc2-b"]}) is False
    assert role_allows(key, "dynamodb:UpdateItem", table,
                       {"dynamodb:LeadingKeys": ["dc1-a"], "dynamodb:ReturnValues": "ALL_NEW"}) is False
    assert role_allows(key, "dynamodb:UpdateItem", table, {}) is False  # a key the twin did not compute: refused
