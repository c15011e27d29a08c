"""`offload demo`: the whole pipeline on the local twin, from an empty machine.

twin up → terraform apply (the real stack) → one on-prem instance joins through
the stack's SSM activation → the local agent runs tasks → the shipped sample and
a bad file are dropped → wait → summary read back from DynamoDB and S3 →
destroy and stop. Every step's resources are released on any exit, Ctrl-C included.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offload_contract import jobs as job_record

from offload.demo import agent_mode
from offload.lib.jobs import store as jobs
from offload.lib.jobs.submit import Submitted, submit
from offload.lib.paths import twin_dir
from offload.lib.terraform import targets
from offload.lib.terraform.runner import Runner
from offload.lib.text import printable
from offload.samples import sample
from offload.twin import credentials, onprem
from offload.twin.agent import LocalAgent
from offload.twin.run import free_port
from offload.twin.server import Twin

Echo = Callable[[str], None]
SAMPLES = ("orders.csv", "bad-orders.csv")
WAIT_SECONDS = 120.0


class DemoFailed(RuntimeError):
    pass


@dataclass
class Outcome:
    name: str
    submitted: Submitted
    output_key: str
    rejects_key: str
    job: dict[str, Any] = field(default_factory=dict)
    drop_to_output_s: float | None = None

    @property
    def status(self) -> str:
        return str(self.job.get(job_record.STATUS, "DROPPED"))


@dataclass
class Report:
    stack: jobs.Stack
    outcomes: list[Outcome]
    items: list[dict[str, Any]]
    timings: dict[str, float]

    def problems(self) -> list[str]:
        """What differs from the expected result: the sample all loaded, the bad file rejected."""
        found = []
        good, bad = self.outcomes
        rows = sum(1 for _ in sample(good.name).open()) - 1
        if good.status != job_record.SUCCEEDED or good.job.get(job_record.ROWS_LOADED) != rows:
            found.append(f"{good.name}: {good.status}, {good.job.get(job_record.ROWS_LOADED)}/{rows} rows loaded")
        if bad.status != job_record.FAILED:
            found.append(f"{bad.name}: {bad.status}, expected FAILED")
        return found

    def summary(self) -> str:
        lines = ["", "job                 status      loaded  rejected  drop→output  result"]
        for o in self.outcomes:
            loaded, rejected = o.job.get(job_record.ROWS_LOADED, 0), o.job.get(job_record.ROWS_REJECTED, 0)
            took = f"{o.drop_to_output_s:.2f} s" if o.drop_to_output_s is not None else "-"
            result = f"s3://{self.stack.bucket}/{o.output_key}" if o.status == job_record.SUCCEEDED else ""
            lines.append(f"{o.name:<19} {o.status:<11} {loaded:>6}  {rejected:>8}  {took:>11}  {result}".rstrip())
            if o.job.get(job_record.REASON):
                reason = printable(o.job[job_record.REASON])  # reasons and items hold the uploads' text
                lines.append(f"{'':<19} reason: {reason} (exit {o.job.get(job_record.EXIT_CODE)})")
            if o.job.get(job_record.ROWS_REJECTED) or o.status == job_record.FAILED:
                lines.append(f"{'':<19} rejects report: s3://{self.stack.bucket}/{o.rejects_key}")
        lines.append(f"\nfrom DynamoDB table {self.stack.orders_table!r}:")
        for item in self.items:
            lines.append(
                printable(
                    f"  OrderId={item['OrderId']['S']} ConfirmationId={item['ConfirmationId']['S']} "
                    f"{item['Country']['S']} {item['ItemType']['S']} revenue={item['TotalRevenue']['N']}"
                )
            )
        return "\n".join(lines)


def _wait(stack_: jobs.Stack, outcomes: list[Outcome], echo: Echo, timeout: float) -> None:
    s3 = stack_.client("s3")
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        for o in outcomes:
            if o.drop_to_output_s is None and o.status not in jobs.FINAL:
                key = o.output_key
                try:
                    s3.head_object(Bucket=stack_.bucket, Key=key)
                    o.drop_to_output_s = time.monotonic() - o.submitted.uploaded_at
                except s3.exceptions.ClientError:
                    pass
            o.job = jobs.get_job(stack_, o.submitted.job_id) or {}
        line = "   " + "  ".join(f"{o.name}: {o.status}" for o in outcomes)
        if line != last:
            echo(line)
            last = line
        if all(o.status in jobs.FINAL for o in outcomes):
            return
        time.sleep(0.05)
    raise DemoFailed(f"jobs not finished after {timeout:.0f} s ({last.strip()}); logs in {twin_dir() / 'logs'}")


def _read_back(stack_: jobs.Stack, order_ids: list[str]) -> list[dict[str, Any]]:
    keys = [{"OrderId": {"S": order_id}} for order_id in order_ids]
    found = stack_.client("dynamodb").batch_get_item(RequestItems={stack_.orders_table: {"Keys": keys}})
    items: list[dict[str, Any]] = found["Responses"].get(stack_.orders_table, [])
    return sorted(items, key=lambda item: item["OrderId"]["S"])


def _first_order_ids(path: Path, count: int) -> list[str]:
    with path.open() as lines:
        next(lines)
        return [line.split(",")[6] for line, _ in zip(lines, range(count), strict=False)]


def _task_image(stack_: jobs.Stack, outputs: dict[str, Any]) -> str:
    definition = stack_.client("ecs").describe_task_definition(taskDefinition=outputs["task_definition_family"])
    containers = definition["taskDefinition"]["containerDefinitions"]
    return str(next(c["image"] for c in containers if c["name"] == outputs["container_name"]))


def keep_instructions(twin: Twin, stack_: jobs.Stack) -> str:
    endpoint = twin.endpoint
    return f"""
The twin keeps running until Ctrl-C (its logs: {twin.log_dir}). In another shell:
  export AWS_ENDPOINT_URL={endpoint} AWS_DEFAULT_REGION={stack_.region}
  export AWS_ACCESS_KEY_ID={twin.access_key} AWS_SECRET_ACCESS_KEY={credentials.SECRET_KEY}
  export OFFLOAD_TARGET=twin OFFLOAD_TWIN_ENDPOINT={endpoint}
  .venv/bin/offload submit my-orders.csv      # drops it under s3://{stack_.bucket}/{stack_.layout.input_prefix}
  .venv/bin/offload status --watch            # the jobs table
  aws s3 ls s3://{stack_.bucket}/ --recursive  # or any boto3 code: it reads AWS_ENDPOINT_URL"""


def run(
    echo: Echo,
    keep: bool = False,
    wait_seconds: float = WAIT_SECONDS,
    before_teardown: Callable[[Report], None] | None = None,
) -> Report:
    """Run the demo; the twin, agent and Terraform state are gone when this returns or raises.
    `before_teardown` sees the report while the twin still runs (tests read what it stored)."""
    began = time.monotonic()
    twin = Twin(free_port(), log_dir=twin_dir() / "logs")
    # Everything the demo starts (Terraform, the agent, the CLI) signs with the twin's key; never AWS's.
    os.environ.update(AWS_ACCESS_KEY_ID=twin.access_key, AWS_SECRET_ACCESS_KEY=credentials.SECRET_KEY)
    agent: LocalAgent | None = None
    runner: Runner | None = None
    finished = False
    targets.reset_twin_state()  # a new twin is empty: old state would describe nothing that exists
    chosen = agent_mode.choose_in_background()  # the image builds while Terraform applies
    mode: agent_mode.AgentMode | None = None
    try:
        twin.start()
        echo(f"1/6 twin listening on {twin.endpoint}")
        tic = time.monotonic()
        runner = Runner(targets.for_target("twin", twin.endpoint), quiet=True)
        runner.apply(auto_approve=True)
        outputs = runner.outputs()
        stack_ = jobs.Stack.from_outputs(outputs, twin.endpoint)
        apply_s = time.monotonic() - tic
        echo(f"2/6 terraform apply of terraform/ to the twin: done in {apply_s:.1f} s")
        instance = onprem.join(
            twin.endpoint, stack_.region, outputs["cluster_name"], outputs["activation_id"], outputs["activation_code"]
        )
        mode = chosen()
        mode.serve(_task_image(stack_, outputs))
        agent = LocalAgent(instance, twin.endpoint, stack_.region, twin_dir() / "logs", runtime=mode.runtime).start()
        echo(f"3/6 on-prem instance {instance.managed_instance_id} joined cluster {instance.cluster}; {mode.line}")
        outcomes = []
        for name in SAMPLES:
            submitted = submit(stack_, sample(name))
            layout = stack_.layout
            output, rejects = layout.output_key(submitted.key), layout.rejects_key(submitted.key)
            outcomes.append(Outcome(name, submitted, output, rejects))
        echo(f"4/6 dropped {', '.join(SAMPLES)} into s3://{stack_.bucket}/{stack_.layout.input_prefix}; waiting")
        _wait(stack_, outcomes, echo, wait_seconds)
        items = _read_back(stack_, _first_order_ids(sample(SAMPLES[0]), 3))
        report = Report(stack_, outcomes, items, {"apply": apply_s})
        echo("5/6 results" + report.summary())
        finished = True
        if before_teardown is not None:
            before_teardown(report)
        if keep:
            echo(keep_instructions(twin, stack_))
            threading.Event().wait()  # until Ctrl-C
    finally:
        if agent is not None:
            agent.stop()
        if mode is not None:
            mode.release()
        if finished and not keep and runner is not None:
            tic = time.monotonic()
            runner.destroy(auto_approve=True)
            echo(f"6/6 teardown: terraform destroy done in {time.monotonic() - tic:.1f} s; twin stopped")
        else:
            echo("teardown: agent and twin stopped")
        twin.stop()
        targets.reset_twin_state()
    report.timings["whole demo"] = time.monotonic() - began
    drops = [o.drop_to_output_s for o in outcomes if o.drop_to_output_s is not None]
    if drops:
        report.timings["drop to output"] = max(drops)
    slowest = f"{max(drops):.2f} s" if drops else "none produced"
    echo(f"timings: apply {apply_s:.1f} s, drop → output {slowest}, whole demo {report.timings['whole demo']:.1f} s")
    return report
