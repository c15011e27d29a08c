"""Identifiers that must come out the same however often an event or a task repeats."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

# Fixed namespace: changing it would change every ConfirmationId ever issued.
_CONFIRMATION_NAMESPACE = uuid.UUID("6f0ad1a4-52c3-4e1b-9a51-0ff10ad0c0de")
_VARIANT = {f"{n:x}": f"{(n & 0x3) | 0x8:x}" for n in range(16)}


def _normal_etag(etag: str) -> str:
    return etag.strip().strip('"')


def job_id(bucket: str, key: str, etag: str, version_id: str | None = None) -> str:
    """The one job id rule (docs/contract.md): an upload is identified by its version id when the
    bucket keeps versions, else by its ETag. 32 hex chars: a valid ECS clientToken and a short key."""
    identity = version_id if version_id and version_id != "null" else _normal_etag(etag)  # "null": unversioned
    material = "\n".join((bucket, key, identity))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def confirmation_id(bucket: str, key: str, etag: str, order_id: str) -> str:
    """A UUID fixed by (bucket, key, ETag, OrderId): reruns write identical items."""
    return confirmation_ids(bucket, key, etag)(order_id)


def confirmation_ids(bucket: str, key: str, etag: str) -> Callable[[str], str]:
    """confirmation_id for one file's rows: uuid5 computed directly (sha1, version and
    variant bits), the same value without building a UUID object per row."""
    prefix = _CONFIRMATION_NAMESPACE.bytes + "\n".join((bucket, key, _normal_etag(etag), "")).encode("utf-8")

    def make(order_id: str) -> str:
        h = hashlib.sha1(prefix + order_id.encode("utf-8")).hexdigest()  # noqa: S324 - uuid5 is sha1
        # version nibble 5; the variant's top bits 10 (RFC 4122)
        return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"

    return make
