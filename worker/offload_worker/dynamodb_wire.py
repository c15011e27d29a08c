"""BatchWriteItem as one signed HTTP request, without the SDK's per-call machinery.

The worker builds each batch's JSON itself, so botocore's parameter validation,
serializers and HTTP layers would only redo work (about 4-7 ms of CPU per batch
through a client, ~0.4 ms through its HTTP session). What it keeps from botocore:
the endpoint (AWS_ENDPOINT_URL[_DYNAMODB], region), the credential chain with
refresh (on ECS Anywhere the task role from 169.254.170.2), SigV4 signing, the CA
bundle and the proxy settings. One keep-alive connection per sending thread.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError, ConnectionClosedError
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

    def _connection(self) -> http.client.HTTPConnection:
        found: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if found is None:
            host, port = self._url.hostname or "", self._url.port
            if self._proxy.hostname:  # CONNECT through the proxy, as botocore does for HTTPS
                found = self._open(self._proxy.hostname, self._proxy.port or 80)
                found.set_tunnel(host, port)
            else:
                found = self._open(host, port)
            found.connect()
            found.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.connection = found
        return found

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
            connection = self._connection()
            connection.request("POST", self._url.path or "/", body, dict(request.headers.items()))
            response = connection.getresponse()
            content = response.read() or b"{}"
        except (OSError, http.client.HTTPException) as error:
            self._local.connection = None  # a fresh connection for the retry
            raise ConnectionClosedError(endpoint_url=self.endpoint) from error
        if response.status >= 300:
            said = json.loads(content) if content.startswith(b"{") else {}
            code = str(said.get("__type", f"HTTP{response.status}")).rsplit("#", 1)[-1]
            if response.status >= 500 and not said:
                code = "ServiceUnavailable"
            message = str(said.get("message") or said.get("Message") or "")
            raise ClientError({"Error": {"Code": code, "Message": message}}, "BatchWriteItem")
        return json.loads(content)  # type: ignore[no-any-return]
