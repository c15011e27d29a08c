"""An item's size as DynamoDB counts it, against its 400 KB item limit.

DynamoDB counts bytes, not characters: each attribute is the UTF-8 bytes of its name plus,
for a string, the UTF-8 bytes of its value, for a number about one byte per two significant
digits plus one (leading and trailing zeros trimmed). So a row of CJK text is three times its
length. (docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)
"""

from __future__ import annotations

import json
from typing import Any

# 400 KB is 409,600 bytes (DynamoDB's KB is 1,024 bytes), but numbers are sized only
# approximately and moto refuses above 405,000: stay under both.
MAX_ITEM_BYTES = 400_000


def number_bytes(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def item_bytes(item: dict[str, dict[str, Any]]) -> int:
    """The size of an item, as DynamoDB counts it: each attribute's name and value."""
    return sum(len(name.encode("utf-8", "surrogatepass")) + value_bytes(value) for name, value in item.items())


def value_bytes(value: dict[str, Any]) -> int:
    """One typed value: S by UTF-8 bytes, B by raw bytes, BOOL and NULL 1 byte, a set the sum of its
    items, L and M 3 bytes plus 1 per element and the elements (names too, for M)."""
    (kind, found), *_ = value.items()
    if kind == "S":
        return len(str(found).encode("utf-8", "surrogatepass"))
    if kind == "N":
        return number_bytes(found)
    if kind == "B":
        return len(found) * 3 // 4 - str(found).count("=")  # base64 on the wire, raw bytes counted
    if kind in ("SS", "NS", "BS"):
        return sum(value_bytes({kind[0]: one}) for one in found)
    if kind == "L":
        return 3 + sum(1 + value_bytes(one) for one in found)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8", "surrogatepass")) + value_bytes(v) for k, v in found.items())
    return 1  # BOOL, NULL


def wire_item_bytes(wire: str) -> int:
    """item_bytes of an item in wire JSON."""
    return item_bytes(json.loads(wire))
