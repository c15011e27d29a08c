"""Start and stop the twin: moto's server on loopback behind the guard (guard.py), with the shims
installed and the Lambda runtime (pollers, EventBridge delivery) running beside it."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from offload.twin import awslambda, dynamodb, ecs, iam, s3, sqs, ssm
from offload.twin.awslambda.runtime import LambdaRuntime
from offload.twin.credentials import new_access_key
from offload.twin.guard import guarded


def private_dir(path: Path | None) -> Path:
    """The twin's log directory, readable by its user only: a fresh mkdtemp (0700, unguessable name)
    unless the caller names one, which is made or narrowed to 0700 and must be a real directory it owns."""
    if path is None:
        return Path(tempfile.mkdtemp(prefix="offload-twin-"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.is_symlink() or path.stat().st_uid != os.getuid():
        raise RuntimeError(f"twin log directory {path} is a link or not yours; remove it and retry")
    path.chmod(0o700)
    return path


class Twin:
    def __init__(
        self, port: int, host: str = "127.0.0.1", log_dir: Path | None = None, access_key: str | None = None
    ) -> None:
        self.host, self.port = host, port
        self.log_dir = private_dir(log_dir)
        self.access_key = access_key or new_access_key()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._runtime: LambdaRuntime | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # Before moto builds its IAM backend: AWS managed policies (AmazonSSMManagedInstanceCore...) exist.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        from moto.moto_server import werkzeug_app
        from werkzeug.serving import make_server

        # moto's flask apps add flask-cors' `Access-Control-Allow-Origin: *` to every answer unless
        # MOTO_DISABLE_GLOBAL_CORS (moto/settings.py), read once at import: set where create_backend_app reads it.
        werkzeug_app.DISABLE_GLOBAL_CORS = True  # type: ignore[attr-defined] # moto imports it from settings
        iam.install()
        ssm.install()
        ecs.install()
        sqs.install()
        s3.install()
        dynamodb.install()
        self._runtime = LambdaRuntime(self.endpoint, self.log_dir, self.access_key)
        awslambda.install(self._runtime)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns everything else
        # ThreadedMotoServer's own server, with the guard in front of moto's dispatcher.
        app = werkzeug_app.DomainDispatcherApplication(werkzeug_app.create_backend_app)
        hosts = {f"{name}:{self.port}" for name in (self.host, "127.0.0.1", "localhost")}
        self._server = make_server(
            self.host,
            self.port,
            guarded(app, hosts, self.access_key),
            threaded=True,
            request_handler=werkzeug_app.MotoRequestHandler,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._runtime.start()

    def stop(self) -> None:
        if self._runtime is not None:
            self._runtime.stop()
            self._runtime = None
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
