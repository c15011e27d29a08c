"""`offload demo` end to end: what it stored, that it tears down, and Ctrl-C."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import docker
import docker.errors
import pytest
from offload.demo import run as demo
from offload_contract import ids

from tests.figures import say

# One worker under pytest-xdist (make test): each demo tags the worker image as the twin's ECR URI, the same
# name in the shared engine for both, and untags it at teardown.
pytestmark = [pytest.mark.twin, pytest.mark.xdist_group("demo")]
HERE = Path(__file__).parent


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    return {**env, "OFFLOAD_TWIN_DIR": str(tmp_path / "twin"), "PYTHONUNBUFFERED": "1"}


def _group_gone(pgid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def _port_free(output: str) -> bool:
    port = int(re.search(r"twin listening on http://127\.0\.0\.1:(\d+)", output).group(1))  # type: ignore[union-attr]
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _engine_answers() -> bool:
    try:
        return bool(docker.from_env(timeout=5).ping())
    except docker.errors.DockerException:
        return False


def test_demo_loads_every_row_rejects_the_bad_file_and_tears_down(tmp_path: Path) -> None:
    record = tmp_path / "stored.json"
    process = subprocess.Popen([sys.executable, str(HERE / "demo_run.py"), str(record)], env=_environment(tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    stored = json.loads(record.read_text())
    # step 3 says which agent runs the tasks: real containers wherever an engine answers (CI has one)
    (mode,) = re.findall(r"^3/6 .*; (agent: [^,]+)", stdout, re.M)
    assert mode.startswith("agent: docker ") if _engine_answers() else mode == "agent: process", stdout[-3000:]

    sample = list(csv.DictReader(demo.sample("orders.csv").open()))
    items = {i["OrderId"]["S"]: i for i in stored["items"]}
    assert len(sample) >= 200 and sorted(items) == sorted(r["OrderId"] for r in sample)
    first = sample[0]
    assert items[first["OrderId"]]["TotalRevenue"]["N"] == first["TotalRevenue"]
    assert items[first["OrderId"]]["Region"]["S"] == first["Region"]

    jobs = {j["Key"]: j for j in stored["jobs"]}
    assert set(jobs) == {"incoming/orders.csv", "incoming/bad-orders.csv"}  # the s3:TestEvent started nothing
    good, bad = jobs["incoming/orders.csv"], jobs["incoming/bad-orders.csv"]
    assert (good["Status"], good["RowsLoaded"], good["RowsRejected"]) == ("SUCCEEDED", len(sample), 0)
    assert bad["Status"] == "FAILED" and bad["ExitCode"] == 1 and "separated by ';'" in bad["Reason"]

    objects = stored["objects"]
    output = list(csv.reader(io.StringIO(objects["processed/orders.csv"])))
    assert output[0] == ["OrderId", "ConfirmationId"] and len(output) == len(sample) + 1
    bucket_etag = (good["Bucket"], good["ETag"])
    assert output[1] == [first["OrderId"], ids.confirmation_id(bucket_etag[0], good["Key"], bucket_etag[1],
                                                                first["OrderId"])]
    assert "processed/bad-orders.csv" not in objects  # nothing half-written for the bad file
    assert "separated by ';'" in objects["rejected/bad-orders.csv.rejects.csv"]
    assert stored["dead_letters"] == 0

    assert "6/6 teardown: terraform destroy done" in stdout
    assert _group_gone(process.pid), "processes of the demo are still running"
    assert _port_free(stdout)
    say(f"demo: items={len(items)}/{len(sample)} bad file FAILED exit 1, teardown clean")
    assert not (tmp_path / "twin" / "stack" / "terraform.tfstate").exists()


def test_ctrl_c_stops_twin_and_agent_and_leaves_nothing_running(tmp_path: Path) -> None:
    # A terminal's Ctrl-C reaches a demo that has SIGINT's default action, whatever this run inherited
    # (a shell's background job, as CI may be, ignores SIGINT, and children inherit that).
    process = subprocess.Popen([sys.executable, "-m", "offload", "demo"], env=_environment(tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    output = ""
    assert process.stdout is not None
    for line in process.stdout:
        output += line
        if line.startswith("4/6"):  # twin, agent, Lambda sandboxes and workers all up
            break
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    rest, _ = process.communicate(timeout=60)
    output += rest
    assert process.returncode == 130, output[-3000:]
    assert "teardown: agent and twin stopped" in output
    assert _group_gone(process.pid), "processes of the demo are still running"
    assert _port_free(output)
