"""EventBridge in the twin: the ECS task state events matched against the default bus's
rules with moto's own pattern matcher; Lambda targets invoked asynchronously."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.events.models import events_backends


def deliver(event: dict[str, Any], invoke: Callable[[str, dict[str, Any]], None]) -> None:
    """Hand the event to every enabled rule's Lambda targets that it matches."""
    every: list[Any] = [backend for regions in list(events_backends.values()) for backend in list(regions.values())]
    for backend in every:
        bus = backend.event_buses.get("default")
        for rule in list(bus.rules.values()) if bus else []:
            # moto's matcher says an empty pattern matches all: a schedule rule has none.
            pattern = rule.event_pattern.get_pattern()
            if rule.state != "ENABLED" or not pattern or not rule.event_pattern.matches_event(event):
                continue
            for target in rule.targets:
                if ":lambda:" in target["Arn"]:
                    threading.Thread(target=invoke, args=(target["Arn"], event), daemon=True).start()
