"""The task credentials endpoint the agent serves, as the ECS agent's TMDS does
(ecs-agent/tmds/handlers/v1/credentials_handler.go, reached through the v2 path
`/v2/credentials/<id>`): the task role's credentials, assumed through STS (the twin's),
handed only to the task's containers and revoked when the task stops.

ECS Anywhere's agent answers on 169.254.170.2 (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI);
the twin cannot route that address, so it listens on loopback and the containers get
AWS_CONTAINER_CREDENTIALS_FULL_URI plus AWS_CONTAINER_AUTHORIZATION_TOKEN, which botocore's
ContainerProvider sends as the Authorization header. Every answer is logged (`fetches`).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from offload.twin.runtime.spec import TaskCredentials

PATH = "/v2/credentials/"
# ECS hands out fresh credentials well before the old ones expire; botocore refreshes
# its own copy 15 minutes before expiry, so the endpoint never serves less than this.
REFRESH_BEFORE_EXPIRY = timedelta(minutes=30)
Assume = Callable[[str, str], dict[str, Any]]


@dataclass(frozen=True)
class Fetch:
    task_arn: str
    role_arn: str
    access_key_id: str


@dataclass
class _Grant:
    task_arn: str
    role_arn: str
    token: str
    credentials: dict[str, Any]


def _expiration(credentials: dict[str, Any]) -> datetime:
    expiration = credentials["Expiration"]
    if isinstance(expiration, datetime):
        return expiration if expiration.tzinfo else expiration.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(expiration).replace("Z", "+00:00"))


def body(grant: _Grant) -> dict[str, str]:
    """The JSON the agent answers with (credentials.IAMRoleCredentials' field names)."""
    return {
        "RoleArn": grant.role_arn,
        "AccessKeyId": grant.credentials["AccessKeyId"],
        "SecretAccessKey": grant.credentials["SecretAccessKey"],
        "Token": grant.credentials["SessionToken"],
        "Expiration": _expiration(grant.credentials).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class CredentialsEndpoint:
    def __init__(self, assume: Assume, log: Callable[[str], None], now: Callable[[], datetime] | None = None) -> None:
        self._assume, self._log = assume, log
        self._now = now or (lambda: datetime.now(UTC))
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self.fetches: list[Fetch] = []
        self._server: ThreadingHTTPServer | None = None

    def issue(self, task_arn: str, role_arn: str) -> TaskCredentials:
        """A credentials id and token for the task; the role is assumed now (session: the task id)."""
        credentials = self._assume(role_arn, task_arn.rsplit("/", 1)[-1])
        grant_id, token = secrets.token_hex(16), secrets.token_urlsafe(32)
        with self._lock:
            self._grants[grant_id] = _Grant(task_arn, role_arn, token, credentials)
        return TaskCredentials(f"{self.url}{PATH}{grant_id}", token)

    def revoke(self, task_arn: str) -> None:
        with self._lock:
            for grant_id in [g for g, grant in self._grants.items() if grant.task_arn == task_arn]:
                del self._grants[grant_id]

    def answer(self, path: str, authorization: str | None) -> tuple[int, dict[str, str]]:
        """Status and JSON for a GET: the handler's codes (400 unknown id, 401 wrong token)."""
        if not path.startswith(PATH) or not path[len(PATH) :]:
            return 400, {"code": "NoIdInRequest", "message": "CredentialsV2Request: No Credential ID in the request"}
        with self._lock:
            grant = self._grants.get(path[len(PATH) :])
            if grant is None:
                return 400, {"code": "InvalidIdInRequest", "message": "CredentialsV2Request: Credentials not found"}
            if authorization is None or not secrets.compare_digest(authorization, grant.token):
                return 401, {"code": "AccessDenied", "message": "CredentialsV2Request: authorization token mismatch"}
            if _expiration(grant.credentials) - self._now() < REFRESH_BEFORE_EXPIRY:
                grant.credentials = self._assume(grant.role_arn, grant.task_arn.rsplit("/", 1)[-1])
            reply = body(grant)
            self.fetches.append(Fetch(grant.task_arn, grant.role_arn, reply["AccessKeyId"]))
        self._log(f"credentials: task {grant.task_arn} fetched role {grant.role_arn} ({reply['AccessKeyId']})")
        return 200, reply

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the credentials endpoint is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> CredentialsEndpoint:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # headers and body apart would stall ~40 ms per fetch

            def do_GET(self) -> None:
                status, reply = endpoint.answer(self.path, self.headers.get("Authorization"))
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # `answer` logs what matters

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="task-credentials").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def sts_assume(endpoint: str, region: str) -> Assume:
    """AssumeRole through the twin's STS (moto), as ECS assumes the task role for each task."""
    import boto3

    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region)

    def assume(role_arn: str, session: str) -> dict[str, Any]:
        credentials: dict[str, Any] = sts.assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
        return credentials

    return assume
