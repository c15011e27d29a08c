"""`offload schema check S`: lint a schema file (the format: docs/schemas.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from offload.lib.schemas.check import Unusable, check, summary
from offload.lib.text import printable


@click.group("schema")
def schema_group() -> None:
    """Check the schema files that declare a file's columns and where its rows go (docs/schemas.md)."""


@schema_group.command("check")
@click.argument("schema_path", metavar="SCHEMA", type=click.Path(dir_okay=False, path_type=Path))
def check_command(schema_path: Path) -> None:
    """Parse and check SCHEMA as the worker would: a summary when it is good, else its one-line error.

    Exit 0: the schema is good; 2: it cannot be used (the line names the file, line and field)."""
    try:
        schema = check(schema_path)
    except Unusable as error:
        click.echo(printable(f"offload schema check: {error}"), err=True)
        sys.exit(2)
    for line in summary(schema):
        click.echo(printable(line))


COMMANDS = (schema_group,)
