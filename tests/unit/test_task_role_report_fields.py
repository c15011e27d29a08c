"""The task role's jobs-table UpdateItem names exactly the contract's worker fields (the cluster
module's `terraform test` checks the rendered policy; this keeps its list and the contract's one)."""

from __future__ import annotations

import re

from offload.lib.paths import terraform_dir
from offload_contract import jobs


def test_the_task_roles_dynamodb_attributes_are_the_contracts_worker_fields() -> None:
    main = (terraform_dir() / "modules" / "cluster" / "main.tf").read_text()
    statement = main[main.index('sid       = "ReportJob"') :]
    condition = statement[statement.index('variable = "dynamodb:Attributes"') :]
    values = condition[condition.index("values") : condition.index("]")]
    assert re.findall(r'"([^"]+)"', values) == list(jobs.WORKER_FIELDS)
    assert jobs.STATUS not in jobs.WORKER_FIELDS and jobs.JOB_ID in jobs.WORKER_FIELDS  # the key must be listed
