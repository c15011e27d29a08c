"""`offload activation --code-file`: the code is never readable by others, not even while it is written."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

import pytest
from offload.lib.fleet import activation


def _modes_while_writing(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The mode of the file each write lands in, taken at the moment of writing."""
    seen: list[int] = []
    real_fdopen = os.fdopen

    def fdopen(descriptor: int, *args: Any, **kwargs: Any) -> IO[Any]:
        handle = real_fdopen(descriptor, *args, **kwargs)
        write = handle.write

        def checked(text: str) -> int:
            seen.append(stat.S_IMODE(os.fstat(descriptor).st_mode))
            return write(text)

        handle.write = checked  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(os, "fdopen", fdopen)
    return seen


def test_the_code_goes_only_into_a_0600_file_even_over_a_world_readable_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code_file = tmp_path / "offload" / "activation-code"
    code_file.parent.mkdir()
    code_file.write_text("an older code")
    code_file.chmod(0o644)
    seen = _modes_while_writing(monkeypatch)
    activation.write_code_file(code_file, "AbCdEf0123456789wxyz")
    assert seen == [0o600]
    assert code_file.read_text() == "AbCdEf0123456789wxyz"
    assert stat.S_IMODE(code_file.stat().st_mode) == 0o600
    assert [p.name for p in code_file.parent.iterdir()] == ["activation-code"]  # nothing staged left behind


def test_a_symlink_at_the_path_is_replaced_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "public.txt"
    target.write_text("")
    target.chmod(0o644)
    link = tmp_path / "activation-code"
    link.symlink_to(target)
    activation.write_code_file(link, "AbCdEf0123456789wxyz")
    assert target.read_text() == "" and not link.is_symlink()
    assert stat.S_IMODE(link.stat().st_mode) == 0o600
