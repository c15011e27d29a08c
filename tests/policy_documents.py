"""What both least-privilege judges read (tests/instance_role_policy.py, tests/role_policies.py): a
role's policy documents as the (twin's) IAM API returns them, and each action an Allow grants."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def read_role(role: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The role's inline and managed policies (managed ones judged as well as named: what one would
    allow shows in the failure), and the managed policies' names."""
    iam = boto3.client("iam")
    documents = [
        iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    for policy in attached:
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
        documents.append(json.loads(document) if isinstance(document, str) else document)
    return documents, [p["PolicyName"] for p in attached]


def allowed(
    documents: list[dict[str, Any]], attached: list[str], found: list[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(action, statement) for every action an Allow names; what no judge accepts goes to `found`:
    a managed policy, NotAction or NotResource (they allow more than they name)."""
    found += [f"managed policy {name} attached" for name in attached]
    for document in documents:
        for statement in listed(document["Statement"]):
            if statement["Effect"] != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                found.append(f"NotAction/NotResource allows more than it names: {statement}")
                continue
            for action in listed(statement["Action"]):
                yield action, statement
