"""One large file as several shard tasks (docs/contract.md, "Sharded jobs").

Each shard task loads the rows that start in its byte range: `boundary` finds exactly where
they start, `spool` fetches the range once, `keys` and `assemble` let the last shard to finish
turn the shards' staged parts into the job's results (`finalize`), `record` keeps the job record.
"""
