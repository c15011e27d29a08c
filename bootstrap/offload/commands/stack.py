"""`offload tools | plan | apply | destroy | output | lint-terraform | build-lambda | image`: the cloud side."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import boto3
import click

from offload.commands.context import approve_option, runner, target_option, var_file_option
from offload.lib.build import image as images
from offload.lib.build import lambda_zip
from offload.lib.terraform import lint, tooling
from offload.lib.terraform.runner import PLAN_CHANGES, TerraformFailed


def _terraform(action: Callable[[], object]) -> None:
    """Run a Terraform step; its own output is already on screen, so keep only its exit code."""
    try:
        action()
    except TerraformFailed as error:
        click.echo(f"offload: {error}", err=True)
        sys.exit(error.code)


@click.command()
def tools() -> None:
    """Set up Terraform (>= 1.5) and the offline aws provider mirror used by the twin."""
    try:
        path, version = tooling.ensure_terraform()
        mirror = tooling.provider_mirror()
    except tooling.ToolError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"terraform {version} at {path}; aws provider {tooling.TWIN_PROVIDER_VERSION} mirror at {mirror}")


@click.command()
@target_option
@var_file_option
def plan(target: str, var_files: tuple[str, ...]) -> None:
    """Show what `apply` would change (terraform plan)."""
    found = runner(target, var_files)
    code = 0

    def run() -> None:
        nonlocal code
        code = found.plan()

    _terraform(run)
    click.echo("offload: changes pending" if code == PLAN_CHANGES else "offload: no changes")


@click.command()
@target_option
@var_file_option
@approve_option
def apply(target: str, var_files: tuple[str, ...], auto_approve: bool) -> None:
    """Create or update the cloud side (terraform apply)."""
    found = runner(target, var_files)
    _terraform(lambda: found.apply(auto_approve))


@click.command()
@target_option
@var_file_option
@approve_option
def destroy(target: str, var_files: tuple[str, ...], auto_approve: bool) -> None:
    """Delete the cloud side (terraform destroy)."""
    found = runner(target, var_files)
    _terraform(lambda: found.destroy(auto_approve))


@click.command()
@target_option
@click.option("--json", "as_json", is_flag=True, help="All outputs as JSON (sensitive ones hidden).")
def output(target: str, as_json: bool) -> None:
    """Show the stack's outputs; the activation code stays hidden (see `offload activation`)."""
    try:
        values = runner(target).outputs()
    except TerraformFailed as error:
        raise click.ClickException(str(error)) from None
    shown = {k: ("(sensitive)" if k == "activation_code" else v) for k, v in sorted(values.items())}
    if as_json:
        click.echo(json.dumps(shown, indent=2))
    else:
        for name, value in shown.items():
            click.echo(f"{name} = {value}")


@click.command("lint-terraform")
def lint_terraform() -> None:
    """terraform fmt -check, validate (on the twin's 3.39 copy: offline), and checkov if installed."""
    try:
        lint.run(lambda line: click.echo(line, err=True))
    except lint.LintFailed as error:
        raise click.ClickException(str(error)) from None
    click.echo("offload: terraform lint clean")


@click.command("build-lambda")
def build_lambda() -> None:
    """Build build/dispatcher.zip: the dispatcher, the contract and Powertools, reproducibly."""
    click.echo(str(lambda_zip.build()))


@click.command()
@target_option
@click.option("--repository", envvar="OFFLOAD_ECR_REPOSITORY", help="ECR repository URL (default: the stack's output).")
@click.option("--tag", help="Image tag (default: the git commit, -dirty if the tree has changes).")
@click.option("--dry-run", is_flag=True, help="Print the commands instead of running them.")
def image(target: str, repository: str | None, tag: str | None, dry_run: bool) -> None:
    """Build the worker image (worker/Dockerfile) and push it to the stack's ECR repository."""
    try:
        if not dry_run:
            images.require_docker()
        url = repository or str(runner(target).outputs()["ecr_repository_url"])
    except images.NoDocker as error:
        raise click.ClickException(str(error)) from None
    except (TerraformFailed, KeyError):
        raise click.ClickException("no ECR repository: run `make apply` first, or pass --repository") from None
    built = images.plan(url, tag)
    if dry_run:
        for command in built.commands():
            click.echo(" ".join(command))
        return
    region = url.split(".")[3]
    images.build_and_push(built, images.ecr_password(boto3.client("ecr", region_name=region)))
    click.echo(f"pushed {built.image}; use it: TF_VAR_worker_image_tag={built.tag} make apply")


COMMANDS = (tools, plan, apply, destroy, output, lint_terraform, build_lambda, image)
