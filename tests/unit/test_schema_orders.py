"""The built-in orders schema is today's orders loader: the same wire items, output lines and reasons.

The expected values are the hand-written encoder's (main 5254b8b), checked there against this
schema's compiled encoder on the workshop file, the hostile corpus and 20,000 random rows.
"""

from __future__ import annotations

import pytest
from offload_contract import confirmation_ids
from offload_worker.errors import FileRejected, RowRejected
from offload_worker.schema import Encoder, builtin_schema

from tests.orders_csv import HEADER, row

KEY = "incoming/a.csv"


def encoder(names: list[str] | None = None) -> Encoder:
    return builtin_schema().compile(names or HEADER.split(","), bucket="orders-bucket", key=KEY, etag='"e"')


def test_builtin_schema_declares_the_orders_table() -> None:
    schema = builtin_schema()
    assert [(k.attribute, k.role, k.type) for k in schema.keys] == [("OrderId", "HASH", "S")]
    assert (schema.name, schema.file.format, schema.duplicates) == ("orders", "csv", "last")
    assert schema.output_columns == ("OrderId", "ConfirmationId")
    assert len(schema.digest) == 64


def test_row_is_todays_wire_item_and_output_line() -> None:
    confirmation = confirmation_ids("orders-bucket", KEY, '"e"')("42")
    assert confirmation == "2f4b9a33-c843-5a86-b888-ad2ef51c4109"
    cells = row(" 42 ", UnitPrice="0.10", TotalProfit="-3.50", OrderDate="1/2/2021").split(",")
    key, item, line = encoder().encode(cells)
    assert key == "42"
    assert item == (
        '{"OrderId":{"S":"42"},"Region":{"S":"Ontario"},"Country":{"S":"Canada"},"ItemType":{"S":"item 7"},'
        '"SalesChannel":{"S":"shop.example"},"OrderPriority":{"S":"2"},"OrderDate":{"S":"2021-01-02"},'
        '"ShipDate":{"S":"2021-03-20"},"UnitSold":{"N":"12"},"UnitPrice":{"N":"0.10"},"TotalRevenue":{"N":"239.88"},'
        '"TotalCost":{"N":"120.00"},"TotalProfit":{"N":"-3.50"},'
        f'"ConfirmationId":{{"S":"{confirmation}"}},"SourceKey":{{"S":"{KEY}"}}}}'
    )
    assert line == f"42,{confirmation}\n"


def test_output_cell_that_a_spreadsheet_would_run_is_quoted() -> None:
    _key, _item, line = encoder().encode(row("=1+1").split(","))
    assert line == "\"'=1+1\",93070a3f-17b0-5a93-9194-f1375429cdb1\n"
    _key, _item, line = encoder().encode([*row(1).split(",")[:6], "a,b", *row(1).split(",")[7:]])
    assert line.startswith('"a,b",')


def test_extra_columns_are_ignored_and_named() -> None:
    shuffled = list(reversed(HEADER.split(",")))
    values = dict(zip(HEADER.split(","), row(7).split(","), strict=True))
    found = encoder([*shuffled, "Notes"])
    key, item, _line = found.encode([values[c] for c in shuffled] + ["note"])
    assert key == "7" and item.startswith('{"OrderId":{"S":"7"},"Region":{"S":"Ontario"},')
    assert found.ignored == ("Notes",)


@pytest.mark.parametrize("names, message", [
    (HEADER.replace("OrderId,", "").split(","),
     "header is missing required column(s) OrderId; expected Region,Country,ItemType,SalesChannel,OrderPriority,"
     "OrderDate,OrderId,ShipDate,UnitSold,UnitPrice,TotalRevenue,TotalCost,TotalProfit"),
    ([*HEADER.split(","), "OrderId"], "header names column 'OrderId' twice"),
    ([HEADER.replace(",", ";")],
     "header is separated by ';', not commas: export the file as comma-separated CSV"),
    ([HEADER.replace(",", "\t")], "header is separated by '\\t', not commas"),
])
def test_bad_header_fails_the_file_on_line_1(names: list[str], message: str) -> None:
    with pytest.raises(FileRejected) as caught:
        encoder(names)
    assert str(caught.value).startswith(message) and caught.value.line == 1


@pytest.mark.parametrize("overrides, reason", [
    ({"OrderId": "  "}, "OrderId is empty"),
    ({"OrderId": "x" * 1025}, "OrderId is longer than 1024 bytes"),
    ({"OrderId": "\u6f22" * 342}, "OrderId is longer than 1024 bytes"),  # 1,026 UTF-8 bytes
    ({"UnitSold": "12.5"}, "UnitSold '12.5' is not a whole number"),
    ({"UnitSold": "-1"}, "UnitSold '-1' must not be negative"),
    ({"UnitPrice": "-0.5"}, "UnitPrice '-0.5' must not be negative"),
    ({"UnitPrice": "abc"}, "UnitPrice 'abc' is not a plain decimal number"),
    ({"UnitPrice": "1e309"}, "UnitPrice '1e309' is not a plain decimal number"),
    ({"TotalRevenue": "1" * 39}, f"TotalRevenue '{'1' * 39}' has more than 38 significant digits"),
    ({"OrderDate": "2/30/2021"}, "OrderDate '2/30/2021' is not a real date"),
    ({"ShipDate": "2021-03-20"}, "ShipDate '2021-03-20' is not a date in M/D/YYYY form"),
    ({"OrderId": "", "OrderDate": "x"}, "OrderId is empty"),  # the key first, then the columns in order
    ({"OrderDate": "x", "UnitSold": "y"}, "OrderDate 'x' is not a date in M/D/YYYY form"),
    ({"UnitSold": "y", "TotalCost": "z"}, "UnitSold 'y' is not a whole number"),
])
def test_bad_value_rejects_the_row_with_todays_reason(overrides: dict[str, str], reason: str) -> None:
    with pytest.raises(RowRejected) as caught:
        encoder().encode(row(1, **overrides).split(","))
    assert str(caught.value) == reason


def test_wrong_field_count_is_rejected() -> None:
    with pytest.raises(RowRejected, match=r"^row has 12 fields, the header has 13$"):
        encoder().encode(row(1).split(",")[:-1])


@pytest.mark.parametrize(("text", "sent"), [("+5", "5"), ("0012.50", "12.50"), ("1.", "1"), (".5", "0.5"),
                                            ("0.0000001", "1E-7"), ("-0", "0"), ("-0.00", "0"), (" 7.25 ", "7.25")])
def test_numbers_are_sent_in_decimal_form(text: str, sent: str) -> None:
    _key, item, _line = encoder().encode(row(1, TotalCost=text).split(","))
    assert f'"TotalCost":{{"N":"{sent}"}}' in item


def test_key_alone_is_the_encoders_key() -> None:
    assert encoder().key(row(" 9 ").split(",")) == "9"
    assert encoder().key(["too", "short"]) == ""
