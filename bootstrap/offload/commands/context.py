"""What several commands share: the common options, and the stack they act on, with
library errors turned into one-line click errors."""

from __future__ import annotations

from typing import Any

import boto3
import click

from offload.lib.jobs.store import Stack
from offload.lib.terraform import targets, tooling
from offload.lib.terraform.runner import Runner, TerraformFailed

target_option = click.option(
    "--target",
    type=click.Choice(targets.TARGETS),
    default="aws",
    show_default=True,
    envvar="OFFLOAD_TARGET",
    help="aws: your account with your credentials; twin: the local twin (OFFLOAD_TWIN_ENDPOINT).",
)
var_file_option = click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A .tfvars file (repeatable).",
)
approve_option = click.option("--auto-approve", is_flag=True, help="Do not ask before changing anything.")
cluster_option = click.option("--cluster", envvar="OFFLOAD_CLUSTER", help="Cluster name (default: the stack's).")
role_option = click.option(
    "--instance-role", envvar="OFFLOAD_INSTANCE_ROLE", help="The agents' IAM role (default: the stack's)."
)


def runner(target: str, var_files: tuple[str, ...] = ()) -> Runner:
    if target == "aws" and boto3.Session().get_credentials() is None:
        raise click.ClickException(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY (or use --target twin)"
        )
    try:
        return Runner(targets.for_target(target), var_files)
    except tooling.ToolError as error:
        raise click.ClickException(str(error)) from None


def job_stack(target: str) -> Stack:
    endpoint = targets.twin_endpoint() if target == "twin" else None
    try:
        return Stack.from_outputs(runner(target).outputs(), endpoint)
    except (TerraformFailed, KeyError):
        raise click.ClickException(f"no {target} stack found: run `offload apply --target {target}` first") from None


class FleetContext:
    """The stack's outputs (or the names given instead) and clients for the target."""

    def __init__(self, target: str, cluster: str | None, role: str | None, need_stack: bool = False) -> None:
        self.endpoint = targets.twin_endpoint() if target == "twin" else None
        outputs: dict[str, Any] = {}
        if need_stack or not (cluster and role):
            try:
                outputs = runner(target).outputs()
            except TerraformFailed:
                outputs = {}
            if not outputs and not (cluster and role):
                raise click.ClickException(
                    f"no {target} stack outputs: run `offload apply --target {target}` (or pass --cluster and "
                    "--instance-role)"
                )
        region = outputs.get("region") or boto3.Session().region_name or targets.TWIN_REGION
        self.outputs = {
            **outputs,
            "region": region,
            "cluster_name": cluster or outputs.get("cluster_name"),
            "instance_role": role or outputs.get("instance_role"),
        }
        self.region, self.cluster, self.role = (
            str(region),
            str(self.outputs["cluster_name"]),
            str(self.outputs["instance_role"]),
        )

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint)
