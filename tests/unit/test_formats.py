"""The format readers: csv in a schema's dialect, JSON Lines, gzip by its first bytes, BOMs."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from offload_worker.errors import FileRejected, RowRejected
from offload_worker.formats.reader import Reader
from offload_worker.shards.boundary import Entry, byte_lines, follow, line_start


@dataclass(frozen=True)
class Spec:
    format: str = "csv"
    delimiter: str = ","
    quote: str = '"'
    header: tuple[str, ...] | None = None
    dynamodb_json: bool = False


def read(spec: Spec, data: bytes) -> tuple[list[str] | None, list[tuple[int, Any]]]:
    header, rows = Reader(spec).open(io.BytesIO(data))  # type: ignore[arg-type]
    return header, [(line, str(r) if isinstance(r, RowRejected) else r) for line, r in rows]


def test_semicolon_csv_with_a_bom_and_its_own_quote() -> None:
    data = "\ufeffa;b\r\n'x;y';2\r\n\r\n3;'it''s'\r\n".encode()
    assert read(Spec(delimiter=";", quote="'"), data) == (["a", "b"], [(2, ["x;y", "2"]), (4, ["3", "it's"])])


def test_a_given_header_list_reads_every_line_as_a_row() -> None:
    expected = (["a", "b"], [(1, ["1", "2"]), (2, ["3", "4"])])
    assert read(Spec(delimiter="\t", header=("a", "b")), b"1\t2\n3\t4\n") == expected


def test_gzip_is_read_from_its_first_bytes_whatever_the_name() -> None:
    assert read(Spec(), gzip.compress(b"a,b\n1,2\n")) == (["a", "b"], [(2, ["1", "2"])])


def test_a_broken_gzip_fails_the_file_in_one_line() -> None:
    with pytest.raises(FileRejected, match="gzip-compressed but not valid gzip"):
        read(Spec(), gzip.compress(b"a,b\n1,2\n" * 1000)[:-30])


def test_json_lines_keep_numbers_exact_and_reject_what_is_no_object_with_its_line() -> None:
    data = b'\xef\xbb\xbf{"n": 1.50, "i": 7}\n\n[1]\n{"x": \n"text"\n{"bad": "\xff"}\r\n{"ok": true}'
    header, rows = read(Spec(format="jsonl"), data)
    assert header is None
    assert rows == [
        (1, {"n": Decimal("1.50"), "i": Decimal(7)}),
        (3, "line is an array, not a JSON object: write one object per line"),
        (4, "line is not valid JSON: Expecting value at column 8"),
        (5, "line is a string, not a JSON object: write one object per line"),
        (6, "line is not UTF-8 text (byte 0xff): export the file as UTF-8"),
        (7, {"ok": True}),
    ]


def test_dynamodb_json_lines_are_unwrapped_from_item() -> None:
    data = b'{"Item": {"id": {"S": "a"}}}\n{"id": {"S": "b"}}\n'
    assert read(Spec(format="jsonl", dynamodb_json=True), data)[1] == [(1, {"id": {"S": "a"}}), (2, {"id": {"S": "b"}})]


@pytest.mark.parametrize("cut", range(1, 48, 5))
def test_a_json_lines_shard_starts_at_the_next_line_start(cut: int) -> None:
    data = b'{"a": 1}\n{"a": 22}\r\n\n{"a": 333}\n{"a": 4444}\n'
    reader = Reader(Spec(format="jsonl"))
    stop = line_start(data, 0, cut, len(data))  # where a shard cut at `cut` begins
    assert stop is not None
    summary = reader.summarize(lambda: [data[:stop]], 0, stop)
    entry = follow(Entry(0, 1), summary)
    assert entry is not None and entry == reader.advance(byte_lines([data[:stop]]), Entry(0, 1))
    whole = list(reader.open(io.BytesIO(data))[1])  # type: ignore[arg-type]
    rest = list(reader.rows_at(io.BytesIO(data[entry.offset :]), entry))  # type: ignore[arg-type]
    assert rest == [row for row in whole if row[0] >= entry.line]


def test_json_lines_use_one_decoder_made_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """json.loads with options builds a decoder per call (~3 us a line): the reader must not call it."""
    import json as json_module
    from decimal import Decimal

    from offload_worker.formats.jsonl_rows import jsonl_rows

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("json.loads called per line")

    monkeypatch.setattr(json_module, "loads", refuse)
    rows = list(jsonl_rows(['{"n": 1.50}', "[1]", "{bad"], dynamodb_json=False))
    assert rows[0] == (1, {"n": Decimal("1.50")})
    assert [str(r) for _n, r in rows[1:]] == [
        "line is an array, not a JSON object: write one object per line",
        "line is not valid JSON: Expecting property name enclosed in double quotes at column 2",
    ]


def test_a_json_line_with_an_unpaired_surrogate_escape_is_a_rejected_row() -> None:
    from offload_worker.errors import RowRejected
    from offload_worker.formats.jsonl_rows import jsonl_rows

    lines = ['{"a": "x\\ud800"}', '{"a": ["\\uDFFF"]}', '{"a": "\\ud83d\\ude00"}']  # the last: a pair, one emoji
    rows = list(jsonl_rows(lines, dynamodb_json=False))
    assert [isinstance(r, RowRejected) for _n, r in rows] == [True, True, False]
    assert "unpaired UTF-16 surrogate" in str(rows[0][1]) and rows[2][1] == {"a": "\U0001f600"}
