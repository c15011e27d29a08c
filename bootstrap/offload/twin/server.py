"""Start and stop the twin: moto's server on loopback, with the shims installed."""

from __future__ import annotations

import os

from offload.twin import ecs_shim, sqs_shim, ssm_shim


class Twin:
    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self._server = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # Before moto builds its IAM backend: AWS managed policies (AmazonSSMManagedInstanceCore...) exist.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        from moto.server import ThreadedMotoServer

        ssm_shim.install()
        ecs_shim.install()
        sqs_shim.install()
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self._server = server  # type: ignore[assignment]

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
