"""Item sizes as DynamoDB counts them: UTF-8 bytes of names and values, numbers by significant digits."""

from offload_worker.item_size import item_bytes, number_bytes


def test_strings_count_utf8_bytes_not_characters() -> None:
    assert item_bytes({"ItemType": {"S": "漢" * 10}}) == len("ItemType") + 30
    assert item_bytes({"Région": {"S": "é"}}) == 7 + 2  # the name counts in UTF-8 too
    assert item_bytes({"Region": {"S": "😀"}}) == 6 + 4


def test_numbers_count_one_byte_per_two_significant_digits_plus_one() -> None:
    assert [number_bytes(t) for t in ("0", "7", "12", "123", "-1200", "0.0012", "239.88")] == [1, 2, 2, 3, 2, 2, 4]
    assert item_bytes({"UnitSold": {"N": "12"}, "OrderId": {"S": "1"}}) == 8 + 2 + 7 + 1


def test_every_type_is_sized_as_dynamodb_counts_it() -> None:
    """CapacityUnitCalculations.html: B raw bytes, BOOL/NULL 1, sets their items, L/M 3 + 1 per element."""
    assert item_bytes({"b": {"B": "aGVsbG8="}}) == 1 + 5
    assert item_bytes({"t": {"BOOL": True}, "n": {"NULL": True}}) == 2 + 2
    assert item_bytes({"s": {"SS": ["ab", "漢"]}, "n": {"NS": ["12", "0.5"]}}) == 1 + 5 + 1 + 4
    assert item_bytes({"l": {"L": [{"S": "ab"}, {"N": "7"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    assert item_bytes({"m": {"M": {"k": {"S": "ab"}, "e": {"M": {}}}}}) == 1 + 3 + (1 + 1 + 2) + (1 + 1 + 3)
