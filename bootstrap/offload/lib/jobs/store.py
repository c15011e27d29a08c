"""The deployed stack as the job commands see it, and the jobs table read and written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from offload_contract import jobs
from offload_contract.ids import job_site
from offload_contract.layout import Layout

FINAL = (jobs.SUCCEEDED, jobs.FAILED)


@dataclass(frozen=True)
class Stack:
    """What the job commands need from the stack's outputs."""

    region: str
    bucket: str
    layout: Layout
    jobs_table: str
    orders_table: str
    dlq_url: str
    cluster: str = ""
    task_definition: str = ""
    container: str = ""
    placement_constraint: str | None = None
    endpoint: str | None = None
    # Each site's (input prefix, task definition family, placement constraint, job_site), output `sites`.
    sites: tuple[tuple[str, str, str | None, str], ...] = ()

    def launch_for(self, key: str) -> tuple[str, str | None]:
        """The task definition and placement of the key's site (its prefix), as the dispatcher picks them."""
        if not self.sites:
            return self.task_definition, self.placement_constraint
        _prefix, definition, constraint, _site = self._site_of(key)
        return definition, constraint

    def job_site_for(self, key: str) -> str:
        """What the ids of the key's jobs begin with (offload_contract.ids.job_site), as the dispatcher sets it."""
        return self._site_of(key)[3] if self.sites else ""

    def _site_of(self, key: str) -> tuple[str, str, str | None, str]:
        for site in self.sites:
            if key.startswith(site[0]):
                return site
        prefixes = ", ".join(site[0] for site in self.sites)
        raise ValueError(f"{key} is under no site's prefix ({prefixes}): no site runs it")

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any], endpoint: str | None = None) -> Stack:
        return cls(
            region=str(outputs["region"]),
            bucket=str(outputs["bucket"]),
            layout=Layout(str(outputs["input_prefix"]), str(outputs["output_prefix"]), str(outputs["rejected_prefix"])),
            jobs_table=str(outputs["jobs_table"]),
            orders_table=str(outputs["orders_table"]),
            dlq_url=str(outputs["dlq_url"]),
            cluster=str(outputs["cluster_name"]),
            task_definition=str(outputs["task_definition_family"]),
            container=str(outputs["container_name"]),
            placement_constraint=outputs.get("placement_constraint") or None,
            endpoint=endpoint,
            sites=tuple(
                (
                    str(site["input_prefix"]),
                    str(site["task_definition_family"]),
                    site.get("placement_constraint"),
                    job_site(str(name), str(site["input_prefix"]).removeprefix(str(outputs["input_prefix"]))),
                )
                for name, site in (outputs.get("sites") or {}).items()
            ),
        )

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint)


def get_job(stack: Stack, job_id: str) -> dict[str, Any] | None:
    item = stack.client("dynamodb").get_item(
        TableName=stack.jobs_table, Key={jobs.JOB_ID: {"S": job_id}}, ConsistentRead=True
    )
    return plain(item["Item"]) if "Item" in item else None


def list_jobs(stack: Stack) -> list[dict[str, Any]]:
    pages = stack.client("dynamodb").get_paginator("scan").paginate(TableName=stack.jobs_table)
    found = [plain(item) for page in pages for item in page.get("Items", [])]
    return sorted(found, key=lambda j: -int(j.get(jobs.CREATED_AT, 0)))


def backlog(stack: Stack) -> list[dict[str, Any]]:
    """The waiting jobs' ids and arrivals, oldest first: a Query of the sparse Backlog index, never a scan."""
    pages = (
        stack.client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=stack.jobs_table,
            IndexName=jobs.BACKLOG_INDEX,
            KeyConditionExpression="#line = :line",
            ProjectionExpression="#id, #since",
            ExpressionAttributeNames={"#line": jobs.WAITING_LINE, "#id": jobs.JOB_ID, "#since": jobs.WAITING_SINCE},
            ExpressionAttributeValues={":line": {"S": jobs.BACKLOG_LINE}},
            ScanIndexForward=True,
        )
    )
    return [plain(item) for page in pages for item in page.get("Items", [])]


def count_status(stack: Stack, status: str) -> int:
    """How many jobs have this status: a counting Query of the ByStatus index."""
    pages = (
        stack.client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=stack.jobs_table,
            IndexName=jobs.STATUS_INDEX,
            KeyConditionExpression="#st = :st",
            ExpressionAttributeNames={"#st": jobs.STATUS},
            ExpressionAttributeValues={":st": {"S": status}},
            Select="COUNT",
        )
    )
    return sum(int(page.get("Count", 0)) for page in pages)


def dead_letters(stack: Stack) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))


_NAMES = {
    "#st": jobs.STATUS,
    "#att": jobs.ATTEMPTS,
    "#up": jobs.UPDATED_AT,
    "#reason": jobs.REASON,
    "#exit": jobs.EXIT_CODE,
    "#arn": jobs.TASK_ARN,
}


def update(
    stack: Stack,
    job_id: str,
    expression: str,
    values: dict[str, Any],
    condition: str | None = None,
    names: dict[str, str] | None = None,
) -> None:
    """One UpdateItem on a job; `:now` and the attribute names above (and `names`) are filled in."""
    known = {**_NAMES, **(names or {})}
    used = {k: v for k, v in known.items() if k in expression or (condition and k in condition)}
    request: dict[str, Any] = {
        "TableName": stack.jobs_table,
        "Key": {jobs.JOB_ID: {"S": job_id}},
        "UpdateExpression": expression,
        "ExpressionAttributeNames": used,
        "ExpressionAttributeValues": {**values, ":now": {"N": str(jobs.now())}},
    }
    if condition:
        request["ConditionExpression"] = condition
    stack.client("dynamodb").update_item(**request)


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON -> plain values (numbers as int where whole; a sharded job's map and set too)."""
    return {name: _plain(typed) for name, typed in item.items()}


def _plain(typed: dict[str, Any]) -> Any:
    ((kind, value),) = typed.items()
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else value
    if kind == "M":
        return plain(value)
    if kind == "NS":
        return {_plain({"N": v}) for v in value}
    if kind == "L":
        return [_plain(v) for v in value]
    return value
