"""`offload status` shows the backlog: waiting N (oldest wait), running M, each waiting job's place in line,
read from the Backlog index through a stub of the jobs table (no AWS)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from offload.commands.render import live_status
from offload.lib.jobs.status import Backlog, status_text, waited
from offload.lib.jobs.store import Stack
from offload_contract import jobs
from offload_contract.layout import Layout
from rich.console import Console

NOW = 1_800_000_000
INDEXES = {
    jobs.BACKLOG_INDEX: (jobs.WAITING_LINE, jobs.WAITING_SINCE),
    jobs.STATUS_INDEX: (jobs.STATUS, jobs.UPDATED_AT),
}
PAGE = 2  # items per page: every read must follow LastEvaluatedKey


def _typed(value: Any) -> dict[str, Any]:
    return {"N": str(value)} if isinstance(value, int) else {"S": str(value)}


class JobsTableStub:
    """The jobs table as DynamoDB answers Scan and Query (sparse indexes, paging, Select=COUNT, projections)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = [{name: _typed(value) for name, value in item.items()} for item in items]
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def scan(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("scan", request))
        return self._page(self.items, request)

    def query(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("query", request))
        hash_name, range_name = INDEXES[request["IndexName"]]
        ((wanted,),) = [list(request["ExpressionAttributeValues"].values())]
        assert request["ExpressionAttributeNames"][request["KeyConditionExpression"].split()[0]] == hash_name
        found = sorted(
            (item for item in self.items if item.get(hash_name) == wanted),  # an item without the key is not indexed
            key=lambda item: int(item[range_name]["N"]),
            reverse=not request.get("ScanIndexForward", True),
        )
        if "ProjectionExpression" in request:
            names = {
                request["ExpressionAttributeNames"].get(n.strip(), n.strip())
                for n in request["ProjectionExpression"].split(",")
            }
            found = [{k: v for k, v in item.items() if k in names} for item in found]
        page = self._page(found, request)
        return (
            {
                "Count": len(page["Items"]),
                **({"LastEvaluatedKey": page["LastEvaluatedKey"]} if "LastEvaluatedKey" in page else {}),
            }
            if request.get("Select") == "COUNT"
            else page
        )

    @staticmethod
    def _page(items: list[dict[str, Any]], request: dict[str, Any]) -> dict[str, Any]:
        start = int(request.get("ExclusiveStartKey", {"at": {"N": "0"}})["at"]["N"])
        page: dict[str, Any] = {"Items": items[start : start + PAGE]}
        if start + PAGE < len(items):
            page["LastEvaluatedKey"] = {"at": {"N": str(start + PAGE)}}
        return page

    def get_paginator(self, operation: str) -> Any:
        stub = self

        class Paginator:
            def paginate(self, **request: Any) -> Iterator[dict[str, Any]]:
                while True:
                    page = getattr(stub, operation)(**request)
                    yield page
                    if "LastEvaluatedKey" not in page:
                        return
                    request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}

        return Paginator()


@dataclass(frozen=True)
class StubStack(Stack):
    """A stack whose jobs table is the stub; status needs no other service without the DLQ note."""

    stub: JobsTableStub | None = None

    def client(self, service: str) -> Any:
        assert service == "dynamodb"
        return self.stub


def _stack(items: list[dict[str, Any]]) -> tuple[StubStack, JobsTableStub]:
    stub = JobsTableStub(items)
    stack = StubStack(
        region="us-east-1", bucket="b", layout=Layout(), jobs_table="jobs", orders_table="Order", dlq_url="", stub=stub
    )
    return stack, stub


def _waiting(job_id: str, waited_seconds: int, **more: Any) -> dict[str, Any]:
    return {
        jobs.JOB_ID: job_id,
        jobs.KEY: f"incoming/{job_id}.csv",
        jobs.STATUS: jobs.WAITING_FOR_CAPACITY,
        jobs.CREATED_AT: NOW - waited_seconds,
        jobs.UPDATED_AT: NOW,
        jobs.REASON: "RunTask: RESOURCE:MEMORY",
        jobs.WAITING_LINE: jobs.BACKLOG_LINE,
        jobs.WAITING_SINCE: (NOW - waited_seconds) * 1000,
        **more,
    }


def _job(job_id: str, status: str) -> dict[str, Any]:
    return {
        jobs.JOB_ID: job_id,
        jobs.KEY: f"incoming/{job_id}.csv",
        jobs.STATUS: status,
        jobs.CREATED_AT: NOW - 300,
        jobs.UPDATED_AT: NOW - 1,
    }


def _row(shown: str, job_id: str) -> str:
    (line,) = [line for line in shown.splitlines() if line.startswith(f"incoming/{job_id}.csv ")]
    return line


def test_status_shows_waiting_oldest_wait_running_and_each_waiting_jobs_place() -> None:
    stack, stub = _stack(
        [
            _waiting("third", 5),
            _job("run1", jobs.RUNNING),
            _waiting("first", 192),
            _job("done", jobs.SUCCEEDED),
            _waiting("second", 60),
            _job("run2", jobs.RUNNING),
            _job("run3", jobs.RUNNING),
            _job("start", jobs.QUEUED),
        ]
    )
    shown = status_text(stack, now=NOW, with_dead_letters=False)
    assert shown.splitlines()[0] == "backlog: waiting 3 (oldest 3m12s), running 3, starting 1"
    assert _row(shown, "first").endswith("#1 in line; RunTask: RESOURCE:MEMORY")
    assert _row(shown, "second").endswith("#2 in line; RunTask: RESOURCE:MEMORY")
    assert _row(shown, "third").endswith("#3 in line; RunTask: RESOURCE:MEMORY")
    assert "in line" not in _row(shown, "run1") + _row(shown, "done") + _row(shown, "start")
    backlog_reads = [r for op, r in stub.calls if r.get("IndexName") == jobs.BACKLOG_INDEX]
    assert backlog_reads and all(op == "query" for op, r in stub.calls if r.get("IndexName"))
    assert len(backlog_reads) == 2  # 3 waiting, 2 a page: the line is read to its end, page by page


def test_a_sharded_job_with_a_shard_waiting_has_its_place_and_equal_arrivals_share_one() -> None:
    sharded = _waiting("big", 30, **{jobs.STATUS: jobs.RUNNING, jobs.REASON: ""})
    stack, _ = _stack([_waiting("a", 90), _waiting("b", 90), sharded, _job("other", jobs.RUNNING)])
    shown = status_text(stack, now=NOW, with_dead_letters=False)
    assert shown.splitlines()[0] == "backlog: waiting 3 (oldest 1m30s), running 2"
    assert _row(shown, "a").endswith("#1 in line; RunTask: RESOURCE:MEMORY")
    assert _row(shown, "b").endswith("#1 in line; RunTask: RESOURCE:MEMORY")
    assert _row(shown, "big").endswith("#3 in line")


def test_no_backlog_says_so() -> None:
    stack, _ = _stack([_job("done", jobs.SUCCEEDED)])
    assert status_text(stack, now=NOW, with_dead_letters=False).splitlines()[0] == "backlog: waiting 0, running 0"


def test_wait_is_shown_to_the_second_then_the_minute() -> None:
    assert [waited(s) for s in (0, 59, 60, 192, 3599, 3600, 7500)] == [
        "0s",
        "59s",
        "1m00s",
        "3m12s",
        "59m59s",
        "1h00m",
        "2h05m",
    ]


def test_watch_shows_the_backlog_line_and_places() -> None:
    rows = [_waiting("first", 192), _job("run1", jobs.RUNNING)]
    line = Backlog(({jobs.JOB_ID: "first", jobs.WAITING_SINCE: (NOW - 192) * 1000},), running=1, starting=0)
    console = Console(file=io.StringIO(), width=200)
    console.print(live_status(rows, line, NOW, "Ctrl-C to stop watching"))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "backlog: waiting 1 (oldest 3m12s), running 1" in shown and "#1 in line" in shown
