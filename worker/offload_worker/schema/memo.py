"""The per-file caches a generated encoder looks values up in: a cell's value depends on its text only.

A cache is a plain dict the generated line reads (`cache.get(cell) or fill(cell)`); fill parses,
stores and answers, and empties the dict when it is full (by count, and for other cells by
characters), so memory stays flat whatever the file.
A rejected cell raises before it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring_ascii as json_string
from typing import Any

_DATE_CACHE_LIMIT = 1 << 16  # dates repeat across rows; the cache stays small
_MEMO_LIMIT = 1 << 12  # other cells' values: a few thousand a column
_MEMO_CELL_CHARS = 1024
MEMO_CHARS = 1 << 21  # 2 Mi characters a column (a few MB), whatever the cells


def cached_date(parse: Callable[[Any], str], cache: dict[str, str], quoted: bool) -> Callable[[str], str]:
    def fill(text: str) -> str:
        if len(cache) >= _DATE_CACHE_LIMIT:
            cache.clear()
        found = cache[text] = ('{"S":' + json_string(parse(text)) + "}") if quoted else f'{{"N":"{parse(text)}"}}'
        return found

    return fill


def remembered(parse: Callable[[Any], str], memo: dict[str, str]) -> Callable[[str], str]:
    """parse, remembering cells' values: at most _MEMO_LIMIT of them and MEMO_CHARS characters of cell
    and value together (a column of 300 KB JSON cells must not hold gigabytes); a cell longer than
    _MEMO_CELL_CHARS is parsed each time (a long cell rarely repeats). A rejected cell is not remembered."""
    held = 0

    def fill(text: str) -> str:
        nonlocal held
        found = parse(text)
        if len(text) <= _MEMO_CELL_CHARS:
            size = len(text) + len(found)
            if len(memo) >= _MEMO_LIMIT or held + size > MEMO_CHARS:
                memo.clear()
                held = 0
            memo[text] = found
            held += size
        return found

    return fill
