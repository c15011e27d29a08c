"""Who may call the twin. The twin runs uploaded Lambda zips as the developer's processes, so a web
page must not reach it: moto ignores the Host header (DNS rebinding: a page whose name now resolves to
127.0.0.1) and needs no key. This WSGI layer in front of moto answers 403 unless the Host is the twin's
own loopback name and the request carries the twin's per-run access key, or a key the twin's STS issued
(the task role credentials the agent hands to containers). moto checks no signature without IAM
enforcement, so the key is read from where SigV4/SigV2 put it: the Authorization header's
`Credential=<key>/...` scope (or `AWS <key>:`), or a presigned URL's X-Amz-Credential / AWSAccessKeyId."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from html import escape
from typing import Any
from urllib.parse import parse_qs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_HEADER_KEY = re.compile(r"Credential=([^/\s,]+)/|^AWS ([^:\s]+):")


def access_key_of(environ: dict[str, Any]) -> str | None:
    found = _HEADER_KEY.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    if found:
        return found.group(1) or found.group(2)
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    for name in ("X-Amz-Credential", "AWSAccessKeyId"):
        if query.get(name):
            return query[name][0].split("/", 1)[0]
    return None


def issued_by_sts(access_key: str) -> bool:
    """A key moto's STS handed out (AssumeRole: the agent's task credentials), in any account."""
    from moto.sts.models import sts_backends

    return any(
        backend.get_assumed_role_from_access_key(access_key) is not None
        for account in list(sts_backends.values())
        for backend in list(account.values())
    )


def refuse(environ: dict[str, Any], start_response: Callable[..., Any], reason: str) -> Iterable[bytes]:
    """403 in the shape the caller's SDK parses (JSON protocols, else query/rest-XML), one line."""
    message = f"offload twin refused the request: {reason}"
    if "json" in str(environ.get("CONTENT_TYPE", "")):
        body, kind = json.dumps({"__type": "AccessDeniedException", "message": message}), "application/json"
    else:
        error = f"<Code>AccessDenied</Code><Message>{escape(message)}</Message>"
        body, kind = f"<ErrorResponse><Error><Type>Sender</Type>{error}</Error></ErrorResponse>", "text/xml"
    encoded = (body + "\n").encode()
    start_response(
        "403 Forbidden",
        [("Content-Type", kind), ("Content-Length", str(len(encoded))), ("x-amzn-ErrorType", "AccessDeniedException")],
    )
    return [encoded]


def guarded(app: WsgiApp, hosts: set[str], access_key: str) -> WsgiApp:
    def guard(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host = str(environ.get("HTTP_HOST", ""))
        if host not in hosts:
            return refuse(environ, start_response, f"Host {host!r} is not {' or '.join(sorted(hosts))}")
        key = access_key_of(environ)
        if key != access_key and not (key and issued_by_sts(key)):
            return refuse(environ, start_response, "not signed with its access key (see `offload twin`'s exports)")
        return app(environ, start_response)

    return guard
