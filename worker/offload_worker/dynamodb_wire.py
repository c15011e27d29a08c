"""BatchWriteItem as one signed HTTP request, without the SDK's per-call machinery.

The worker builds each batch's JSON itself, so botocore's parameter validation,
serializers and HTTP layers would only redo work (about 4-7 ms of CPU per batch
through a client, ~0.4 ms through its HTTP session). What it keeps from botocore:
the endpoint (AWS_ENDPOINT_URL[_DYNAMODB], region), the credential chain with
refresh (on ECS Anywhere the task role from 169.254.170.2), SigV4 signing, the CA
bundle and the proxy settings. One keep-alive connection per sending thread; a
request is written in one send and its Content-Length response read back directly.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import ssl
import threading
import zlib
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ChecksumError, ClientError, ConnectionClosedError
from botocore.httpsession import get_cert_path
from botocore.utils import get_environ_proxies

from offload_worker.errors import ConfigError

_TARGET = "DynamoDB_20120810.BatchWriteItem"
_TIMEOUT = 60.0


class WireClient:
    """Sends pre-built BatchWriteItem bodies; answers the parsed response or raises ClientError."""

    def __init__(self, session: boto3.Session, region: str, connections: int) -> None:
        self.endpoint = session.client("dynamodb", region_name=region).meta.endpoint_url
        credentials = session.get_credentials()
        if credentials is None:
            raise ConfigError("no AWS credentials: on ECS the task role provides them; set AWS_PROFILE to run by hand")
        self._credentials, self._region = credentials, region
        self._url = urlsplit(self.endpoint)
        self._proxy = urlsplit(get_environ_proxies(self.endpoint).get(self._url.scheme, "") or "")
        self._tls = ssl.create_default_context(cafile=get_cert_path(True)) if self._url.scheme == "https" else None
        self._local = threading.local()
        default_port = {"http": 80, "https": 443}.get(self._url.scheme)
        port = self._url.port
        self._host = (self._url.hostname or "") + (f":{port}" if port and port != default_port else "")

    def _stream(self) -> tuple[socket.socket, io.BufferedReader]:
        """This thread's keep-alive connection: http.client connects (and tunnels through a proxy);
        requests then go over its socket directly, each in one send (no Nagle stall)."""
        found: tuple[socket.socket, io.BufferedReader] | None = getattr(self._local, "stream", None)
        if found is None:
            host, port = self._url.hostname or "", self._url.port
            if self._proxy.hostname:  # CONNECT through the proxy, as botocore does for HTTPS
                connection = self._open(self._proxy.hostname, self._proxy.port or 80)
                connection.set_tunnel(host, port)
            else:
                connection = self._open(host, port)
            connection.connect()
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            found = self._local.stream = (connection.sock, connection.sock.makefile("rb"))
        return found

    def _exchange(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        """One request and its response on this thread's connection (DynamoDB answers with Content-Length).

        DynamoDB signs each response body with x-amz-crc32; as botocore does
        (botocore/retries/special.py, RetryDDBChecksumError), a body that does not match is retried."""
        sock, reader = self._stream()
        head = f"POST {self._url.path or '/'} HTTP/1.1\r\nHost: {self._host}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body)
        status_line = reader.readline(65537)
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise http.client.BadStatusLine(repr(status_line))
        length, close, crc = 0, parts[0] == b"HTTP/1.0", None  # 1.0 closes unless it says keep-alive
        while (line := reader.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() != b"keep-alive"
            elif name == b"x-amz-crc32":
                crc = int(value)
        content = reader.read(length) if length else b""
        if len(content) < length:
            raise http.client.IncompleteRead(content, length - len(content))
        if close:
            self._drop()
        if crc is not None and zlib.crc32(content) != crc:
            raise ChecksumError(checksum_type="x-amz-crc32", expected_checksum=crc, actual_checksum=zlib.crc32(content))
        return int(parts[1]), content

    def _drop(self) -> None:
        found = getattr(self._local, "stream", None)
        self._local.stream = None
        if found is not None:
            found[1].close()
            found[0].close()

    def _open(self, host: str, port: int | None) -> http.client.HTTPConnection:
        if self._tls is not None:
            return http.client.HTTPSConnection(host, port, timeout=_TIMEOUT, context=self._tls)
        return http.client.HTTPConnection(host, port, timeout=_TIMEOUT)

    def batch_write(self, body: bytes) -> dict[str, Any]:
        request = AWSRequest(
            method="POST",
            url=self.endpoint,
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": _TARGET},
        )
        # get_frozen_credentials() refreshes temporary credentials before they expire.
        SigV4Auth(self._credentials.get_frozen_credentials(), "dynamodb", self._region).add_auth(request)
        try:
            status, content = self._exchange(dict(request.headers.items()), body)
        except (OSError, ValueError, http.client.HTTPException) as error:
            self._drop()  # a fresh connection for the retry
            raise ConnectionClosedError(endpoint_url=self.endpoint) from error
        if status >= 300:
            said = _error_json(content)
            code = str(said.get("__type", f"HTTP{status}")).rsplit("#", 1)[-1]
            # No JSON (a 503 with no body, a proxy's HTML 502): its first words are the message.
            text = content[:200].decode("utf-8", "replace").strip()
            message = str(said.get("message") or said.get("Message") or ("" if said else text))
            raise ClientError(
                {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                "BatchWriteItem",
            )
        return json.loads(content or b"{}")  # type: ignore[no-any-return]


def _error_json(content: bytes) -> dict[str, Any]:
    try:
        said = json.loads(content) if content.startswith(b"{") else {}
    except ValueError:
        return {}
    return said if isinstance(said, dict) else {}
