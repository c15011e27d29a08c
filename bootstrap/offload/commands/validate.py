"""`offload validate`: a local dry run of one file through its schema (no AWS)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from offload.lib.text import printable
from offload.lib.validate import Unreadable, validate


@click.command("validate")
@click.option(
    "--schema",
    "schema_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The schema file (YAML).",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the rejects report [default: ./<FILE name>.rejects.csv].",
)
def validate_command(schema_path: Path, file: Path, rejects_path: Path | None) -> None:
    """Check FILE (CSV or JSON Lines, plain or gzip) against a schema, locally, writing nothing to AWS.

    Exit 0: every row is valid; 1: some rows would be rejected; 2: the file or the schema cannot be read."""
    try:
        found = validate(schema_path, file, rejects_path)
    except Unreadable as error:
        click.echo(printable(f"offload validate: {error}"), err=True)
        sys.exit(2)
    counts = found.counts
    click.echo(printable(f"{file}: {found.summary()}"))
    for note in found.notes:
        click.echo(printable(f"note: {note}"))
    for line, reason in found.first_rejects:
        click.echo(printable(f"  line {line}: {reason}"))
    if found.rejects_path is not None:
        more = counts.rejected - len(found.first_rejects)
        click.echo(
            printable(
                f"rejects report ({more} more): {found.rejects_path}"
                if more
                else f"rejects report: {found.rejects_path}"
            )
        )
    sys.exit(found.exit_code)


COMMANDS = [validate_command]
