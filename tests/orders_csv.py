"""Build orders CSV text for tests (our own rows, never the workshop's)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

HEADER = ("Region,Country,ItemType,SalesChannel,OrderPriority,OrderDate,OrderId,"
          "ShipDate,UnitSold,UnitPrice,TotalRevenue,TotalCost,TotalProfit")


def row(order_id: str | int, **overrides: str) -> str:
    values = {
        "Region": "Ontario", "Country": "Canada", "ItemType": "item 7", "SalesChannel": "shop.example",
        "OrderPriority": "2", "OrderDate": "3/14/2021", "OrderId": str(order_id), "ShipDate": "3/20/2021",
        "UnitSold": "12", "UnitPrice": "19.99", "TotalRevenue": "239.88", "TotalCost": "120.00",
        "TotalProfit": "119.88",
    }
    values.update(overrides)
    return ",".join(values[c] for c in HEADER.split(","))


def csv_text(rows: Iterable[str], header: str = HEADER, newline: str = "\n") -> str:
    return newline.join([header, *rows]) + newline


def many(n: int, start: int = 1) -> Sequence[str]:
    return [row(i) for i in range(start, start + n)]
