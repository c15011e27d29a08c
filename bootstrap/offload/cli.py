"""The `offload` command: a thin click layer over the offload library."""

from __future__ import annotations

import click

from offload import tooling


@click.group(context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "OFFLOAD"})
def cli() -> None:
    """Operate offload: Terraform for the cloud side, the local twin, jobs and the on-prem fleet."""


@cli.command()
def tools() -> None:
    """Set up Terraform (>= 1.5) and the offline aws provider mirror used by the twin."""
    try:
        path, version = tooling.ensure_terraform()
        mirror = tooling.provider_mirror()
    except tooling.ToolError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"terraform {version} at {path}; aws provider {tooling.TWIN_PROVIDER_VERSION} mirror at {mirror}")


def main() -> None:
    cli()
