"""One job id everywhere (docs/contract.md), on the stack as Terraform applies it, with and without
S3 versioning: `offload submit --wait` follows its files, a re-upload of identical bytes does what the
contract says, and `offload rerun` takes the id `offload status` shows. The same run checks that every
widget of the applied dashboard shows a metric the worker or the watchdog actually emitted.

Both cases run on one stack: applied without versioning, then versioning turned on by a second apply
(what a user does who wants it later); each case drops files of its own names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.terraform import targets
from offload.lib.terraform.runner import Runner
from offload.twin import onprem
from offload.twin.agent import LocalAgent
from offload.twin.runtime.process import ProcessRuntime

from tests.conftest import reset_twin
from tests.figures import say
from tests.orders_csv import csv_text, many
from tests.twin import dashboard_check
from tests.twin_cluster import use_own_stack

# One worker under pytest-xdist (make test): the module's tests share one applied stack, in this order.
pytestmark = [pytest.mark.twin, pytest.mark.xdist_group("versioned-jobs")]


@dataclass
class Stack:
    outputs: dict[str, Any]
    home: Path
    patch: pytest.MonkeyPatch
    versioning: bool = False

    def turn_versioning_on(self) -> None:
        self.patch.setenv("TF_VAR_versioning", "true")
        applied = CliRunner().invoke(cli, ["apply", "--auto-approve"])
        assert applied.exit_code == 0, applied.output
        bucket = boto3.client("s3").get_bucket_versioning(Bucket=self.outputs["bucket"])
        assert bucket.get("Status") == "Enabled", bucket
        self.versioning = True


@pytest.fixture(scope="module")
def stack(twin_endpoint: str, twin_access_key: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack applied once to a fresh twin, unversioned, with one host's agent running its tasks."""
    reset_twin(twin_endpoint, twin_access_key)
    home = tmp_path_factory.mktemp("versioned-jobs")
    with pytest.MonkeyPatch.context() as patch:
        use_own_stack(patch, twin_endpoint, twin_access_key, home, versioning="false")
        runner = CliRunner()
        applied = runner.invoke(cli, ["apply", "--auto-approve"])
        assert applied.exit_code == 0, applied.output
        outputs = Runner(targets.for_target("twin"), quiet=True).outputs()
        instance = onprem.join(
            twin_endpoint,
            outputs["region"],
            outputs["cluster_name"],
            outputs["activation_id"],
            outputs["activation_code"],
        )
        # The session's twin counts a host lost after PING_TIMEOUT s: heartbeat well within it.
        agent = LocalAgent(
            instance, twin_endpoint, outputs["region"], home / "logs", heartbeat_seconds=1, runtime=ProcessRuntime()
        ).start()
        try:
            yield Stack(outputs, home, patch)
        finally:
            agent.stop()
            destroyed = runner.invoke(cli, ["destroy", "--auto-approve"])
            assert destroyed.exit_code == 0, (destroyed.output, destroyed.exc_info)


def _job_of(output: str) -> str:
    found = re.search(r"job ([0-9a-f]{32})", output)
    assert found, output
    return found.group(1)


@pytest.mark.parametrize("versioning", [False, True], ids=["unversioned", "versioned"])
def test_submit_wait_reupload_and_rerun_by_the_shown_id(versioning: bool, stack: Stack, tmp_path: Path) -> None:
    if versioning:
        stack.turn_versioning_on()
    # S3 cannot turn versioning off again (only suspend it): the unversioned case runs first.
    assert stack.versioning is versioning, "the unversioned case runs before versioning is turned on"
    runner = CliRunner()
    case = "versioned" if versioning else "unversioned"
    good, bad = tmp_path / f"orders-{case}.csv", tmp_path / f"bad-{case}.csv"
    good.write_text(csv_text(many(20)))
    bad.write_text("not,an,orders,file\n1,2,3,4\n")

    first = runner.invoke(cli, ["submit", "--wait", str(good)])
    assert first.exit_code == 0 and "SUCCEEDED" in first.output, first.output
    again = runner.invoke(cli, ["submit", "--wait", str(good)])  # identical bytes
    assert again.exit_code == 0, again.output
    ids = (_job_of(first.output), _job_of(again.output))
    assert (ids[0] != ids[1]) is versioning  # versioned: a new upload is a new job; else the same job

    failed = runner.invoke(cli, ["submit", "--wait", str(bad)])
    assert failed.exit_code == 1 and f"{bad.name} FAILED: header is missing" in failed.output, failed.output
    shown = runner.invoke(cli, ["status"]).output
    bad_id = _job_of(failed.output)
    assert bad_id[:12] in shown and ids[1][:12] in shown
    rerun = runner.invoke(cli, ["rerun", bad_id[:12]])
    assert rerun.exit_code == 0 and "started" in rerun.output, rerun.output
    assert dashboard_check.unbacked(stack.outputs, stack.home / "logs") == []
    say(
        f"job ids ({case} bucket): re-upload of identical bytes "
        f"{'new job' if ids[0] != ids[1] else 'same job'}; submit --wait exit 0/1; rerun by shown id ok"
    )
