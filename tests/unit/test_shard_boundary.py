"""Shard boundaries are exact: the rows of every shard, put together, are the rows one reader finds,
with the same line numbers and the same rejects, wherever the cuts fall."""

from __future__ import annotations

import csv
import io
import itertools
import random
from collections.abc import Iterator

import pytest
from offload_contract.shards import plan
from offload_worker.formats.csv_rows import read_rows, rows_from
from offload_worker.shards.boundary import FILE_START, Entry, advance, byte_lines, follow, line_start, summarize

# Pieces a file is made of: quoted newlines (LF, CRLF, CR), doubled quotes, stray and unclosed
# quotes, a BOM and bad UTF-8 inside, blank lines, and fields past the (lowered) field limit.
PIECES = [
    b"a,b\n",
    b'"x\ny",z\n',
    b'"q""\r\n",w\r\n',
    b"c,d\r",
    b'e"f,g\n',
    b'"unclosed,h\n',
    b"\n",
    b'"a"b,c\n',
    b"\xef\xbb\xbfk,l\n",
    b"\xff\xfe,m\n",
    b",,\n",
    b'"multi\n\nline\n",end\n',
    b'"',
    b"x",
    b"\r\n",
    b"\r",
    b'"' + b"y" * 40 + b"\n" + b"y" * 30 + b'",z\n',
    b'"' + b"w" * 70 + b"\n",
]
FIELD_LIMIT = 64  # so that fields over the limit, and the rows the reader drops after one, are common


@pytest.fixture(autouse=True)
def _small_field_limit() -> Iterator[None]:
    saved = csv.field_size_limit(FIELD_LIMIT)
    yield
    csv.field_size_limit(saved)


def _shown(rows: Iterator[tuple[int, object]]) -> list[tuple[int, object]]:
    return [(line, fields if isinstance(fields, list) else str(fields)) for line, fields in rows]


def one_reader(data: bytes) -> list[tuple[int, object]]:
    return _shown(read_rows(io.BytesIO(data))[1])


FOLLOWED = {"summaries": 0, "parsed again": 0}


def sharded(data: bytes, count: int) -> list[tuple[int, object]]:
    """As the shard tasks do it: each summarizes its range, follows the summaries before it to its
    entry (parsing a range again where only that can tell), then reads its own rows."""
    size, ranges = len(data), plan(len(data), 1, count)
    starts = [line_start(data, 0, start, size) or 0 for start, _end in ranges] + [size]
    summaries = [summarize(lambda a=a, b=b: [data[a:b]], a, b) for a, b in itertools.pairwise(starts)]
    entry, found = FILE_START, []
    for index, summary in enumerate(summaries):
        following = follow(entry, summary)
        FOLLOWED["summaries" if following else "parsed again"] += 1
        exact = advance(byte_lines([data[entry.offset : summary.stop]]), entry)
        assert following in (None, exact)
        if index == 0:
            rows = read_rows(io.BytesIO(data))[1]
        else:
            rows = rows_from(io.BytesIO(data[entry.offset :]), entry.offset, entry.line, entry.prefix())
        found += _shown(rows if index == len(ranges) - 1 else _until(rows, exact.line))
        entry = exact
    return found


def _until(rows: Iterator[tuple[int, object]], line: int) -> Iterator[tuple[int, object]]:
    for row in rows:
        if row[0] >= line:
            return
        yield row


def test_random_hostile_files_cut_anywhere_give_the_rows_one_reader_gives() -> None:
    rng = random.Random(20261123)
    compared = 0
    for _ in range(1500):
        data = (
            b"\xef\xbb\xbf" * rng.randint(0, 1)
            + b"h1,h2\n"
            + b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
        )
        expected = one_reader(data)
        for count in (2, 3, 5, 8):
            assert sharded(data, count) == expected, (count, data)
            compared += 1
    assert compared == 6000
    # With the field limit at 64, fields near it cross cuts often: both ways are taken.
    assert FOLLOWED["parsed again"] > 0 and FOLLOWED["summaries"] > 5 * FOLLOWED["parsed again"], FOLLOWED


def test_line_starts_follow_the_readers_line_breaks() -> None:
    data = b"ab\r\ncd\ref\n"
    assert [line_start(data, 0, p, len(data)) for p in range(len(data) + 1)] == [0, 4, 4, 4, 4, 7, 7, 7, 10, 10, 10]
    assert line_start(b"\r", 5, 6, 100) is None  # a \r at the data's end may be half of a \r\n


def test_an_open_quoted_field_is_handed_on_with_its_length() -> None:
    following = advance(byte_lines([b'h\n"abc\n']), FILE_START)
    assert following == Entry(offset=7, line=3, quoted=4)  # "abc\n" is open: 4 characters
    assert following.prefix() == '"xxxx'
