from pathlib import Path

import pytest
from offload_worker.errors import ConfigError
from offload_worker.settings import Settings, usable_cpus

BASE = {"AWS_REGION": "us-east-1", "S3_BUCKET_NAME": "b", "S3_KEY": "incoming/a.csv"}


@pytest.mark.parametrize(("quota", "expected"), [("max 100000", None), ("100000 100000", 1), ("150000 100000", 2)])
def test_usable_cpus_follows_the_cgroup_quota(tmp_path: Path, quota: str, expected: int | None) -> None:
    limit = tmp_path / "cpu.max"
    limit.write_text(quota + "\n")
    assert usable_cpus(str(limit)) == min(expected or 999, usable_cpus(str(tmp_path / "absent")))


def test_processes_and_concurrency_are_bounded() -> None:
    settings = Settings.from_env({**BASE, "WORKER_PROCESSES": "3", "WRITE_CONCURRENCY": "200"})
    assert (settings.processes, settings.write_concurrency) == (3, 200)
    with pytest.raises(ConfigError, match="WORKER_PROCESSES='0' must be a whole number from 1 to 64"):
        Settings.from_env({**BASE, "WORKER_PROCESSES": "0"})
