"""Plain-text helpers the status and fleet tables share."""

from __future__ import annotations


def age(seconds: float) -> str:
    """12s, 5m, 3h: how long ago, in the coarsest unit that still says something."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


# What must not reach a terminal raw from a key or a reason (anyone who can upload names the key):
# C0 controls (ESC starts escape sequences that retitle, recolour or rewrite the screen; CR and BS
# overwrite what was shown), DEL, C1 controls (0x9b is a one-byte CSI), and the Unicode bidi controls
# and line separators that reorder or break what is shown (Trojan Source, CVE-2021-42574).
_BIDI = (0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))} | {c: f"\\u{c:04x}" for c in _BIDI}


def printable(text: object) -> str:
    """`text` as one terminal line: each character above shown as its escape (`\\x1b`, `\\u202e`)."""
    return str(text).translate(_ESCAPES)
