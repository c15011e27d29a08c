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

import json
from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.sqs.models import sqs_backends

from offload.twin.awslambda.runtime import LambdaRuntime

_RUNTIME: LambdaRuntime | None = None
_original_create_esm = LambdaBackend.create_event_source_mapping


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
