"""One warm Lambda sandbox: a process that imports a function's handler once and
answers invocations, one JSON line in and one JSON line out.

Run by awslambda/sandbox.py as `python -m offload.twin.awslambda.bootstrap CODE_DIR HANDLER`. The
function's own prints and logs go to stderr (the function's log file); the
protocol keeps the original stdout to itself.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any, TextIO


class Context:
    """The parts of the Lambda context object handlers and Powertools read."""

    def __init__(self, request_id: str, deadline: float) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = "$LATEST"
        self.invoked_function_arn = os.environ.get("OFFLOAD_TWIN_FUNCTION_ARN", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "twin"
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"errorType": kind, "errorMessage": message, "stackTrace": traceback.format_exc().splitlines()}


def serve(code_dir: str, handler_path: str, requests: TextIO, replies: TextIO) -> None:
    sys.path.insert(0, code_dir)
    module_name, _, function_name = handler_path.rpartition(".")
    handler: Any = None
    for line in requests:
        request = json.loads(line)
        try:
            if handler is None:  # cold start on the first invocation, as Lambda does
                handler = getattr(importlib.import_module(module_name), function_name)
            result = handler(request["event"], Context(request["request_id"], request["deadline"]))
            reply = {"result": result}
        except Exception as error:  # noqa: BLE001 - any handler error is the invocation's answer
            reply = {"error": _error(type(error).__name__, str(error))}
        replies.write(json.dumps(reply, default=str) + "\n")
        replies.flush()


def main() -> None:
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the handler's prints go to its log
    serve(sys.argv[1], sys.argv[2], sys.stdin, replies)


if __name__ == "__main__":
    main()
