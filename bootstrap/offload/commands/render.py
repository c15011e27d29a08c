"""How jobs look in a terminal: progress bars for `submit --wait`, a live table for `status --watch`."""

from __future__ import annotations

from typing import Any

from offload_contract import jobs
from rich.console import Group
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from offload.lib.jobs.status import Backlog, table
from offload.lib.jobs.status import Progress as JobProgress
from offload.lib.text import printable


def job_bars() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )


def show(bars: Progress, bar: TaskID, name: str, record: dict[str, Any] | None) -> None:
    """One job's bar: its status, how far, its rate and ETA (or why it failed)."""
    if record is None:
        bars.update(bar, description=f"{_shown(name)}  WAITING FOR DISPATCH", detail="")
        return
    status = str(record.get(jobs.STATUS, ""))
    progress = JobProgress.of(record)
    detail = progress.text() if status == jobs.RUNNING else str(record.get(jobs.REASON, ""))[:80]
    completed = 100.0 if status in (jobs.SUCCEEDED, jobs.FAILED) else (progress.fraction or 0.0) * 100
    bars.update(bar, description=f"{_shown(name)}  {_shown(status)}", completed=completed, detail=_shown(detail))


def _shown(text: str) -> str:
    """A key or reason for a bar's columns, which rich reads as markup: no control characters, no markup."""
    return escape(printable(text))


def live_status(rows: list[dict[str, Any]], backlog: Backlog, now: float, footer: str) -> Group:
    """The backlog line, the status table (waiting jobs with their place in line), a bar for every running job."""
    running = Table.grid(padding=(0, 2))
    for job in rows:
        if job.get(jobs.STATUS) == jobs.RUNNING:
            progress = JobProgress.of(job)
            bar = "█" * int((progress.fraction or 0) * 30)
            running.add_row(Text(printable(job.get(jobs.KEY, ""))), f"{bar:<30}", progress.text())
    return Group(Text(backlog.text(now)), Text(table(rows, now, backlog.places())), running, Text(footer))
