import pytest
from offload_worker.errors import ConfigError
from offload_worker.settings import Settings

BASE = {"AWS_REGION": "us-east-1", "S3_BUCKET_NAME": "b", "S3_KEY": "incoming/a.csv"}


def test_processes_and_concurrency_are_bounded() -> None:
    settings = Settings.from_env({**BASE, "WORKER_PROCESSES": "3", "WRITE_CONCURRENCY": "200"})
    assert (settings.processes, settings.write_concurrency) == (3, 200)
    with pytest.raises(ConfigError, match="WORKER_PROCESSES='0' must be a whole number of at least 1"):
        Settings.from_env({**BASE, "WORKER_PROCESSES": "0"})


def test_a_shard_task_needs_its_whole_shard_and_the_jobs_table() -> None:
    shard = {"SHARD_INDEX": "1", "SHARD_COUNT": "3", "SHARD_RANGE": "100-200", "JOBS_TABLE": "jobs"}
    assert Settings.from_env({**BASE, **shard}).shard == (1, 3, 100, 200)
    assert Settings.from_env(BASE).shard is None
    for broken, says in (({"SHARD_RANGE": ""}, "must all be set"), ({"SHARD_INDEX": "3"}, "below SHARD_COUNT"),
                         ({"SHARD_RANGE": "200-100"}, "START < END"), ({"JOBS_TABLE": ""}, "needs JOBS_TABLE")):
        with pytest.raises(ConfigError, match=says):
            Settings.from_env({**BASE, **shard, **broken})
