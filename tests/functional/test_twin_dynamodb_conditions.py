"""The twin's DynamoDB shim (bootstrap/offload/twin/dynamodb.py): with IAM enforcement on, an assumed
role's requests are judged on the table's ARN with dynamodb:Attributes, dynamodb:LeadingKeys and
dynamodb:ReturnValues, real requests through boto3. Stock moto allows none of them (a grant on a
table's ARN never matches its Resource "*") and, given one on "*", ignores the conditions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import twin_headers

pytestmark = pytest.mark.functional
TABLE = "jobs"
REPORTED = ["JobId", "Report", "RowsRead"]


def _policy(table_arn: str) -> dict[str, Any]:
    """The shape of a site's task-role grant on the jobs table (terraform/modules/cluster)."""
    own = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["dc1-*"]}}
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": table_arn, "Condition": own},
        {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": table_arn, "Condition": {
            **own, "ForAllValues:StringEquals": {"dynamodb:Attributes": REPORTED},
            "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]}}},
        {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": f"{table_arn}/index/ByStatus"},
    ]}


@pytest.fixture
def as_site(twin: str, twin_access_key: str) -> Iterator[Any]:
    """A DynamoDB client signing with an assumed role's credentials, IAM enforced while it is used."""
    ddb = boto3.client("dynamodb")
    arn = ddb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("JobId", "Status")],
        KeySchema=[{"AttributeName": "JobId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "ByStatus", "KeySchema": [{"AttributeName": "Status", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
    )["TableDescription"]["TableArn"]
    for job in ("dc1-a", "dc2-b"):
        ddb.put_item(TableName=TABLE, Item={"JobId": {"S": job}, "Status": {"S": "RUNNING"}})
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="dc1-task", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    iam.put_role_policy(RoleName="dc1-task", PolicyName="worker", PolicyDocument=json.dumps(_policy(arn)))
    issued = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="task")["Credentials"]
    client = boto3.client("dynamodb", aws_access_key_id=issued["AccessKeyId"],
                          aws_secret_access_key=issued["SecretAccessKey"], aws_session_token=issued["SessionToken"])
    auth = f"{twin}/moto-api/reset-auth"
    requests.post(auth, data=b"0", timeout=10, headers=twin_headers(twin_access_key)).raise_for_status()
    try:
        yield client
    finally:
        requests.post(auth, data=b"inf", timeout=10, headers=twin_headers(twin_access_key)).raise_for_status()


def _report(job: str, attribute: str = "Report", **extra: Any) -> dict[str, Any]:
    return {"TableName": TABLE, "Key": {"JobId": {"S": job}}, "UpdateExpression": "SET #a = :v",
            "ExpressionAttributeNames": {"#a": attribute}, "ExpressionAttributeValues": {":v": {"S": "x"}}, **extra}


def _refused(call: Any, **request: Any) -> bool:
    try:
        call(**request)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException", error.response
        return True
    return False


def test_an_assumed_roles_requests_are_judged_with_dynamodbs_condition_keys(as_site: Any) -> None:
    # Its own job's reported fields: allowed (else the refusals below would prove nothing).
    as_site.update_item(**_report("dc1-a"))
    as_site.update_item(**_report("dc1-a", "RowsRead", ReturnValues="UPDATED_NEW"))
    as_site.update_item(**_report("dc1-a", ConditionExpression="attribute_exists(#a) OR size(#a) > :v"))
    assert as_site.get_item(TableName=TABLE, Key={"JobId": {"S": "dc1-a"}})["Item"]["Report"] == {"S": "x"}
    # dynamodb:LeadingKeys: another site's job, read or written.
    assert _refused(as_site.update_item, **_report("dc2-b"))
    assert _refused(as_site.get_item, TableName=TABLE, Key={"JobId": {"S": "dc2-b"}})
    # dynamodb:Attributes: a field it does not report, set or only tested; dynamodb:ReturnValues: ALL_NEW.
    assert _refused(as_site.update_item, **_report("dc1-a", "Status"))
    assert _refused(as_site.update_item, **_report("dc1-a", ConditionExpression="Status = :v"))
    assert _refused(as_site.update_item, **_report("dc1-a", ReturnValues="ALL_NEW"))
    # A Query is judged on the index it reads: granted on ByStatus, not on the table.
    running = {"KeyConditionExpression": "#s = :s", "ExpressionAttributeNames": {"#s": "Status"},
               "ExpressionAttributeValues": {":s": {"S": "RUNNING"}}}
    assert as_site.query(TableName=TABLE, IndexName="ByStatus", **running)["Count"] == 2
    assert _refused(as_site.query, TableName=TABLE, **{**running, "KeyConditionExpression": "JobId = :s"})
    # Not granted at all: moto's own check, now on the table's ARN.
    assert _refused(as_site.put_item, TableName=TABLE, Item={"JobId": {"S": "dc1-c"}})
    assert _refused(as_site.scan, TableName=TABLE)
