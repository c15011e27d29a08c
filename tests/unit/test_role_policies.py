"""The judge of the task, execution and dispatcher roles (tests/role_policies.py) itself: what each
grant allows passes; `Resource: "*"`, another site's prefix, an unlisted action, a missing scoping
condition and a managed policy are each refused."""

from __future__ import annotations

import json
from typing import Any

from moto.iam.aws_managed_policies import aws_managed_policies_data

from tests.role_policies import ANY, Grant, Scope, execution_role, problems, task_role

OUTPUTS = {
    "region": "eu-west-1", "bucket": "orders", "cluster_name": "offload", "jobs_table": "offload-jobs",
    "orders_table": "offload-orders", "input_prefix": "incoming/", "output_prefix": "processed/",
    "rejected_prefix": "rejected/", "sites": {"dc1": {"input_prefix": "incoming/dc1/"},
                                              "dc2": {"input_prefix": "incoming/dc2/"}},
}
SCOPE = Scope(OUTPUTS, "123456789012")


def _allowing(grants: dict[str, Grant]) -> dict[str, Any]:
    """One statement per action: exactly what its grant allows, with the conditions it requires."""
    statements = []
    for action, grant in grants.items():
        condition = {op: {k: sorted(v) for k, v in keys.items()} for op, keys in grant.conditions.items() if keys}
        statements.append({"Effect": "Allow", "Action": action, "Resource": sorted(grant.resources),
                           **({"Condition": condition} if condition else {})})
    return {"Version": "2012-10-17", "Statement": statements}


def test_what_each_grant_allows_passes() -> None:
    for grants in (task_role(SCOPE, "dc1"), execution_role(SCOPE)):
        assert problems([_allowing(grants)], [], grants) == []


def test_wider_resources_other_sites_and_unlisted_actions_are_refused() -> None:
    grants = task_role(SCOPE, "dc1")
    found = problems([{"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::orders/incoming/dc2/*"},
        {"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/x"},
    ]}], [], grants)
    assert found[0].startswith("s3:GetObject on ['*']: expected within")
    assert found[1].startswith("s3:GetObject on ['arn:aws:s3:::orders/incoming/dc2/*']")
    assert found[2] == "dynamodb:Scan: not in the justified list"
    assert ANY in execution_role(SCOPE)["ecr:GetAuthorizationToken"].resources  # no resource type: "*" is right


def test_a_sites_job_grants_without_leading_keys_are_refused() -> None:
    """The task role before job ids carried their site: any site could report on any job."""
    grants = task_role(SCOPE, "dc1")
    document = _allowing(grants)
    for statement in document["Statement"]:
        statement.get("Condition", {}).pop("ForAllValues:StringLike", None)
    found = problems([document], [], grants)
    assert found == [f"dynamodb:{a} without ForAllValues:StringLike dynamodb:LeadingKeys within ['dc1-*']"
                     for a in ("GetItem", "UpdateItem")]
    other = _allowing(grants)
    for statement in other["Statement"]:
        if "ForAllValues:StringLike" in statement.get("Condition", {}):
            statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"].append("dc2-*")
    assert len(problems([other], [], grants)) == 2  # another site's jobs as well: wider than the grant


def test_managed_policies_are_refused_and_judged() -> None:
    document = json.loads(aws_managed_policies_data)["AmazonECSTaskExecutionRolePolicy"]["Document"]
    found = problems([document], ["AmazonECSTaskExecutionRolePolicy"], execution_role(SCOPE))
    assert found[0] == "managed policy AmazonECSTaskExecutionRolePolicy attached"
    assert any(line.startswith("ecr:BatchGetImage on ['*']") for line in found)
