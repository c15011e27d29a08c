"""`offload submit | status | rerun`: files in, jobs out."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.live import Live

from offload.commands import context, render
from offload.commands.context import target_option
from offload.lib.jobs import follow
from offload.lib.jobs import rerun as reruns
from offload.lib.jobs.status import Backlog, dead_letter_note, status_text
from offload.lib.jobs.store import list_jobs
from offload.lib.jobs.submit import submit as upload
from offload.lib.text import printable


@click.command()
@target_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--prefix", help="Key prefix below the input prefix (e.g. 2026/11/).", default="")
@click.option("--wait", is_flag=True, help="Follow the jobs to their end with a bar each; exit 1 if any failed.")
def submit(target: str, files: tuple[Path, ...], prefix: str, wait: bool) -> None:
    """Upload files under the stack's input prefix (each one starts a job)."""
    found = context.job_stack(target)
    sent = []
    for path in files:
        size = path.stat().st_size
        with click.progressbar(length=size, label=path.name, file=sys.stderr) as bar:
            sent.append(upload(found, path, found.layout.input_prefix + prefix + path.name, bar.update))
        click.echo(printable(f"s3://{found.bucket}/{sent[-1].key}  job {sent[-1].job_id}"))
    if not wait:
        return
    bars = render.job_bars()
    ids = {s.job_id: bars.add_task(s.key, total=100, detail="") for s in sent}
    names = {s.job_id: s.key for s in sent}
    try:
        with bars:
            ended = follow.follow(found, list(ids), lambda j, r: render.show(bars, ids[j], names[j], r))
    except KeyboardInterrupt:
        click.echo("offload submit: stopped waiting; the jobs go on (`offload status`)", err=True)
        sys.exit(130)
    for record in follow.failed(ended):
        click.echo(printable(f"offload submit: {record.get('Key')} FAILED: {record.get('Reason', '')}"), err=True)
    sys.exit(1 if follow.failed(ended) else 0)


@click.command()
@target_option
@click.argument("job_id")
@click.option("--force", is_flag=True, help="Also rerun a job still shown RUNNING whose task is gone.")
def rerun(target: str, job_id: str, force: bool) -> None:
    """Run a FAILED job's file again (same ETag; rows already loaded are rewritten, not doubled).

    JOB_ID is the id `offload status` shows (a prefix of at least 6 characters) or the whole id."""
    try:
        found = context.job_stack(target)
        task_arns = reruns.rerun(found, reruns.resolve(found, job_id), force)
    except reruns.RerunRefused as error:
        raise click.ClickException(printable(error)) from None
    started = ", ".join(arn.rsplit("/", 1)[-1] for arn in task_arns)
    what = "task" if len(task_arns) == 1 else f"{len(task_arns)} shard tasks"
    click.echo(printable(f"job {job_id}: {what} {started} started; follow it with `offload status --watch`"))


@click.command()
@target_option
@click.option("--watch", is_flag=True, help="Live: refresh every 2 seconds, with a bar per running job, until Ctrl-C.")
def status(target: str, watch: bool) -> None:
    """The backlog (waiting N, oldest wait, running M), then the jobs table: key, job, status, rows, progress
    (percent, rate, ETA), task, age, reason (a waiting job's place in line first); and the DLQ."""
    found = context.job_stack(target)
    if not watch:
        click.echo(status_text(found))
        return
    try:
        with Live(refresh_per_second=1) as live:
            while True:
                note = dead_letter_note(found) or "Ctrl-C to stop watching"
                live.update(render.live_status(list_jobs(found), Backlog.read(found), time.time(), note))
                time.sleep(follow.POLL_SECONDS)
    except KeyboardInterrupt:
        return


COMMANDS = (submit, status, rerun)
