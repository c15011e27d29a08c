"""`offload twin`: the twin in the foreground, stopped cleanly by Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable

from offload.twin.credentials import SECRET_KEY
from offload.twin.server import Twin


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def exports(twin: Twin) -> str:
    """What a shell needs to drive this twin: it refuses any other key."""
    return (
        f"export AWS_ENDPOINT_URL={twin.endpoint} AWS_ACCESS_KEY_ID={twin.access_key} "
        f"AWS_SECRET_ACCESS_KEY={SECRET_KEY} AWS_REGION=us-east-1"
    )


def serve(port: int, echo: Callable[[str], None]) -> None:
    twin = Twin(port or free_port())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    twin.start()
    echo(f"twin listening on {twin.endpoint}; logs in {twin.log_dir}")
    echo(f"  {exports(twin)}")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        twin.stop()
        echo("twin stopped")
