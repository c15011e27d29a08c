"""Activations: how on-prem machines join. The stack's while it is usable, else a new one."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from offload.lib.paths import repo_root

MAX_EXPIRY = timedelta(days=30)  # SSM's limit for an activation


class FleetError(RuntimeError):
    pass


def parse_duration(text: str) -> timedelta:
    """'90m', '24h', '7d' -> timedelta; SSM activations last at most 30 days."""
    match = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if not match:
        raise FleetError(f"duration {text!r} is not like 90m, 24h or 7d")
    amount, unit = int(match.group(1)), match.group(2)
    duration = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
    if not timedelta(minutes=1) <= duration <= MAX_EXPIRY:
        raise FleetError(f"duration {text!r} must be between 1m and 30d (SSM's limit)")
    return duration


@dataclass(frozen=True)
class Activation:
    activation_id: str
    expires: datetime
    limit: int
    used: int
    expired: bool
    code: str | None = None

    def problem(self) -> str | None:
        if self.expired:
            return f"activation {self.activation_id} expired at {self.expires:%Y-%m-%d %H:%M} UTC"
        if self.used >= self.limit:
            return f"activation {self.activation_id} is used up ({self.used}/{self.limit} machines registered)"
        return None


def when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(float(value), UTC)


def describe_activation(ssm: Any, activation_id: str) -> Activation | None:
    found = ssm.describe_activations(Filters=[{"FilterKey": "ActivationIds", "FilterValues": [activation_id]}])
    for item in found.get("ActivationList", []):
        return Activation(
            activation_id=item["ActivationId"],
            expires=when(item["ExpirationDate"]),
            limit=int(item["RegistrationLimit"]),
            used=int(item.get("RegistrationsCount", 0)),
            expired=bool(item.get("Expired")),
        )
    return None


def mint_activation(ssm: Any, role: str, instances: int, lifetime: timedelta, name: str) -> Activation:
    expires = datetime.now(UTC) + lifetime
    made = ssm.create_activation(
        Description=f"{name}: on-prem machines (offload activation)",
        DefaultInstanceName=name,
        IamRole=role,
        RegistrationLimit=instances,
        ExpirationDate=expires,
        Tags=[{"Key": "Project", "Value": "offload"}, {"Key": "Stack", "Value": name}],
    )
    return Activation(made["ActivationId"], expires, instances, 0, False, made["ActivationCode"])


@dataclass(frozen=True)
class Site:
    """A site of the stack (terraform `sites`): its hosts join with its activation, as its instance
    role, declaring its placement attributes."""

    name: str
    instance_role: str
    activation_id: str | None
    code: str | None
    attributes: dict[str, str]


def stack_site(outputs: Mapping[str, Any], name: str) -> Site:
    sites = outputs.get("sites") or {}
    if name not in sites:
        known = ", ".join(sorted(sites)) or "none (apply the stack first)"
        raise FleetError(f"the stack has no site {name!r}: its sites are {known}")
    site = sites[name]
    return Site(
        name=name,
        instance_role=str(site["instance_role"]),
        activation_id=site.get("activation_id"),
        code=(outputs.get("site_activation_codes") or {}).get(name),
        attributes={str(k): str(v) for k, v in (site.get("attributes") or {}).items()},
    )


def env_lines(
    region: str,
    cluster: str,
    activation: Activation,
    code_file: str | None = None,
    attributes: dict[str, str] | None = None,
) -> str:
    """Shell `export` lines for register-instance.sh / Vagrant; the code inline or read from its 0600
    file; a site's placement attributes as the host declares them (scheduling, not a boundary)."""
    code = f'"$(cat {code_file})"' if code_file else _quote(activation.code or "")
    lines = [
        f"export OFFLOAD_REGION={_quote(region)}",
        f"export OFFLOAD_CLUSTER={_quote(cluster)}",
        f"export OFFLOAD_ACTIVATION_ID={_quote(activation.activation_id)}",
        f"export OFFLOAD_ACTIVATION_CODE={code}",
    ]
    if attributes:
        lines.append(f"export OFFLOAD_INSTANCE_ATTRIBUTES={_quote(json.dumps(attributes, separators=(',', ':')))}")
    return "\n".join(lines)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def write_code_file(path: Path, code: str) -> None:
    """The activation code in a file only its owner reads from its first byte, never inside the
    repository: written to a new file made 0600 by os.open (O_EXCL: never an existing file or a
    symlink's target, whose mode a chmod after writing would fix too late), then renamed over `path`."""
    if path.resolve().is_relative_to(repo_root()):
        raise FleetError(f"{path} is inside the repository: put the code file elsewhere (e.g. ~/.offload/)")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(code)
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
