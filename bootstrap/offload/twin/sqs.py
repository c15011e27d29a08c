"""SQS attributes as AWS writes them.

AWS returns RedrivePolicy as compact JSON ({"a":1}); moto adds spaces. Provider
3.39 compares the string as is, so every re-plan would show a change that a
real account never does.
"""

from __future__ import annotations

import json
from typing import Any

from moto.sqs.models import Queue

_original_attributes = Queue.attributes


def _attributes(self: Queue) -> dict[str, Any]:
    result: dict[str, Any] = _original_attributes.fget(self)  # type: ignore[attr-defined]
    if self.redrive_policy:
        result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
    return result


def install() -> None:
    Queue.attributes = property(_attributes)  # type: ignore[method-assign,assignment]
