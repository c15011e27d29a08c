"""Realistic orders CSV, generated deterministically: the demo's shipped sample
(samples/orders.csv, checked against this by a test) and the benchmarks' files."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

HEADER = (
    "Region,Country,ItemType,SalesChannel,OrderPriority,OrderDate,OrderId,"
    "ShipDate,UnitSold,UnitPrice,TotalRevenue,TotalCost,TotalProfit"
)
PLACES = (
    ("Ontario", "Canada"),
    ("Quebec", "Canada"),
    ("Bavaria", "Germany"),
    ("Hesse", "Germany"),
    ("Lombardy", "Italy"),
    ("Catalonia", "Spain"),
    ("Texas", "United States"),
    ("Oregon", "United States"),
    ("New South Wales", "Australia"),
    ("Kansai", "Japan"),
    ("Gauteng", "South Africa"),
    ("São Paulo", "Brazil"),
)
ITEMS = (
    ("Office Supplies", "4.80"),
    ("Cosmetics", "43.20"),
    ("Beverages", "9.33"),
    ("Household", "651.21"),
    ("Baby Food", "255.28"),
    ("Personal Care", "81.73"),
    ("Snacks", "152.58"),
    ("Clothes", "109.28"),
)
CHANNELS = ("web.example.com", "partner-store.example", "Offline", "marketplace.example.net")
FIRST_DAY = date(2021, 1, 1)
CENT = Decimal("0.01")


def _us_date(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def rows(count: int, seed: int = 7, first_id: int = 100_000_001) -> Iterator[str]:
    """`count` rows with consistent money columns (revenue = units * price, profit = revenue - cost)."""
    rng = random.Random(seed)
    for n in range(count):
        region, country = rng.choice(PLACES)
        item, list_price = rng.choice(ITEMS)
        ordered = FIRST_DAY + timedelta(days=rng.randrange(730))
        shipped = ordered + timedelta(days=rng.randrange(0, 21))
        units = rng.randrange(1, 10_000)
        price = (Decimal(list_price) * Decimal(rng.randrange(90, 111)) / 100).quantize(CENT)
        revenue = (price * units).quantize(CENT)
        cost = (revenue * Decimal(rng.randrange(55, 90)) / 100).quantize(CENT)
        quoted = f'"{region}"' if " " in region else region
        yield ",".join(
            (
                quoted,
                country,
                item,
                rng.choice(CHANNELS),
                str(rng.randrange(1, 5)),
                _us_date(ordered),
                str(first_id + n),
                _us_date(shipped),
                str(units),
                str(price),
                str(revenue),
                str(cost),
                str(revenue - cost),
            )
        )


def text(count: int, seed: int = 7) -> str:
    return "\n".join((HEADER, *rows(count, seed))) + "\n"
