"""A warm Lambda sandbox, seen from the runtime: one process per version of a function
(awslambda/bootstrap.py inside), invoked one JSON line at a time."""

from __future__ import annotations

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

from moto.awslambda.models import LambdaFunction

from offload.twin.credentials import sdk_environment

_BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


class Sandbox:
    """A warm process running one version of one function."""

    def __init__(self, function: LambdaFunction, endpoint: str, log_dir: Path, access_key: str) -> None:
        self.key = sandbox_key(function)
        self.name = function.function_name
        self._code_dir = Path(tempfile.mkdtemp(prefix=f"offload-lambda-{self.name}-"))
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
            archive.extractall(self._code_dir)
        env = {k: os.environ[k] for k in _BASE_ENV if k in os.environ}
        env.update(function.environment_vars or {})
        env.update(sdk_environment(endpoint, function.region, access_key))
        env.update(
            AWS_LAMBDA_FUNCTION_NAME=self.name,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_size),
            OFFLOAD_TWIN_FUNCTION_ARN=function.function_arn,
            PYTHONPATH=str(Path(__file__).resolve().parents[3]),  # this package: the sandbox module
        )
        self._log = (log_dir / f"{self.name}.log").open("a")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "offload.twin.awslambda.bootstrap", str(self._code_dir), str(function.handler)],
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
