"""The dashboard as applied, checked against what the pipeline actually emitted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3


def emitted_by_worker(log_dir: Path) -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """(namespace, metric, dimensions) of every EMF line the tasks printed."""
    found = set()
    for log in log_dir.glob("task-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if not line.startswith('{"_aws"'):
                continue
            record = json.loads(line)
            for directive in record["_aws"]["CloudWatchMetrics"]:
                dimensions = tuple(sorted((d, str(record[d])) for group in directive["Dimensions"] for d in group))
                found.update((directive["Namespace"], m["Name"], dimensions) for m in directive["Metrics"])
    return found


def emitted_by_watchdog(function: str) -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    boto3.client("lambda").invoke(FunctionName=function, Payload=b"{}")
    metrics = boto3.client("cloudwatch").list_metrics(Namespace="Offload")["Metrics"]
    return {("Offload", m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
            for m in metrics}


def widget_metrics(dashboard: str) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    shown = boto3.client("cloudwatch").get_dashboard(DashboardName=dashboard)
    body: dict[str, Any] = json.loads(shown["DashboardBody"])
    found = []
    for widget in body["widgets"]:
        for metric in widget["properties"]["metrics"]:
            plain = [part for part in metric if isinstance(part, str)]
            namespace, name, pairs = plain[0], plain[1], plain[2:]
            found.append((namespace, name, tuple(sorted(zip(pairs[::2], pairs[1::2], strict=True)))))
    return found


def unbacked(outputs: dict[str, Any], log_dir: Path) -> list[str]:
    """Widget metrics that nothing in the stack emits: none, when the dashboard is right."""
    ours = emitted_by_worker(log_dir) | emitted_by_watchdog(outputs["dispatcher_functions"]["watchdog"])
    aws_resources = {
        "QueueName": {url.rsplit("/", 1)[-1] for url in boto3.client("sqs").list_queues()["QueueUrls"]},
        "FunctionName": {f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]},
        "TableName": set(boto3.client("dynamodb").list_tables()["TableNames"]),
    }
    wrong = []
    for namespace, name, dimensions in widget_metrics(outputs["dashboard_name"]):
        if namespace == "Offload":
            if (namespace, name, dimensions) not in ours:
                wrong.append(f"{name} {dimensions}: not emitted")
        elif not namespace.startswith("AWS/") or any(v not in aws_resources.get(k, set()) for k, v in dimensions):
            wrong.append(f"{namespace} {name} {dimensions}: no such resource in the stack")
    return wrong
