"""P3, P4 and P6 of `make bench`: one `offload demo`, then the sample's S3 event delivered
again ten times, then a burst of small files (P6, `--p6-files N`), measured inside the demo's
process (the twin lives there). Prints progress on stderr and one JSON line of figures on stdout."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any
from urllib.parse import quote_plus

from offload.bench import p6
from offload.demo import run as demo
from offload.twin import awslambda
from offload.twin.ecs import tasks

DUPLICATES = 10
RUN_TASK_CALLS = [0]
_run_task = tasks.run_task


def _counted_run_task(self: Any) -> Any:
    RUN_TASK_CALLS[0] += 1
    return _run_task(self)


tasks.run_task = _counted_run_task  # what Twin.start installs: every RunTask call is counted


def _drained(sqs: Any, url: str) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(attributes[n] == "0" for n in names)


def measure(report: demo.Report, figures: dict[str, float]) -> None:
    stack = report.stack
    sqs = stack.client("sqs")
    queue = next(u for u in sqs.list_queues()["QueueUrls"] if not u.endswith("-dlq"))
    figures["p4_runtask_per_file"] = RUN_TASK_CALLS[0] / len(report.outcomes)
    good = report.outcomes[0].submitted
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": stack.region,
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": stack.bucket, "arn": f"arn:aws:s3:::{stack.bucket}"},
            "object": {"key": quote_plus(good.key), "eTag": good.etag.strip('"'), "size": 1},
        },
    }
    before = RUN_TASK_CALLS[0]
    entries = [{"Id": str(n), "MessageBody": json.dumps({"Records": [record]})} for n in range(DUPLICATES)]
    sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    deadline = time.monotonic() + 60
    while not _drained(sqs, queue) and time.monotonic() < deadline:
        time.sleep(0.2)
    figures["p4_runtask_per_duplicate"] = (RUN_TASK_CALLS[0] - before) / DUPLICATES
    runtime = awslambda.running()
    stats = runtime.stats if runtime else {"sqs_invocations": 0, "sqs_records": 0}
    figures["p4_records_per_invocation"] = stats["sqs_records"] / max(1, stats["sqs_invocations"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--p6-files", type=int, default=0, help="P6: files in the burst (0: no P6)")
    p6_files = parser.parse_args().p6_files
    figures: dict[str, float] = {}
    clock = p6.TaskClock()
    clock.install()  # before the demo's twin installs the ECS shims

    def echo(line: str) -> None:
        print(line, file=sys.stderr)

    def before_teardown(report: demo.Report) -> None:
        measure(report, figures)
        if p6_files:
            figures.update(p6.measure_p6(report.stack, clock, p6_files, echo))

    report = demo.run(echo, before_teardown=before_teardown)
    figures["p3_drop_to_output_s"] = report.timings["drop to output"]
    figures["p3_demo_s"] = report.timings["whole demo"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
