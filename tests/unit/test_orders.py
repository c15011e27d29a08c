import json
from collections.abc import Sequence
from typing import Any

import pytest
from offload_worker.errors import FileRejected, RowRejected
from offload_worker.schema import Encoder, builtin_schema

from tests.orders_csv import HEADER, row

# The orders loader is the built-in orders schema (issue 24): its compiled encoder replaces RowEncoder.
COLUMNS = tuple(c.name for c in builtin_schema().columns)


class Header:
    @staticmethod
    def parse(names: Sequence[str]) -> Encoder:
        return builtin_schema().compile(names, bucket="orders-bucket", key="incoming/a.csv", etag='"e"')


def fields(text: str) -> list[str]:
    return text.split(",")


HDR = Header.parse(HEADER.split(","))


def to_item(header: Encoder, row: Sequence[str]) -> dict[str, Any]:
    """The item as sent to DynamoDB (wire JSON, parsed back)."""
    order_id, wire_item, _output = header.encode(row)
    item: dict[str, Any] = json.loads(wire_item)
    assert item["OrderId"] == {"S": order_id}
    return item


def test_item_has_exact_types() -> None:
    item = to_item(HDR, fields(row(" 42 ", UnitPrice="0.10", TotalProfit="-3.50", OrderDate="1/2/2021")))
    assert item["OrderId"] == {"S": "42"}
    assert item["UnitSold"] == {"N": "12"}
    assert item["UnitPrice"] == {"N": "0.10"}  # exact: the Decimal's own text, trailing zero kept
    assert item["TotalProfit"] == {"N": "-3.50"}
    assert item["OrderDate"] == {"S": "2021-01-02"} and item["ShipDate"] == {"S": "2021-03-20"}
    assert item["OrderPriority"] == {"S": "2"}


def test_columns_matched_by_name_in_any_order() -> None:
    shuffled = list(reversed(COLUMNS))
    header = Header.parse([*shuffled, "Notes"])
    values = dict(zip(HEADER.split(","), fields(row(7)), strict=True))
    item = to_item(header, [values[c] for c in shuffled] + ["ignored"])
    assert item["OrderId"] == {"S": "7"} and item["Region"] == {"S": "Ontario"}
    assert header.ignored == ("Notes",)


@pytest.mark.parametrize("names, message", [
    (HEADER.replace("OrderId,", "").split(","), "missing required column(s) OrderId"),
    ([*HEADER.split(","), "OrderId"], "names column 'OrderId' twice"),
    (["a", "b"], "missing required column(s) Region"),
    ([HEADER.replace(",", ";")], "header is separated by ';', not commas"),
])
def test_bad_header_fails_the_file(names: list[str], message: str) -> None:
    with pytest.raises(FileRejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        Header.parse(names)


@pytest.mark.parametrize("overrides, reason", [
    ({"OrderId": "  "}, "OrderId is empty"),
    ({"UnitSold": "12.5"}, "UnitSold '12.5' is not a whole number"),
    ({"UnitSold": "-1"}, "must not be negative"),
    ({"UnitPrice": "abc"}, "not a plain decimal"),
    ({"UnitPrice": "1e309"}, "not a plain decimal"),
    ({"UnitPrice": "NaN"}, "not a plain decimal"),
    ({"TotalCost": "1,000"}, None),  # splits the row: wrong field count
    ({"TotalRevenue": "1" * 39}, "more than 38 significant digits"),
    ({"OrderDate": "2/30/2021"}, "not a real date"),
    ({"ShipDate": "2021-03-20"}, "not a date in M/D/YYYY form"),
])
def test_bad_values_reject_the_row(overrides: dict[str, str], reason: str | None) -> None:
    with pytest.raises(RowRejected) as caught:
        to_item(HDR, fields(row(1, **overrides)))
    assert reason is None or reason in str(caught.value)


def test_wrong_field_count_is_rejected() -> None:
    with pytest.raises(RowRejected, match="row has 12 fields, the header has 13"):
        to_item(HDR, fields(row(1))[:-1])


def test_negative_zero_is_zero() -> None:
    assert to_item(HDR, fields(row(1, TotalProfit="-0.00")))["TotalProfit"] == {"N": "0"}


@pytest.mark.parametrize(("text", "sent"), [("+5", "5"), ("0012.50", "12.50"), ("1.", "1"), (".5", "0.5"),
                                            ("0.0000001", "1E-7"), ("-0", "0"), (" 7.25 ", "7.25")])
def test_numbers_are_sent_in_decimal_form(text: str, sent: str) -> None:
    assert to_item(HDR, fields(row(1, TotalCost=text)))["TotalCost"] == {"N": sent}
