"""One job id everywhere (docs/contract.md), on the stack as Terraform applies it, with and without
S3 versioning: `offload submit --wait` follows its files, a re-upload of identical bytes does what the
contract says, and `offload rerun` takes the id `offload status` shows. The same run checks that every
widget of the applied dashboard shows a metric the worker or the watchdog actually emitted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.terraform import targets
from offload.lib.terraform.runner import Runner
from offload.twin import onprem
from offload.twin.agent import LocalAgent
from offload.twin.runtime.process import ProcessRuntime

from tests.figures import say
from tests.orders_csv import csv_text, many
from tests.twin import dashboard_check

pytestmark = pytest.mark.twin


def _job_of(output: str) -> str:
    found = re.search(r"job ([0-9a-f]{32})", output)
    assert found, output
    return found.group(1)


@pytest.mark.parametrize("versioning", [True, False], ids=["versioned", "unversioned"])
def test_submit_wait_reupload_and_rerun_by_the_shown_id(
    versioning: bool, twin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFLOAD_TWIN_DIR", str(tmp_path / "twin"))
    monkeypatch.setenv("OFFLOAD_TWIN_ENDPOINT", twin)
    monkeypatch.setenv("OFFLOAD_TARGET", "twin")
    monkeypatch.setenv("TF_VAR_versioning", str(versioning).lower())
    runner = CliRunner()
    applied = runner.invoke(cli, ["apply", "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    outputs = Runner(targets.for_target("twin"), quiet=True).outputs()
    instance = onprem.join(
        twin, outputs["region"], outputs["cluster_name"], outputs["activation_id"], outputs["activation_code"]
    )
    # The session's twin counts a host lost after PING_TIMEOUT s: heartbeat well within it.
    agent = LocalAgent(
        instance, twin, outputs["region"], tmp_path / "logs", heartbeat_seconds=1, runtime=ProcessRuntime()
    ).start()
    try:
        good, bad = tmp_path / "orders.csv", tmp_path / "bad.csv"
        good.write_text(csv_text(many(20)))
        bad.write_text("not,an,orders,file\n1,2,3,4\n")

        first = runner.invoke(cli, ["submit", "--wait", str(good)])
        assert first.exit_code == 0 and "SUCCEEDED" in first.output, first.output
        again = runner.invoke(cli, ["submit", "--wait", str(good)])  # identical bytes
        assert again.exit_code == 0, again.output
        ids = (_job_of(first.output), _job_of(again.output))
        assert (ids[0] != ids[1]) is versioning  # versioned: a new upload is a new job; else the same job

        failed = runner.invoke(cli, ["submit", "--wait", str(bad)])
        assert failed.exit_code == 1 and "bad.csv FAILED: header is missing" in failed.output, failed.output
        shown = runner.invoke(cli, ["status"]).output
        bad_id = _job_of(failed.output)
        assert bad_id[:12] in shown and ids[1][:12] in shown
        rerun = runner.invoke(cli, ["rerun", bad_id[:12]])
        assert rerun.exit_code == 0 and "started" in rerun.output, rerun.output
        assert dashboard_check.unbacked(outputs, tmp_path / "logs") == []
        say(
            f"job ids ({'versioned' if versioning else 'unversioned'} bucket): re-upload of identical bytes "
            f"{'new job' if ids[0] != ids[1] else 'same job'}; submit --wait exit 0/1; rerun by shown id ok"
        )
    finally:
        agent.stop()
        destroyed = runner.invoke(cli, ["destroy", "--auto-approve"])
        assert destroyed.exit_code == 0, (destroyed.output, destroyed.exc_info)
