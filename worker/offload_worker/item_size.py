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
    """The size of an item of S and N attributes (the orders schema), as DynamoDB counts it."""
    size = 0
    for name, value in item.items():
        size += len(name.encode("utf-8"))
        if "N" in value:
            size += number_bytes(value["N"])
        else:
            size += len(str(value["S"]).encode("utf-8", "surrogatepass"))
    return size


def wire_item_bytes(wire: str) -> int:
    """item_bytes of an item in wire JSON."""
    return item_bytes(json.loads(wire))
