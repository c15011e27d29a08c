"""The generated encoder's check of the table's secondary-index keys (Schema.index_keys, from DescribeTable)."""

from __future__ import annotations

from offload_worker.schema.codegen import Columns, Source
from offload_worker.schema.model import Schema


def index_checks(schema: Schema, src: Source, columns: Columns) -> None:
    """A value the item sends for a secondary-index key must not be empty or null: DynamoDB would
    refuse the item and its whole batch (offload_worker/index_keys.py). An omitted one is fine."""
    indexed = {attribute: index for attribute, _type, index in schema.index_keys}
    for column in schema.columns:
        index, policy = indexed.get(column.attribute), columns.policy(column, False)
        if index is None or policy == "omit" or (policy is None and columns.jsonl):
            continue
        message = (
            f"{column.name} is empty, but {column.attribute} keys the table's index {index}, where DynamoDB "
            "refuses an empty or null value: fill it, or declare `empty: omit` to leave the row out of the index"
        )
        src.add(f"if not {columns.text[column.name]}:")
        src.add(f"raise RowRejected({message!r})", 2)
