"""A cell's value as a reject reason shows it: text quoted (`qty '-1' ...`), a JSON value as JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
