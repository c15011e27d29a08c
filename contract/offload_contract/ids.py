"""Identifiers that must come out the same however often an event or a task repeats."""

from __future__ import annotations

import hashlib
import uuid

# Fixed namespace: changing it would change every ConfirmationId ever issued.
_CONFIRMATION_NAMESPACE = uuid.UUID("6f0ad1a4-52c3-4e1b-9a51-0ff10ad0c0de")


def _normal_etag(etag: str) -> str:
    return etag.strip().strip('"')


def job_id(bucket: str, key: str, etag_or_version: str) -> str:
    """32 hex chars: a valid ECS clientToken (<= 64) and a short table key."""
    material = "\n".join((bucket, key, _normal_etag(etag_or_version)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def confirmation_id(bucket: str, key: str, etag: str, order_id: str) -> str:
    """A UUID fixed by (bucket, key, ETag, OrderId): reruns write identical items."""
    material = "\n".join((bucket, key, _normal_etag(etag), order_id))
    return str(uuid.uuid5(_CONFIRMATION_NAMESPACE, material))
