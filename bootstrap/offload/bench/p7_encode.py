"""P7's measuring process: one encoder over one CSV file's rows, in rows per CPU-second.

`handwritten` is today's orders path before issue 24 (orders.RowEncoder and the lines of
load.Loader that made the item and the output line), imported from a worktree of that commit
(PYTHONPATH); `schema` is a schema's compiled encoder from this tree. Both time the same
step, a row's fields to (key, wire item, output line), on rows parsed before the clock starts.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Encode = Callable[[list[str]], Any]
BUCKET, KEY, ETAG = "bench-bucket", "incoming/p7.csv", '"p7-etag"'


def handwritten(header: list[str]) -> tuple[Encode, type[Exception]]:
    """The orders encoding as main's Loader did it per row (worker/offload_worker/load.py at 5254b8b)."""
    from json.encoder import encode_basestring_ascii as json_string

    from offload_contract import confirmation_ids
    from offload_worker.load import FORMULA_STARTS, report_line  # type: ignore[attr-defined, unused-ignore]
    from offload_worker.orders import Header, RowEncoder, RowRejected  # type: ignore[import-not-found, unused-ignore]

    encode = RowEncoder(Header.parse(header)).encode
    confirm = confirmation_ids(BUCKET, KEY, ETAG)
    per_file = ',"SourceKey":{"S":' + json_string(KEY) + "}}"
    needs_quotes = frozenset(',"\r\n')

    def row(fields: list[str]) -> tuple[str, str, str]:
        order_id, attributes = encode(fields)
        confirmation = confirm(order_id)
        item = "{" + attributes + ',"ConfirmationId":{"S":"' + confirmation + '"}' + per_file
        if order_id[0] in FORMULA_STARTS or needs_quotes.intersection(order_id):
            return order_id, item, report_line((order_id, confirmation))
        return order_id, item, order_id + "," + confirmation + "\n"

    return row, RowRejected


def compiled(header: list[str], schema_path: str | None) -> tuple[Encode, type[Exception]]:
    from offload_worker.errors import RowRejected
    from offload_worker.schema import builtin_schema, load_schema

    schema = load_schema(Path(schema_path).read_bytes(), schema_path) if schema_path else builtin_schema()
    encode: Encode = schema.compile(header, bucket=BUCKET, key=KEY, etag=ETAG).encode
    return encode, RowRejected


def rows_per_cpu_second(
    make: Callable[[], tuple[Encode, type[Exception]]], rows: list[list[str]], repeats: int
) -> tuple[float, int]:
    """The best of `repeats` passes (the least disturbed by other work on the machine), and the rejects.
    Each pass has an encoder of its own, made before its clock starts: its caches start empty, as a file's do."""
    best, rejected = float("inf"), 0
    for _ in range(repeats):
        encode, rejected_type = make()
        rejected = 0
        began = time.process_time()
        for fields in rows:
            try:
                encode(fields)
            except rejected_type:
                rejected += 1
        best = min(best, time.process_time() - began)
    return len(rows) / max(best, 1e-9), rejected


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("handwritten", "schema"))
    parser.add_argument("csv")
    parser.add_argument("--schema")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with open(args.csv, newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))

    def make() -> tuple[Encode, type[Exception]]:
        return handwritten(header) if args.mode == "handwritten" else compiled(header, args.schema)

    rate, rejected = rows_per_cpu_second(make, rows, args.repeats)
    import offload_worker

    print(
        json.dumps(
            {
                "rows_per_cpu_s": rate,
                "rows": len(rows),
                "rejected": rejected,
                "worker": str(Path(offload_worker.__file__).parent),
            }
        )
    )


if __name__ == "__main__":
    main()
