"""`offload twin | demo | bench`: the local twin, the demo on it, and the benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from offload.lib.terraform import tooling
from offload.lib.terraform.runner import TerraformFailed


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=4566,
    show_default=True,
    help="Loopback port to listen on (0 picks a free one).",
)
def twin(port: int) -> None:
    """Run the local twin (moto + ECS Anywhere shims) in the foreground until Ctrl-C."""
    from offload.twin.run import serve

    serve(port, echo=click.echo)


@click.command()
@click.option("--keep", is_flag=True, help="Leave the twin running (until Ctrl-C) to drop more files.")
def demo(keep: bool) -> None:
    """The whole pipeline on the local twin: apply, join, drop the samples, show results, tear down."""
    from offload.demo import run as demos

    try:
        report = demos.run(click.echo, keep=keep)
    except KeyboardInterrupt:
        click.echo("offload demo: interrupted; twin and agent stopped", err=True)
        sys.exit(130)
    except (demos.DemoFailed, TerraformFailed, tooling.ToolError) as error:
        raise click.ClickException(str(error)) from None
    problems = report.problems()
    for problem in problems:
        click.echo(f"offload demo: unexpected result: {problem}", err=True)
    sys.exit(1 if problems else 0)


@click.command()
@click.option("--rows", default=200_000, show_default=True, envvar="BENCH_ROWS", help="P1 file size in rows.")
@click.option("--rtt-ms", default=25.0, show_default=True, envvar="BENCH_RTT_MS", help="P1 delay per request.")
@click.option("--concurrency", default=64, show_default=True, help="The worker's WRITE_CONCURRENCY.")
@click.option("--processes", default=0, show_default=True, help="The worker's WORKER_PROCESSES (0: its default).")
@click.option("--peer-rows", default=10_000, show_default=True, envvar="BENCH_PEER_ROWS", help="P1 file for peers.")
@click.option("--small-mb", default=20, show_default=True, envvar="BENCH_SMALL_MB", help="P2 small file (MB).")
@click.option("--large-mb", default=80, show_default=True, envvar="BENCH_LARGE_MB", help="P2 large file (MB).")
@click.option("--out", default="bench/results.json", show_default=True, type=click.Path(path_type=Path))
def bench(
    rows: int, rtt_ms: float, concurrency: int, processes: int, peer_rows: int, small_mb: int, large_mb: int, out: Path
) -> None:
    """Measure ingest rate at WAN latency, worker memory, demo timings and dispatch; write JSON."""
    from offload.bench import run as benchmarks
    from offload.bench.settings import Settings

    settings = Settings(rows, rtt_ms, concurrency, processes, peer_rows, small_mb, large_mb)
    results = benchmarks.run(settings, click.echo, out)
    click.echo(benchmarks.table(results))
    click.echo(f"written to {out}")


COMMANDS = (twin, demo, bench)
