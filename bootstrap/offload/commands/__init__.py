"""The `offload` command: click wiring only. Each module holds one area's commands and
calls the library (offload.lib), the twin, the demo or the bench for the work."""

from __future__ import annotations

import click

from offload.commands import dev, fleet, jobs, schema, stack, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "OFFLOAD"})
def cli() -> None:
    """Operate offload: Terraform for the cloud side, the local twin, jobs and the on-prem fleet."""


for _command in (*stack.COMMANDS, *jobs.COMMANDS, *validate.COMMANDS, *schema.COMMANDS, *fleet.COMMANDS, *dev.COMMANDS):
    cli.add_command(_command)


def main() -> None:
    cli()
