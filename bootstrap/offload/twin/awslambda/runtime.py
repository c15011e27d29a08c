"""The twin's Lambda service: warm sandboxes per function, and one poller per SQS event
source mapping. EventBridge delivery (twin/events.py) invokes functions through it too."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from moto.awslambda.models import LambdaBackend, LambdaFunction, lambda_backends

from offload.twin import events
from offload.twin.awslambda.sandbox import Sandbox, sandbox_key
from offload.twin.credentials import SECRET_KEY
from offload.twin.ecs import tasks

EVENT_RETRIES = 3


def backends(backend_dict: Any) -> list[Any]:
    return [backend for regions in list(backend_dict.values()) for backend in list(regions.values())]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller sends, record by record."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def failed_ids(reply: dict[str, Any]) -> set[str] | None:
    """Message ids to keep; None when the whole batch failed."""
    if "error" in reply:
        return None
    result = reply.get("result") or {}
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    return {str(f.get("itemIdentifier")) for f in failures or []}


class LambdaRuntime:
    def __init__(self, endpoint: str, log_dir: Path, access_key: str) -> None:
        self.endpoint = endpoint
        self.log_dir = log_dir
        self.access_key = access_key
        self._sandboxes: dict[str, Sandbox] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pollers: dict[str, threading.Thread] = {}
        self._threads: list[threading.Thread] = []
        self.stats = {"sqs_invocations": 0, "sqs_records": 0}  # for make bench (P4)

    # --- invoke -------------------------------------------------------------
    def invoke(self, function: LambdaFunction, event: Any) -> dict[str, Any]:
        key = sandbox_key(function)
        with self._lock:
            sandbox = self._sandboxes.get(function.function_name)
            if sandbox is None or sandbox.key != key or not sandbox.alive:
                if sandbox is not None:
                    sandbox.close()
                sandbox = self._sandboxes[function.function_name] = Sandbox(
                    function, self.endpoint, self.log_dir, self.access_key
                )
        with sandbox.lock:
            return sandbox.invoke(event, float(function.timeout))

    # --- SQS event source mappings -------------------------------------------
    def _poll(self, uuid_: str, backend: LambdaBackend) -> None:
        sqs = boto3.client(
            "sqs",
            endpoint_url=self.endpoint,
            region_name=backend.region_name,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=SECRET_KEY,
        )
        while not self._stop.is_set():
            mapping = backend._event_source_mappings.get(uuid_)
            if mapping is None or mapping.enabled is False:
                return
            queue_name = mapping.event_source_arn.split(":")[-1]
            queue_url = f"{self.endpoint}/{backend.account_id}/{queue_name}"
            try:
                messages = sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=min(int(mapping.batch_size or 10), 10),
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception:  # noqa: BLE001 - the queue may be mid-destroy; the next sync decides
                time.sleep(0.5)
                continue
            if not messages:
                continue
            function = backend.get_function(mapping.function_arn)
            self.stats["sqs_invocations"] += 1
            self.stats["sqs_records"] += len(messages)
            keep = failed_ids(self.invoke(function, sqs_event(messages, mapping.event_source_arn, backend.region_name)))
            if keep is None:
                continue  # function error: the batch returns after the visibility timeout
            done = [m for m in messages if m["MessageId"] not in keep]
            for start in range(0, len(done), 10):
                chunk = done[start : start + 10]
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
                sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)

    def _sync_pollers(self) -> None:
        for backend in backends(lambda_backends):
            for uuid_, mapping in list(backend._event_source_mappings.items()):
                running = self._pollers.get(uuid_)
                if ":sqs:" in mapping.event_source_arn and mapping.enabled and not (running and running.is_alive()):
                    thread = threading.Thread(target=self._poll, args=(uuid_, backend), daemon=True)
                    self._pollers[uuid_] = thread
                    thread.start()

    def _invoke_target(self, arn: str, event: dict[str, Any]) -> None:
        """An EventBridge target: invoked asynchronously, retried on a function error as EventBridge does."""
        region = arn.split(":")[3]
        for backend in backends(lambda_backends):
            if backend.region_name != region:
                continue
            function = backend.get_function(arn)
            for attempt in range(EVENT_RETRIES):
                if "error" not in self.invoke(function, event):
                    return
                time.sleep(0.5 * 2**attempt)

    # --- lifecycle --------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sync_pollers()
            with contextlib.suppress(queue.Empty):
                events.deliver(tasks.TASK_EVENTS.get(timeout=0.3), self._invoke_target)

    def start(self) -> None:
        thread = threading.Thread(target=self._loop, daemon=True, name="lambda-runtime")
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in [*self._threads, *self._pollers.values()]:
            thread.join(timeout=5)
        with self._lock:
            for sandbox in self._sandboxes.values():
                sandbox.close()
            self._sandboxes.clear()
