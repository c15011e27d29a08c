"""date and datetime cells: an input format (strptime's directives) -> ISO-8601 text or an epoch number.

The format is compiled to one regex (strptime itself is slow and lenient about widths), and
named in its messages the way people write it (`%m/%d/%Y` is M/D/YYYY), as the orders loader did.
`iso` reads ISO-8601 (date.fromisoformat / datetime.fromisoformat). A datetime without an
offset is taken as UTC when it becomes an epoch number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from offload_worker.errors import RowRejected
from offload_worker.schema.shown import shown

# directive: (regex group, how the message writes it)
_DIRECTIVES = {
    "Y": (r"(?P<Y>[0-9]{4})", "YYYY"),
    "y": (r"(?P<y>[0-9]{2})", "YY"),
    "m": (r"(?P<m>[0-9]{1,2})", "M"),
    "d": (r"(?P<d>[0-9]{1,2})", "D"),
    "H": (r"(?P<H>[0-9]{1,2})", "hh"),
    "M": (r"(?P<M>[0-9]{2})", "mm"),
    "S": (r"(?P<S>[0-9]{2})", "ss"),
    "f": (r"(?P<f>[0-9]{1,6})", "ffffff"),
    "z": (r"(?P<z>Z|[+-][0-9]{2}:?[0-9]{2})", "+hh:mm"),
}
DateParser = Callable[[Any], str]


def format_problem(text: str, with_time: bool) -> str | None:
    """Why a format cannot be used, or None."""
    if text == "iso":
        return None
    try:
        pattern, _form = _compile(text)
    except ValueError as error:
        return str(error)
    needed = ("Y", "m", "d") if not with_time else ("Y", "m", "d", "H", "M")
    missing = [f"%{d}" for d in needed if f"(?P<{d}>" not in pattern and not (d == "Y" and "(?P<y>" in pattern)]
    return f"lacks {', '.join(missing)}" if missing else None


def _compile(text: str) -> tuple[str, str]:
    pattern, form, rest = "", "", text
    while rest:
        char, rest = rest[0], rest[1:]
        if char != "%":
            pattern, form = pattern + re.escape(char), form + char
            continue
        directive, rest = rest[:1], rest[1:]
        if directive == "%":
            pattern, form = pattern + "%", form + "%"
        elif directive in _DIRECTIVES:
            if f"(?P<{directive}>" in pattern:
                raise ValueError(f"has %{directive} twice")
            group, written = _DIRECTIVES[directive]
            pattern, form = pattern + group, form + written
        else:
            raise ValueError(f"%{directive} is not supported: use %Y %y %m %d %H %M %S %f %z or iso")
    return pattern, form


def date_parser(name: str, fmt: str, with_time: bool, epoch: bool) -> DateParser:
    """A cell -> its ISO-8601 text, or its epoch seconds as text."""
    kind = "date and time" if with_time else "date"
    if fmt == "iso":
        read = datetime.fromisoformat if with_time else date.fromisoformat
        form = "ISO-8601"
        regex = None
    else:
        pattern, form = _compile(fmt)
        regex = re.compile(pattern)

    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise RowRejected(f"{name} {shown(value)} is not a {kind} in {form} form")
        text = value.strip()
        if regex is None:
            try:
                moment = read(text)
            except ValueError:
                raise RowRejected(f"{name} {shown(value)} is not a {kind} in {form} form") from None
        else:
            match = regex.fullmatch(text)
            if match is None:
                raise RowRejected(f"{name} {shown(value)} is not a {kind} in {form} form")
            try:
                moment = _moment(match.groupdict(), with_time)
            except ValueError:
                raise RowRejected(f"{name} {shown(value)} is not a real date") from None
        return _epoch(moment) if epoch else moment.isoformat()

    return parse


def _moment(parts: dict[str, str | None], with_time: bool) -> date | datetime:
    if parts.get("Y"):
        year = int(parts["Y"] or 0)
    else:  # %y as strptime reads it (POSIX): 69-99 are 1969-1999, 00-68 are 2000-2068
        short = int(parts["y"] or 0)
        year = short + (1900 if short >= 69 else 2000)
    day = date(year, int(parts["m"] or 0), int(parts["d"] or 0))
    if not with_time:
        return day
    offset = parts.get("z")
    zone = None
    if offset:
        zone = UTC if offset == "Z" else _zone(offset)
    micro = int((parts.get("f") or "0").ljust(6, "0"))
    return datetime(
        day.year, day.month, day.day, int(parts["H"] or 0), int(parts["M"] or 0), int(parts.get("S") or 0), micro, zone
    )


def _zone(offset: str) -> timezone:
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-delta if offset[0] == "-" else delta)


def _epoch(moment: date | datetime) -> str:
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    since = moment - datetime(1970, 1, 1, tzinfo=UTC)
    whole = since.days * 86400 + since.seconds
    if not since.microseconds:
        return str(whole)
    return format((Decimal(whole) + Decimal(since.microseconds).scaleb(-6)).normalize(), "f")


def epoch_seconds(text: str) -> int:
    """A date/datetime column's value (ISO text or epoch text) as whole epoch seconds (for a TTL)."""
    if "-" not in text[1:]:  # an epoch number: 1616198400 or -86400.5
        return int(Decimal(text))
    moment: date | datetime = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    return int(Decimal(_epoch(moment)))
