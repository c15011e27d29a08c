"""The row loop under a schema: an encoder's unexpected error for one row is that row's reject, not the job's end."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

import pytest
from offload_worker.batch_writer import WriteStats
from offload_worker.load import Loader


class Kept:
    def __init__(self) -> None:
        self.items: list[str] = []

    def put(self, key: str, item: str) -> None:
        self.items.append(key)

    def close(self) -> WriteStats:
        return WriteStats()

    def abort(self) -> None:
        pass


class Failing:
    """Encodes every row but the one whose cell is "boom", which raises `error` as a bug would."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def encode(self, record: Any, line: int = 0) -> tuple[str, str, str]:
        if record[0] == "boom":
            raise self.error
        return record[0], '{"id":{"S":"' + record[0] + '"}}', record[0] + "\n"


@pytest.mark.parametrize("error", [TypeError("not JSON serializable"), InvalidOperation(), ValueError("odd")])
def test_an_unexpected_encoder_error_rejects_only_its_row(error: Exception) -> None:
    rejects: list[tuple[int, str, str]] = []
    writes = Kept()
    loader = Loader(Failing(error), "last", writes, lambda *_: None, lambda *r: rejects.append(r))
    loader.load([(2, ["a"]), (3, ["boom"]), (4, ["b"])])
    counts = loader.finish()
    assert (counts.rows, counts.loaded, counts.rejected) == (3, 2, 1) and writes.items == ["a", "b"]
    ((line, reason, raw),) = rejects
    assert line == 3 and raw == "boom"
    assert reason.startswith(f"internal: the schema encoder failed on this row ({type(error).__name__}")


def test_an_error_outside_the_narrow_set_still_fails_the_job() -> None:
    loader = Loader(Failing(KeyError("x")), "last", Kept(), lambda *_: None, lambda *_: None)
    with pytest.raises(KeyError):
        loader.load([(2, ["boom"])])


@pytest.mark.parametrize("policy", ["first", "reject"])
def test_first_and_reject_keep_few_keys_in_memory_and_decide_as_with_all(
    policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past FirstLines.in_memory keys, the rest are kept on disk (SQLite): memory stays flat, no decision changes."""
    from offload_worker import duplicates

    class Echo:
        def encode(self, record: Any, line: int = 0) -> tuple[str, str, str]:
            return record[0], "{}", record[0] + "\n"

    rows = [(n + 2, (f"k{(n * 7919) % 3000}",)) for n in range(9000)]  # each key thrice, spread out

    def run(limit: int) -> tuple[list[str], list[tuple[int, str, str]], int, int]:
        monkeypatch.setattr(duplicates.FirstLines, "in_memory", limit)
        writes, rejects = Kept(), []
        loader = Loader(Echo(), policy, writes, lambda *_: None, lambda *r: rejects.append(r))
        loader.load(rows)
        held = len(loader._seen._memory)  # the bound is the point
        return writes.items, rejects, loader.finish().duplicate, held

    unbounded, bounded = run(10**9), run(100)
    assert bounded[:3] == unbounded[:3] and len(unbounded[0]) == 3000 and unbounded[2] == 6000
    assert bounded[3] == 100


def test_keys_on_disk_may_hold_a_lone_surrogate() -> None:
    from offload_worker.duplicates import FirstLines

    seen = FirstLines()
    seen.in_memory = 0
    assert [seen.first("a\ud800", 2), seen.first("a\udcff", 3), seen.first("a\ud800", 4)] == [2, 3, 2]
    seen.close()


def test_a_rejected_rows_raw_text_is_in_the_files_own_dialect() -> None:
    from offload_worker.schema import load_schema

    text = b"""schema: 1
file: {format: csv, delimiter: ";"}
table:
  partition_key: {attribute: id, type: S, value: id}
columns:
  - {name: id, type: string}
  - {name: name, type: string}
  - {name: qty, type: integer}
"""
    encoder = load_schema(text, "s.yaml").compile(["id", "name", "qty"], bucket="b", key="k", etag="e")
    rejects: list[tuple[int, str, str]] = []
    loader = Loader(encoder, "last", Kept(), lambda *_: None, lambda *r: rejects.append(r))
    loader.load([(2, ["S1", "Shirt, blue", "x"]), (3, ["S2", 'say "hi"; now', "y"]), (4, ["S3", "\ud800", "z"])])
    assert [raw for _line, _reason, raw in rejects] == ["S1;Shirt, blue;x", 'S2;"say ""hi""; now";y', "S3;\\ud800;z"]
