"""What the stack's other roles may do, judged as the README promises (the on-prem instance role has
its own judge, tests/instance_role_policy.py): each site's task role, the execution role and the
dispatcher's role allow only the actions listed here, each with why it is needed, on exactly the
stack's ARNs listed for it (`*` only where the Service Authorization Reference gives the action no
resource type), with the conditions that scope it, and no managed policy is attached.

Resource types from the Service Authorization Reference ("Actions, resources, and condition keys
for" Amazon S3, DynamoDB, ECS, ECR, CloudWatch Logs, CloudWatch, SQS, IAM)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from offload_contract import jobs

from tests.policy_documents import allowed, listed, read_role

ANY = "*"  # the action supports no resource-level permission


@dataclass(frozen=True)
class Grant:
    resources: frozenset[str]
    why: str
    # operator -> key -> values: every statement allowing the action carries the condition, naming no others
    conditions: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)


def _grant(resources: list[str], why: str, **conditions: dict[str, list[str]]) -> Grant:
    operators = {op.replace("_", ":"): {k: frozenset(v) for k, v in keys.items()} for op, keys in conditions.items()}
    return Grant(frozenset(resources), why, operators)


@dataclass(frozen=True)
class Scope:
    """The ARNs of one applied stack (its outputs, its account)."""

    outputs: dict[str, Any]
    account: str
    partition: str = "aws"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.outputs['region']}:{self.account}:{resource}"

    @property
    def bucket(self) -> str:
        return f"arn:{self.partition}:s3:::{self.outputs['bucket']}"

    def table(self, name: str) -> str:
        return self.arn("dynamodb", f"table/{name}")

    @property
    def cluster(self) -> str:
        return self.arn("ecs", f"cluster/{self.outputs['cluster_name']}")

    def site_prefix(self, site: str) -> str:
        """Its input sub-prefix: "" for the implicit site taking every input."""
        return str(self.outputs["sites"][site]["input_prefix"]).removeprefix(self.outputs["input_prefix"])


def task_role(scope: Scope, site: str) -> dict[str, Grant]:
    o, sub, bucket = scope.outputs, scope.site_prefix(site), scope.bucket
    inputs, staging = f"{bucket}/{o['input_prefix']}{sub}*", f"{bucket}/{o['output_prefix']}.offload-shards/{sub}*"
    results, rejects = f"{bucket}/{o['output_prefix']}{sub}*", f"{bucket}/{o['rejected_prefix']}{sub}*"
    own_jobs = {"dynamodb:LeadingKeys": [f"{site}-*"]} if sub else {}  # offload_contract.ids.job_site
    schemas = o.get("schemas") or {}  # issue 24: the declared tables, and the schema objects they load with
    tables = [scope.table(s["table"]) for s in schemas.values()] or [scope.table(o["orders_table"])]
    schema_objects = [f"{bucket}/schemas/*"] if schemas else []
    return {
        "s3:GetObject": _grant(
            [inputs, staging, *schema_objects],
            "stream its site's input; the last shard reads the staged parts; SCHEMA_KEY's schema",
        ),
        "s3:PutObject": _grant([results, rejects, staging], "write the output, the rejects report, staged parts"),
        "s3:AbortMultipartUpload": _grant([results, rejects, staging], "a failed multipart upload leaves no parts"),
        "s3:DeleteObject": _grant([rejects, staging], "remove a stale rejects report; the parts once assembled"),
        "s3:ListBucket": _grant(
            [bucket],
            "a missing input or part is 404, not 403",
            StringLike={
                "s3:prefix": [
                    f"{o['input_prefix']}{sub}*",
                    f"{o['output_prefix']}.offload-shards/{sub}*",
                    *(["schemas/*"] if schemas else []),
                ]
            },
        ),
        "dynamodb:BatchWriteItem": _grant(tables, "load the rows"),
        "dynamodb:PutItem": _grant(tables, "load the rows"),
        "dynamodb:DescribeTable": _grant(tables, "check the live table's keys against the schema before any row"),
        "dynamodb:GetItem": _grant(
            [scope.table(o["jobs_table"])], "shards read the boundaries handed on", ForAllValues_StringLike=own_jobs
        ),
        "dynamodb:UpdateItem": _grant(
            [scope.table(o["jobs_table"])],
            "report progress and the summary on its own job, never Status",
            ForAllValues_StringEquals={"dynamodb:Attributes": list(jobs.WORKER_FIELDS)},
            StringEqualsIfExists={"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]},
            ForAllValues_StringLike=own_jobs,
        ),
    }


def execution_role(scope: Scope) -> dict[str, Grant]:
    repository = [scope.arn("ecr", f"repository/{scope.outputs['cluster_name']}-worker")]
    pull = "the ECS agent pulls the worker image from the stack's repository"
    return {
        "ecr:BatchCheckLayerAvailability": _grant(repository, pull),
        "ecr:BatchGetImage": _grant(repository, pull),
        "ecr:GetDownloadUrlForLayer": _grant(repository, pull),
        "ecr:GetAuthorizationToken": _grant([ANY], "the registry login; the action has no resource type"),
        "logs:CreateLogStream": _grant(
            [scope.arn("logs", f"log-group:/ecs/{scope.outputs['cluster_name']}-worker:*")],
            "awslogs: the task's stream",
        ),
        "logs:PutLogEvents": _grant(
            [scope.arn("logs", f"log-group:/ecs/{scope.outputs['cluster_name']}-worker:*")],
            "awslogs: the worker's lines and EMF metrics",
        ),
    }


def dispatch_role(scope: Scope, pass_roles: list[str]) -> dict[str, Grant]:
    o, bucket, name = scope.outputs, scope.bucket, scope.outputs["cluster_name"]
    queue, jobs_table = [scope.arn("sqs", f"{name}-events")], scope.table(o["jobs_table"])
    results = [f"{bucket}/{o['output_prefix']}*", f"{bucket}/{o['rejected_prefix']}*"]
    in_cluster = {"ecs:cluster": [scope.cluster]}
    consume = "the event source mapping reads the S3 events"
    ledger = "the job ledger: claim, launch, end"
    logs = [scope.arn("logs", f"log-group:/aws/lambda/{function}:*") for function in o["dispatcher_functions"].values()]
    return {
        "sqs:ReceiveMessage": _grant(queue, consume),
        "sqs:DeleteMessage": _grant(queue, consume),
        "sqs:GetQueueAttributes": _grant(queue, consume),
        "sqs:ChangeMessageVisibility": _grant(queue, consume),
        "ecs:RunTask": _grant(
            [scope.arn("ecs", f"task-definition/{s['task_definition_family']}:*") for s in o["sites"].values()],
            "start a file's worker with its site's task definition",
            ArnEquals=in_cluster,
        ),
        "iam:PassRole": _grant(
            pass_roles,
            "RunTask hands the task and execution roles to ECS",
            StringEquals={"iam:PassedToService": ["ecs-tasks.amazonaws.com"]},
        ),
        "dynamodb:PutItem": _grant([jobs_table], ledger),
        "dynamodb:GetItem": _grant([jobs_table], ledger),
        "dynamodb:UpdateItem": _grant([jobs_table], ledger),
        "dynamodb:Query": _grant(
            [f"{jobs_table}/index/ByStatus", f"{jobs_table}/index/Backlog"], "open jobs and the backlog, never a scan"
        ),
        "s3:GetObject": _grant(
            [*results, f"{bucket}/{o['input_prefix']}*"],
            "HeadObject of the reported output before SUCCEEDED; a shardable file's first two bytes (gzip?)",
        ),
        "s3:ListBucket": _grant(
            [bucket],
            "a missing output is 404, not 403",
            StringLike={"s3:prefix": [f"{o['output_prefix']}*", f"{o['rejected_prefix']}*"]},
        ),
        "ecs:DescribeTasks": _grant(
            [scope.arn("ecs", f"task/{name}/*")], "the watchdog reconciles silent jobs", ArnEquals=in_cluster
        ),
        "sqs:SendMessage": _grant([scope.arn("sqs", f"{name}-task-events-dlq")], "the task-state function's DLQ"),
        "ecs:ListContainerInstances": _grant([scope.cluster], "the watchdog counts the joined hosts"),
        "ecs:DescribeContainerInstances": _grant(
            [scope.arn("ecs", f"container-instance/{name}/*")],
            "their agents' state and free room",
            ArnEquals=in_cluster,
        ),
        "cloudwatch:PutMetricData": _grant(
            [ANY],
            "the watchdog's metrics; no resource type, the namespace scopes it",
            StringEquals={"cloudwatch:namespace": ["Offload"]},
        ),
        "logs:CreateLogStream": _grant(logs, "the functions' own log groups"),
        "logs:PutLogEvents": _grant(logs, "the functions' own log groups"),
    }


def problems(documents: list[dict[str, Any]], attached: list[str], grants: dict[str, Grant]) -> list[str]:
    """Everything the role's policies allow beyond `grants`; [] if nothing."""
    found: list[str] = []
    for action, statement in allowed(documents, attached, found):
        resources, conditions = set(listed(statement["Resource"])), statement.get("Condition", {})
        grant = grants.get(action)
        if grant is None:
            found.append(f"{action}: not in the justified list")
            continue
        if not resources <= grant.resources:
            beyond, within = sorted(resources - grant.resources), sorted(grant.resources)
            found.append(f"{action} on {beyond}: expected within {within}")
        for operator, keys in grant.conditions.items():  # present, and no wider than the grant's
            for key, values in keys.items():
                actual = set(listed(conditions.get(operator, {}).get(key, [])))
                if not actual or not actual <= values:
                    found.append(f"{action} without {operator} {key} within {sorted(values)}")
    return found


def stack_problems(outputs: dict[str, Any]) -> list[str]:
    """Every task role, the execution role and the dispatcher's role of an applied stack, judged."""
    iam = boto3.client("iam")
    scope = Scope(outputs, boto3.client("sts").get_caller_identity()["Account"])
    prefix = f"{outputs['cluster_name']}-{outputs['region']}"
    tasks = {
        site: f"{prefix}-worker-task" if site == "default" else f"{prefix}-{site}-task" for site in outputs["sites"]
    }
    execution = f"{prefix}-worker-execution"
    pass_roles = [iam.get_role(RoleName=role)["Role"]["Arn"] for role in [*tasks.values(), execution]]
    judged = {role: task_role(scope, site) for site, role in tasks.items()}
    judged |= {execution: execution_role(scope), f"{prefix}-dispatch": dispatch_role(scope, pass_roles)}
    return [f"{role}: {problem}" for role, grants in judged.items() for problem in problems(*read_role(role), grants)]
