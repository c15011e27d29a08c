"""Lambda, SQS event sources and EventBridge in the twin, without Docker.

* Invoke: moto's LambdaFunction._invoke_lambda is replaced, so every invocation
  (the Invoke API, the pollers below) runs the function's deployed zip in a warm
  local sandbox process (sandbox.py) with the function's environment, pointed
  at the twin. One sandbox per function, invocations one at a time, the
  function's timeout enforced; its output goes to <log_dir>/<function>.log.
* SQS event source mappings: one poller per enabled mapping receives up to
  BatchSize messages, invokes the function with the event Lambda would send,
  and deletes the messages the function did not name in batchItemFailures. A
  function error leaves the whole batch to come back after the visibility
  timeout, so SQS's own redrive moves poison messages to the DLQ. The stack
  sets ReportBatchItemFailures; provider 3.39 cannot, so the twin assumes it.
  moto's own delivery (synchronous, inside SendMessage) is switched off.
* EventBridge: the ECS shim's task state events are matched against the rules
  of the default bus with moto's own pattern matcher; Lambda targets are
  invoked asynchronously (EventBridge retries a failed invocation; so do we).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import boto3
from moto.awslambda.models import LambdaBackend, LambdaFunction, lambda_backends
from moto.events.models import events_backends
from moto.sqs.models import sqs_backends

from offload.twin import ecs_shim
from offload.twin.credentials import sdk_environment

_RUNTIME: LambdaRuntime | None = None
_original_create_esm = LambdaBackend.create_event_source_mapping
EVENT_RETRIES = 3
_BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


class Sandbox:
    """A warm process running one version of one function."""

    def __init__(self, function: LambdaFunction, endpoint: str, log_dir: Path) -> None:
        self.key = sandbox_key(function)
        self.name = function.function_name
        self._code_dir = Path(tempfile.mkdtemp(prefix=f"offload-lambda-{self.name}-"))
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
            archive.extractall(self._code_dir)
        env = {k: os.environ[k] for k in _BASE_ENV if k in os.environ}
        env.update(function.environment_vars or {})
        env.update(sdk_environment(endpoint, function.region))
        env.update(
            AWS_LAMBDA_FUNCTION_NAME=self.name,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_size),
            OFFLOAD_TWIN_FUNCTION_ARN=function.function_arn,
            PYTHONPATH=str(Path(__file__).resolve().parents[2]),  # this package: the sandbox module
        )
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = (log_dir / f"{self.name}.log").open("a")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "offload.twin.sandbox", str(self._code_dir), str(function.handler)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            text=True,
            cwd=self._code_dir,
        )
        self._replies: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.lock = threading.Lock()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._replies.put(line)

    def invoke(self, event: Any, timeout: float) -> dict[str, Any]:
        """{"result": ...} or {"error": {...}}, as the function answered or failed."""
        deadline = time.time() + timeout
        request = {"event": event, "request_id": str(uuid.uuid4()), "deadline": deadline}
        try:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            return dict(json.loads(self._replies.get(timeout=timeout)))
        except queue.Empty:
            self.close()
            timed_out = f"Task timed out after {timeout} seconds"
            return {"error": {"errorType": "Sandbox.Timedout", "errorMessage": timed_out}}
        except (BrokenPipeError, OSError):
            self.close()
            return {"error": {"errorType": "Runtime.ExitError", "errorMessage": "the sandbox process exited"}}

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._log.close()
        shutil.rmtree(self._code_dir, ignore_errors=True)


def sandbox_key(function: LambdaFunction) -> str:
    """New code or configuration means a new sandbox, as in Lambda."""
    parts = [function.function_arn, function.code_sha_256, function.handler, json.dumps(function.environment_vars)]
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()


def _backends(backend_dict: Any) -> list[Any]:
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
    def __init__(self, endpoint: str, log_dir: Path) -> None:
        self.endpoint = endpoint
        self.log_dir = log_dir
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
                sandbox = self._sandboxes[function.function_name] = Sandbox(function, self.endpoint, self.log_dir)
        with sandbox.lock:
            return sandbox.invoke(event, float(function.timeout))

    # --- SQS event source mappings -------------------------------------------
    def _poll(self, uuid_: str, backend: LambdaBackend) -> None:
        sqs = boto3.client("sqs", endpoint_url=self.endpoint, region_name=backend.region_name)
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
        for backend in _backends(lambda_backends):
            for uuid_, mapping in list(backend._event_source_mappings.items()):
                running = self._pollers.get(uuid_)
                if ":sqs:" in mapping.event_source_arn and mapping.enabled and not (running and running.is_alive()):
                    thread = threading.Thread(target=self._poll, args=(uuid_, backend), daemon=True)
                    self._pollers[uuid_] = thread
                    thread.start()

    # --- EventBridge ----------------------------------------------------------
    def _deliver(self, event: dict[str, Any]) -> None:
        for events in _backends(events_backends):
            bus = events.event_buses.get("default")
            for rule in list(bus.rules.values()) if bus else []:
                # moto's matcher says an empty pattern matches all: a schedule rule has none.
                pattern = rule.event_pattern.get_pattern()
                if rule.state != "ENABLED" or not pattern or not rule.event_pattern.matches_event(event):
                    continue
                for target in rule.targets:
                    if ":lambda:" in target["Arn"]:
                        threading.Thread(target=self._invoke_target, args=(target["Arn"], event), daemon=True).start()

    def _invoke_target(self, arn: str, event: dict[str, Any]) -> None:
        region = arn.split(":")[3]
        for backend in _backends(lambda_backends):
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
                self._deliver(ecs_shim.TASK_EVENTS.get(timeout=0.3))

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


def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    if _RUNTIME is None:
        return json.dumps({"errorMessage": "the twin's Lambda runtime is not running"}), True, ""
    reply = _RUNTIME.invoke(self, event if event is not None else {})
    if "error" in reply:
        return json.dumps(reply["error"]), True, ""
    return json.dumps(reply["result"]), False, ""


def _create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
    mapping = _original_create_esm(self, spec)
    for queue_ in sqs_backends[self.account_id][self.region_name].queues.values():
        queue_.lambda_event_source_mappings.pop(mapping.function_arn, None)  # our poller delivers instead
    return mapping


def running() -> LambdaRuntime | None:
    return _RUNTIME


def install(runtime: LambdaRuntime) -> None:
    global _RUNTIME
    _RUNTIME = runtime
    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
    LambdaBackend.create_event_source_mapping = _create_event_source_mapping  # type: ignore[method-assign]
