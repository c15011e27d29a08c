"""The format readers: a file's bytes (plain or gzip) -> (line number, record) rows, as the
schema's `file` section declares them: csv (list[str] records) or jsonl (dict records)."""
