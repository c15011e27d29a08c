"""The `offload` command: a thin click layer over the offload library."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import click

from offload import cli_fleet, lambda_zip, stack, tooling
from offload.paths import terraform_dir
from offload.terraform import PLAN_CHANGES, Runner, TerraformFailed

target_option = cli_fleet.target_option
var_file_option = click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A .tfvars file (repeatable).",
)
approve_option = click.option("--auto-approve", is_flag=True, help="Do not ask before changing anything.")


def _runner(target: str, var_files: tuple[str, ...] = ()) -> Runner:
    if target == "aws" and boto3.Session().get_credentials() is None:
        raise click.ClickException(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY (or use --target twin)"
        )
    try:
        return Runner(stack.for_target(target), var_files)
    except tooling.ToolError as error:
        raise click.ClickException(str(error)) from None


def _terraform(action: object) -> None:
    """Run a Terraform step; its own output is already on screen, so keep only its exit code."""
    try:
        action()  # type: ignore[operator]
    except TerraformFailed as error:
        click.echo(f"offload: {error}", err=True)
        sys.exit(error.code)


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
@target_option
@var_file_option
def plan(target: str, var_files: tuple[str, ...]) -> None:
    """Show what `apply` would change (terraform plan)."""
    runner = _runner(target, var_files)
    code = 0

    def run() -> None:
        nonlocal code
        code = runner.plan()

    _terraform(run)
    click.echo("offload: changes pending" if code == PLAN_CHANGES else "offload: no changes")


@cli.command()
@target_option
@var_file_option
@approve_option
def apply(target: str, var_files: tuple[str, ...], auto_approve: bool) -> None:
    """Create or update the cloud side (terraform apply)."""
    runner = _runner(target, var_files)
    _terraform(lambda: runner.apply(auto_approve))


@cli.command()
@target_option
@var_file_option
@approve_option
def destroy(target: str, var_files: tuple[str, ...], auto_approve: bool) -> None:
    """Delete the cloud side (terraform destroy)."""
    runner = _runner(target, var_files)
    _terraform(lambda: runner.destroy(auto_approve))


@cli.command()
@target_option
@click.option("--json", "as_json", is_flag=True, help="All outputs as JSON (sensitive ones hidden).")
def output(target: str, as_json: bool) -> None:
    """Show the stack's outputs; the activation code stays hidden (see `offload activation`)."""
    import json

    try:
        values = _runner(target).outputs()
    except TerraformFailed as error:
        raise click.ClickException(str(error)) from None
    shown = {k: ("(sensitive)" if k == "activation_code" else v) for k, v in sorted(values.items())}
    if as_json:
        click.echo(json.dumps(shown, indent=2))
    else:
        for name, value in shown.items():
            click.echo(f"{name} = {value}")


def _job_stack(target: str) -> Any:
    from offload import jobs

    endpoint = stack.twin_endpoint() if target == "twin" else None
    try:
        return jobs.Stack.from_outputs(_runner(target).outputs(), endpoint)
    except (TerraformFailed, KeyError):
        raise click.ClickException(f"no {target} stack found: run `offload apply --target {target}` first") from None


@cli.command()
@click.option("--keep", is_flag=True, help="Leave the twin running (until Ctrl-C) to drop more files.")
def demo(keep: bool) -> None:
    """The whole pipeline on the local twin: apply, join, drop the samples, show results, tear down."""
    from offload import demo as demos

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


@cli.command()
@target_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--prefix", help="Key prefix below the input prefix (e.g. 2026/11/).", default="")
def submit(target: str, files: tuple[Path, ...], prefix: str) -> None:
    """Upload files under the stack's input prefix (each one starts a job)."""
    from offload import jobs

    found = _job_stack(target)
    for path in files:
        size = path.stat().st_size
        with click.progressbar(length=size, label=path.name, file=sys.stderr) as bar:
            sent = jobs.submit(found, path, found.layout.input_prefix + prefix + path.name, bar.update)
        click.echo(f"s3://{found.bucket}/{sent.key}  job {sent.job_id}")


@cli.command()
@target_option
@click.argument("job_id")
@click.option("--force", is_flag=True, help="Also rerun a job still shown RUNNING whose task is gone.")
def rerun(target: str, job_id: str, force: bool) -> None:
    """Run a FAILED job's file again (same ETag; rows already loaded are rewritten, not doubled)."""
    from offload import jobs

    try:
        task_arn = jobs.rerun(_job_stack(target), job_id, force)
    except jobs.RerunRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"job {job_id}: task {task_arn.rsplit('/', 1)[-1]} started; follow it with `offload status --watch`")


@cli.command()
@target_option
@click.option("--watch", is_flag=True, help="Refresh every 2 seconds until Ctrl-C.")
def status(target: str, watch: bool) -> None:
    """The jobs table: key, status, rows, task, age, reason; and the dead-letter queue."""
    import time

    from offload import jobs

    found = _job_stack(target)
    while True:
        text = jobs.status_text(found)
        if watch:
            click.clear()
        click.echo(text)
        if not watch:
            return
        time.sleep(2)


@cli.command()
@click.option("--rows", default=20_000, show_default=True, envvar="BENCH_ROWS", help="P1 file size in rows.")
@click.option("--rtt-ms", default=25.0, show_default=True, envvar="BENCH_RTT_MS", help="P1 delay per request.")
@click.option("--concurrency", default=16, show_default=True, help="The worker's WRITE_CONCURRENCY.")
@click.option("--small-mb", default=20, show_default=True, envvar="BENCH_SMALL_MB", help="P2 small file (MB).")
@click.option("--large-mb", default=80, show_default=True, envvar="BENCH_LARGE_MB", help="P2 large file (MB).")
@click.option("--out", default="bench/results.json", show_default=True, type=click.Path(path_type=Path))
def bench(rows: int, rtt_ms: float, concurrency: int, small_mb: int, large_mb: int, out: Path) -> None:
    """Measure ingest rate at WAN latency, worker memory, demo timings and dispatch; write JSON."""
    from offload import bench as benchmarks

    settings = benchmarks.Settings(rows, rtt_ms, concurrency, small_mb, large_mb)
    results = benchmarks.run(settings, click.echo, out)
    click.echo(benchmarks.table(results))
    click.echo(f"written to {out}")


@cli.command("lint-terraform")
def lint_terraform() -> None:
    """terraform fmt -check, validate (on the twin's 3.39 copy: offline), and checkov if installed."""
    binary, _version = tooling.ensure_terraform()
    twin = stack.for_target("twin")
    env = {**twin.env, "AWS_ENDPOINT_URL": ""}
    steps = [
        [binary, "fmt", "-check", "-recursive", "-diff", str(terraform_dir())],
        [binary, f"-chdir={twin.workdir}", "init", "-backend=false", "-input=false", "-no-color"],
        [binary, f"-chdir={twin.workdir}", "validate", "-no-color"],
    ]
    checkov = shutil.which("checkov", path=str(tooling.venv_bin())) or shutil.which("checkov")
    if checkov:
        steps.append(
            [checkov, "--quiet", "--compact", "--skip-download", "-d", str(terraform_dir()), "--framework", "terraform"]
        )
    else:
        click.echo("offload: checkov not installed; `make lint` installs it", err=True)
    for step in steps:
        code = subprocess.run(step, env={**os.environ, **env}, check=False).returncode
        if code != 0:
            raise click.ClickException(f"{' '.join(step[:3])} failed (exit {code})")
    click.echo("offload: terraform lint clean")


@cli.command("build-lambda")
def build_lambda() -> None:
    """Build build/dispatcher.zip: the dispatcher, the contract and Powertools, reproducibly."""
    click.echo(str(lambda_zip.build()))


@cli.command()
@target_option
@click.option("--repository", envvar="OFFLOAD_ECR_REPOSITORY", help="ECR repository URL (default: the stack's output).")
@click.option("--tag", help="Image tag (default: the git commit, -dirty if the tree has changes).")
@click.option("--dry-run", is_flag=True, help="Print the commands instead of running them.")
def image(target: str, repository: str | None, tag: str | None, dry_run: bool) -> None:
    """Build the worker image (worker/Dockerfile) and push it to the stack's ECR repository."""
    from offload import image as images

    try:
        if not dry_run:
            images.require_docker()
        url = repository or str(_runner(target).outputs()["ecr_repository_url"])
    except images.NoDocker as error:
        raise click.ClickException(str(error)) from None
    except (TerraformFailed, KeyError):
        raise click.ClickException("no ECR repository: run `make apply` first, or pass --repository") from None
    built = images.plan(url, tag)
    if dry_run:
        for command in built.commands():
            click.echo(" ".join(command))
        return
    region = url.split(".")[3]
    images.build_and_push(built, images.ecr_password(boto3.client("ecr", region_name=region)))
    click.echo(f"pushed {built.image}; use it: TF_VAR_worker_image_tag={built.tag} make apply")


@cli.command()
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


for _command in cli_fleet.COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli()
