"""A DynamoDB-JSON value checked as DynamoDB will check it, so a bad one is a rejected row, not a refused batch.

S/N/B are text (N a number DynamoDB accepts, B base64), BOOL a boolean, NULL true, SS/NS/BS
non-empty lists of unique items, L a list, M a map; maps and lists nest at most
MAX_CONTAINERS deep (DynamoDB: 32 levels counting the top-level attribute, so 31 map or list
wraps above a scalar; measured against DynamoDB by the dynoxide conformance suite).
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Any

from offload_worker.errors import RowRejected
from offload_worker.schema.numbers import decimal_parser

MAX_CONTAINERS = 31
_SCALARS = {"SS": "S", "NS": "N", "BS": "B"}


def nesting_rejected(name: str) -> RowRejected:
    return RowRejected(f"{name} nests deeper than DynamoDB's 32 levels")


def check_value(name: str, value: Any, containers: int = 0, top: str = "") -> None:
    """Raise RowRejected unless `value` is one typed DynamoDB value such as {"S": "text"}.
    `name` says where it is (tags.x[2]); `top`, the item's attribute it is in."""
    top = top or name
    if type(value) is not dict or len(value) != 1:
        raise RowRejected(f'{name} is not a DynamoDB-JSON value such as {{"S": "text"}}')
    ((tag, inner),) = value.items()
    if tag in ("S", "N", "B"):
        _scalar(name, tag, inner)
    elif tag == "BOOL":
        if inner is not True and inner is not False:
            raise RowRejected(f"{name} BOOL is not true or false")
    elif tag == "NULL":
        if inner is not True:
            raise RowRejected(f"{name} NULL is not true")
    elif tag in _SCALARS:
        _set(name, tag, inner)
    elif tag in ("L", "M"):
        if containers >= MAX_CONTAINERS:
            raise nesting_rejected(top)
        if tag == "L" and type(inner) is list:
            for index, item in enumerate(inner):
                check_value(f"{name}[{index}]", item, containers + 1, top)
        elif tag == "M" and type(inner) is dict:
            for key, item in inner.items():
                check_value(f"{name}.{key}", item, containers + 1, top)
        else:
            raise RowRejected(f"{name} {tag} is not a {'list' if tag == 'L' else 'map'}")
    else:
        raise RowRejected(f"{name} has the type {tag!r}, not one of DynamoDB's (S, N, B, BOOL, NULL, M, L, SS, NS, BS)")


def _scalar(name: str, tag: str, inner: Any) -> None:
    if type(inner) is not str:
        raise RowRejected(f'{name} {tag} is not text: write {{"{tag}": "..."}}')
    if tag == "N":
        decimal_parser(name)(inner)
    elif tag == "B":
        try:
            base64.b64decode(inner, validate=True)
        except (binascii.Error, ValueError):
            raise RowRejected(f"{name} B is not base64") from None


def _set(name: str, tag: str, inner: Any) -> None:
    if type(inner) is not list or not inner:
        raise RowRejected(f"{name} {tag} is not a list of at least one item (DynamoDB has no empty sets)")
    item_tag = _SCALARS[tag]
    for item in inner:
        _scalar(name, item_tag, item)
    unique = {Decimal(i) for i in inner} if tag == "NS" else set(inner)  # 1 and 1.0 are one number
    if len(unique) != len(inner):
        raise RowRejected(f"{name} {tag} holds an item twice (a set's items are unique)")
