"""`offload submit | status | rerun`: files in, jobs out."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from offload.commands import context
from offload.commands.context import target_option
from offload.lib.jobs import rerun as reruns
from offload.lib.jobs.status import status_text
from offload.lib.jobs.submit import submit as upload


@click.command()
@target_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--prefix", help="Key prefix below the input prefix (e.g. 2026/11/).", default="")
def submit(target: str, files: tuple[Path, ...], prefix: str) -> None:
    """Upload files under the stack's input prefix (each one starts a job)."""
    found = context.job_stack(target)
    for path in files:
        size = path.stat().st_size
        with click.progressbar(length=size, label=path.name, file=sys.stderr) as bar:
            sent = upload(found, path, found.layout.input_prefix + prefix + path.name, bar.update)
        click.echo(f"s3://{found.bucket}/{sent.key}  job {sent.job_id}")


@click.command()
@target_option
@click.argument("job_id")
@click.option("--force", is_flag=True, help="Also rerun a job still shown RUNNING whose task is gone.")
def rerun(target: str, job_id: str, force: bool) -> None:
    """Run a FAILED job's file again (same ETag; rows already loaded are rewritten, not doubled)."""
    try:
        task_arn = reruns.rerun(context.job_stack(target), job_id, force)
    except reruns.RerunRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"job {job_id}: task {task_arn.rsplit('/', 1)[-1]} started; follow it with `offload status --watch`")


@click.command()
@target_option
@click.option("--watch", is_flag=True, help="Refresh every 2 seconds until Ctrl-C.")
def status(target: str, watch: bool) -> None:
    """The jobs table: key, status, rows, task, age, reason; and the dead-letter queue."""
    found = context.job_stack(target)
    while True:
        text = status_text(found)
        if watch:
            click.clear()
        click.echo(text)
        if not watch:
            return
        time.sleep(2)


COMMANDS = (submit, status, rerun)
