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


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=4566, show_default=True,
              help="Loopback port to listen on (0 picks a free one).")
def twin(port: int) -> None:
    """Run the local twin (moto + ECS Anywhere shims) in the foreground until Ctrl-C."""
    from offload.twin.run import serve

    serve(port, echo=click.echo)


def main() -> None:
    cli()
