"""Keys and reasons are anyone's text: they reach the operator's terminal with every control character escaped."""

from __future__ import annotations

import io
import re

import pytest
from offload.commands.render import job_bars, live_status, show
from offload.lib.jobs.status import Backlog, table
from offload.lib.text import printable
from offload_contract import jobs
from rich.console import Console

NOW = 1_800_000_000
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
HOSTILE_KEY = "incoming/\x1b]0;pwned\x07\x1b[2J\u202eosc.exe\x9b31m[link=http://evil.example]x[/link].csv"
HOSTILE_REASON = "fine\rFAKE: all SUCCEEDED\x08\x7f\n"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("a\rb\nc\td\x08\x07\x00", "a\\x0db\\x0ac\\x09d\\x08\\x07\\x00"),
        ("\x7f\x85\x9b", "\\x7f\\x85\\x9b"),
        ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
        (
            "\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028",
            "\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c\\u2028",
        ),
    ],
)
def test_control_characters_are_shown_as_escapes(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_ordinary_text_is_unchanged() -> None:
    text = "incoming/2026/São Paulo batch ✓ 東京 (1).csv: 3 rows rejected; see \\x41"
    assert printable(text) == text


def _job(key: str, reason: str) -> dict[str, object]:
    return {jobs.JOB_ID: "a" * 32, jobs.KEY: key, jobs.STATUS: jobs.FAILED, jobs.REASON: reason, jobs.CREATED_AT: NOW}


def test_the_status_table_escapes_keys_and_reasons() -> None:
    shown = table([_job(HOSTILE_KEY, HOSTILE_REASON), _job("incoming/ok.csv", "")], NOW)
    assert not RAW.search(shown.replace("\n", "")), repr(shown)
    header, hostile, ordinary = shown.split("\n")
    assert printable(HOSTILE_KEY) in hostile and hostile.endswith(printable(HOSTILE_REASON))
    assert header.index("JOB") == hostile.index("a" * 12) == ordinary.index("a" * 12)  # still aligned


def _rendered(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=400, force_terminal=True, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_bars_and_the_live_table_escape_keys_reasons_and_rich_markup() -> None:
    bars = job_bars()
    bar = bars.add_task("", total=100, detail="")
    show(bars, bar, HOSTILE_KEY, _job(HOSTILE_KEY, HOSTILE_REASON))
    running = {**_job(HOSTILE_KEY, ""), jobs.STATUS: jobs.RUNNING}
    for out in (
        _rendered(bars.make_tasks_table(bars.tasks)),
        _rendered(live_status([running], Backlog((), 1, 0), NOW, "")),
    ):
        assert "\x1b]" not in out and "\x07" not in out and "\u202e" not in out and "\x9b" not in out, repr(out)
        assert "[link=http://evil.example]x[/link]" in out  # shown as text, not made a hyperlink
