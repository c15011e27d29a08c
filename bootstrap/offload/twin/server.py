"""Start and stop the twin: moto's server on loopback, with the shims installed
and the Lambda runtime (pollers, EventBridge delivery) running beside it."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from offload.twin import awslambda, ecs, iam, s3, sqs, ssm
from offload.twin.awslambda.runtime import LambdaRuntime


class Twin:
    def __init__(self, port: int, host: str = "127.0.0.1", log_dir: Path | None = None) -> None:
        self.host, self.port = host, port
        self.log_dir = log_dir or Path(tempfile.gettempdir()) / f"offload-twin-{port}"
        self._server: Any = None
        self._runtime: LambdaRuntime | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # Before moto builds its IAM backend: AWS managed policies (AmazonSSMManagedInstanceCore...) exist.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        from moto.server import ThreadedMotoServer

        iam.install()
        ssm.install()
        ecs.install()
        sqs.install()
        s3.install()
        self._runtime = LambdaRuntime(self.endpoint, self.log_dir)
        awslambda.install(self._runtime)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns everything else
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self._server = server
        self._runtime.start()

    def stop(self) -> None:
        if self._runtime is not None:
            self._runtime.stop()
            self._runtime = None
        if self._server is not None:
            self._server.stop()
            self._server = None
