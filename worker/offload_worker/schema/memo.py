"""The per-file caches a generated encoder looks values up in: a cell's value depends on its text only.

A cache is a plain dict the generated line reads (`cache.get(cell) or fill(cell)`); fill parses,
stores and answers, and empties the dict when it is full, so memory stays flat whatever the file.
A rejected cell raises before it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring_ascii as json_string
from typing import Any

_DATE_CACHE_LIMIT = 1 << 16  # dates repeat across rows; the cache stays small
_MEMO_LIMIT = 1 << 12  # other cells' values: a few thousand a column (a JSON map's can be long)


def cached_date(parse: Callable[[Any], str], cache: dict[str, str], quoted: bool) -> Callable[[str], str]:
    def fill(text: str) -> str:
        if len(cache) >= _DATE_CACHE_LIMIT:
            cache.clear()
        found = cache[text] = ('{"S":' + json_string(parse(text)) + "}") if quoted else f'{{"N":"{parse(text)}"}}'
        return found

    return fill


def remembered(parse: Callable[[Any], str], memo: dict[str, str]) -> Callable[[str], str]:
    """parse, remembering the last _MEMO_LIMIT cells' values (a rejected cell is not remembered)."""

    def fill(text: str) -> str:
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        found = memo[text] = parse(text)
        return found

    return fill
