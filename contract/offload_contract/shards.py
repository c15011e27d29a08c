"""How a large file is cut into shards (docs/contract.md): one rule for the dispatcher,
the worker and `offload rerun`."""

from __future__ import annotations

import itertools


def plan(size: int, shard_bytes: int, max_shards: int) -> list[tuple[int, int]]:
    """The byte ranges (start, end exclusive) of a file's shards; one range when it is not sharded.
    A shard loads the rows that start in its range, wherever they end."""
    if max_shards <= 1 or size < shard_bytes or size <= 1:
        return [(0, size)]
    count = min(max_shards, -(-size // shard_bytes))
    cuts = [size * i // count for i in range(count + 1)]
    return list(itertools.pairwise(cuts))


def client_token(job_id: str, index: int, attempt: int = 0) -> str:
    """RunTask's clientToken for one shard: a repeated call returns the same task (at most 64 chars)."""
    return f"{job_id}-{index}" + (f"-rerun-{attempt}" if attempt else "")


def parse_range(text: str) -> tuple[int, int]:
    start, _, end = text.partition("-")
    if not (start.isdigit() and end.isdigit()) or int(start) >= int(end):
        raise ValueError(f"shard range {text!r} must be START-END with START < END")
    return int(start), int(end)
