"""`offload tools | plan | apply | destroy | output | lint-terraform | build-lambda | image`: the cloud side."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import boto3
import click

from offload.commands.context import approve_option, runner, target_option, var_file_option
from offload.lib.build import image as images
from offload.lib.build import lambda_zip
from offload.lib.build.base_image import BaseImageError
from offload.lib.build.worker_image import ImageBuildError
from offload.lib.terraform import lint, tooling
from offload.lib.terraform.runner import PLAN_CHANGES, SECRET_MAPS, SECRET_OUTPUTS, TerraformFailed


def _terraform(action: Callable[[], object]) -> None:
    """Run a Terraform step; its own output is already on screen, so keep only its exit code."""
    try:
        action()
    except TerraformFailed as error:
        click.echo(f"offload: {error}", err=True)
        sys.exit(error.code)
    except lambda_zip.LockOutOfDate as error:
        raise click.ClickException(str(error)) from None


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
@click.option(
    "--lock/--no-lock", default=True, show_default=True, help="--no-lock: take no state lock (a read-only role, CI)."
)
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the plan here as Markdown: counts and resource addresses, no values.",
)
def plan(target: str, var_files: tuple[str, ...], lock: bool, summary: Path | None) -> None:
    """Show what `apply` would change (terraform plan)."""
    found = runner(target, var_files)
    code = 0

    def run() -> None:
        nonlocal code
        code = found.plan(lock=lock, summary=summary)

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
    shown = {k: ("(sensitive)" if k in SECRET_OUTPUTS + SECRET_MAPS else v) for k, v in sorted(values.items())}
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
    try:
        click.echo(str(lambda_zip.build()))
    except lambda_zip.LockOutOfDate as error:
        raise click.ClickException(str(error)) from None


@click.command()
@target_option
@click.option("--repository", envvar="OFFLOAD_ECR_REPOSITORY", help="ECR repository URL (default: the stack's output).")
@click.option("--tag", help="Image tag (default: the git commit, -dirty if the tree has changes).")
@click.option("--base-image", envvar="BASE_IMAGE", help=f"Python base (default {images.DEFAULT_BASE_IMAGE}).")
@click.option(
    "--debian-base", is_flag=True, help="Make the base from Debian packages (debootstrap, root): no registry."
)
@click.option("--dry-run", is_flag=True, help="Print the commands instead of running them.")
def image(
    target: str, repository: str | None, tag: str | None, base_image: str | None, debian_base: bool, dry_run: bool
) -> None:
    """Build the worker image offline (wheels for the base's Python); push it to the stack's ECR repository."""
    url, no_push = (repository, "") if repository else _stack_repository(target)
    try:
        if url and not dry_run:
            images.require_docker()
        client = None if dry_run else images.engine()
        if client is not None:
            base_image = images.ensure_base(client, base_image or images.DEFAULT_BASE_IMAGE, debian_base)
        built = images.plan(url, tag, base_image=base_image)
        if client is None:
            for command in built.commands():
                click.echo(" ".join(command))
            return
        local = images.build(client, built)
    except (images.NoDocker, ImageBuildError, BaseImageError) as error:
        raise click.ClickException(str(error)) from None
    if not url:
        click.echo(f"built {built.image} ({local}); not pushed: {no_push}")
        return
    region = url.split(".")[3]
    images.push(built, images.ecr_password(boto3.client("ecr", region_name=region)))
    click.echo(f"pushed {built.image}; use it: TF_VAR_worker_image_tag={built.tag} make apply")


def _stack_repository(target: str) -> tuple[str | None, str]:
    """The stack's ECR repository URL, or None and why there is none (no stack, no credentials)."""
    try:
        return str(runner(target).outputs()["ecr_repository_url"]), ""
    except (TerraformFailed, KeyError):
        return None, f"no {target} stack with an ECR repository (make apply, or --repository)"
    except click.ClickException as error:
        return None, error.message


COMMANDS = (tools, plan, apply, destroy, output, lint_terraform, build_lambda, image)
