"""A loopback HTTP proxy in front of the twin that can delay, rewrite or break requests.

`make bench` puts WAN latency between the worker and the twin with it; the fault tests
use it to answer as a struggling AWS would (throttling, UnprocessedItems, a connection
reset halfway through a download) while the twin keeps the real state.
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

_HOP_HEADERS = ("content-length", "transfer-encoding", "connection", "content-encoding")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    cut_after: int | None = None  # reset the connection after this many body bytes
    reset: bool = False  # reset the connection without answering at all


class Hooks:
    """Pass-through; subclasses change what a request or its reply becomes."""

    def request(self, request: Request) -> Reply | None:
        """Return a Reply to answer without forwarding; may edit request.body."""
        return None

    def reply(self, request: Request, reply: Reply) -> Reply:
        return reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def start(target: str, hooks: Hooks) -> tuple[ThreadingHTTPServer, str]:
    """Serve on a free loopback port; returns the server (shutdown() it) and its URL."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two sends: without TCP_NODELAY, Nagle and the client's
        # delayed ACK hold the body ~40 ms on loopback, on top of any delay a hook adds.
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = Request(self.command, self.path, dict(self.headers.items()), body)
            reply = hooks.request(request)
            if reply is None:
                headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = session.request(
                    self.command, target + self.path, data=request.body, headers=headers, timeout=300
                )
                reply = hooks.reply(request, Reply(upstream.status_code, dict(upstream.headers), upstream.content))
            self._send(reply)

        def _reset(self) -> None:
            # SO_LINGER 0: close sends a TCP RST, as a dropped WAN link does.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

        def _send(self, reply: Reply) -> None:
            if reply.reset:
                self._reset()
                return
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                if key.lower() not in _HOP_HEADERS:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.cut_after is None:
                self.wfile.write(reply.body)
                return
            self.wfile.write(reply.body[: reply.cut_after])
            self.wfile.flush()
            self._reset()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
