"""Identifiers that must come out the same however often an event or a task repeats."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable

# Fixed namespace: changing it would change every ConfirmationId ever issued.
_CONFIRMATION_NAMESPACE = uuid.UUID("6f0ad1a4-52c3-4e1b-9a51-0ff10ad0c0de")
_VARIANT = {f"{n:x}": f"{(n & 0x3) | 0x8:x}" for n in range(16)}


def _normal_etag(etag: str) -> str:
    return etag.strip().strip('"')


# A job id: its site's name and "-" (JOB_SITE_SEPARATOR) when it has one, then 32 hex digits.
JOB_SITE_SEPARATOR = "-"
JOB_ID_PATTERN = re.compile(r"(?:[a-z][a-z0-9]{0,9}-)?[0-9a-f]{32}")


def job_site(site: str, sub_prefix: str) -> str:
    """What a site's job ids begin with (before the separator): its name, so its task role can be held to
    its own job records (terraform: dynamodb:LeadingKeys `<site>-*`). "" for the site that takes every
    input (sub-prefix ""; the implicit one of a stack without `sites`): it owns every job, and its ids
    stay those of a stack applied before sites existed."""
    return site if sub_prefix else ""


def job_id(bucket: str, key: str, etag: str, version_id: str | None = None, site: str = "") -> str:
    """The one job id rule (docs/contract.md): an upload is identified by its version id when the
    bucket keeps versions, else by its ETag; `site` is job_site()'s. 32 hex chars, after `<site>-`
    (at most 43 chars): a valid ECS clientToken (64) and a short key."""
    identity = version_id if version_id and version_id != "null" else _normal_etag(etag)  # "null": unversioned
    material = "\n".join((bucket, key, identity))
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]
    return f"{site}{JOB_SITE_SEPARATOR}{digest}" if site else digest


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
