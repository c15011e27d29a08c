"""docs/contract.md is the contract people read: it must name what the code uses."""

from pathlib import Path

import pytest
from offload_contract import env, jobs, layout, metrics

DOC = (Path(__file__).resolve().parents[2] / "docs" / "contract.md").read_text()


def names(module: object) -> list[str]:
    return [v for k, v in vars(module).items() if k.isupper() and isinstance(v, str)]


@pytest.mark.parametrize("name", names(env) + names(jobs) + names(metrics))
def test_every_name_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC, name


def test_layout_defaults_are_documented() -> None:
    for prefix in (layout.DEFAULT_INPUT_PREFIX, layout.DEFAULT_OUTPUT_PREFIX, layout.DEFAULT_REJECTED_PREFIX):
        assert f"`{prefix}`" in DOC
    assert layout.REJECTS_SUFFIX in DOC


def test_task_overrides_are_the_documented_seven() -> None:
    """The six every task gets, then SCHEMA_KEY (only when a schema routed the file), as documented."""
    assert env.TASK_OVERRIDES == (
        "S3_BUCKET_NAME", "S3_KEY", "STATUS_KEY", "JOB_ID", "JOBS_TABLE", "TABLE_NAME", "SCHEMA_KEY"
    )
    documented = (
        "The dispatcher passes `S3_BUCKET_NAME`, `S3_KEY`, `STATUS_KEY`, `JOB_ID`, `JOBS_TABLE`\nand `TABLE_NAME`"
    )
    assert documented in DOC and "`SCHEMA_KEY` when a schema routed the file" in DOC
