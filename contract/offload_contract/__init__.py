"""The one contract between the dispatcher, the worker and the operator CLI.

docs/contract.md describes it for people; tests/unit/test_contract_doc.py keeps
the two in step. Nothing here imports boto3: the Lambda bundle and the worker
image both carry this package as it is.
"""

from offload_contract import env, jobs, layout, metrics, shards
from offload_contract.ids import confirmation_id, confirmation_ids, job_id

__all__ = ["confirmation_id", "confirmation_ids", "env", "job_id", "jobs", "layout", "metrics", "shards"]
