"""The per-column memo of a generated encoder stays small in bytes, whatever the cells' sizes."""

from __future__ import annotations

from offload_worker.schema import memo


def test_a_long_cell_is_not_remembered_and_the_memo_is_bounded_by_characters() -> None:
    cells: dict[str, str] = {}
    fill = memo.remembered(lambda text: "{" + text + "}", cells)
    big = "x" * 100_000
    assert fill(big) == "{" + big + "}" and cells == {}  # parsed, not kept
    kept = 0
    for n in range(20_000):
        cell = f"{n:0200d}"
        assert fill(cell) == "{" + cell + "}"
        kept = max(kept, sum(len(k) + len(v) for k, v in cells.items()))
    assert 0 < kept <= memo.MEMO_CHARS
    assert cells[cell] == "{" + cell + "}"  # the latest is remembered
