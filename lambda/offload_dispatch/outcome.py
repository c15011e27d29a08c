"""Whether a task that exited 0 finished its job: the worker's report checked against S3.

The worker only reports (docs/contract.md "Who writes the record"); what it says is believed only
once the output object is where the contract puts it, with the ETag reported and bytes when rows
loaded. HeadObject needs s3:GetObject on the results (the dispatch module grants it).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from offload_contract import jobs
from offload_contract.layout import Layout

# What the report may carry into the job record once it checks out
_SUMMARY = (
    jobs.STARTED_AT,
    jobs.ROWS_TOTAL,
    jobs.ROWS_LOADED,
    jobs.ROWS_REJECTED,
    jobs.ROWS_DUPLICATE,
    jobs.OUTPUT_KEY,
    jobs.REJECTS_KEY,
    jobs.DURATION_MS,
    jobs.THROTTLED_MS,
    jobs.REASON,  # a loaded file's notes
)
NO_REPORT = "the worker reported no summary; its output was found at the contract's key"


class Outputs:
    def __init__(self, s3: Any, layout: Layout) -> None:
        self._s3, self._layout = s3, layout

    def _head(self, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            return dict(self._s3.head_object(Bucket=bucket, Key=key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _problem(self, bucket: str, key: str, etag: Any, need_bytes: bool, what: str) -> str:
        head = self._head(bucket, key)
        if head is None:
            return f"{what} s3://{bucket}/{key} is missing"
        found, reported = str(head.get("ETag", "")).strip('"'), str(etag or "").strip('"')
        if found != reported:
            return f"{what} s3://{bucket}/{key} has ETag {found}, not the reported {reported or '(none)'}"
        if need_bytes and int(head.get("ContentLength", 0)) == 0:
            return f"{what} s3://{bucket}/{key} is empty"
        return ""

    def check(self, bucket: str, key: str, report: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """(the fields to record with SUCCEEDED, the problem: empty when the results check out) for the
        input s3://bucket/key, from the task's own overrides, never from the report."""
        output = self._layout.output_key(key)
        if report.get(jobs.REPORTED_STATUS) not in (jobs.REPORTED_LOADED, jobs.REPORTED_ASSEMBLED):
            if self._head(bucket, output) is None:
                return {}, f"the worker reported nothing and there is no output at s3://{bucket}/{output}"
            return {jobs.OUTPUT_KEY: output, jobs.REASON: NO_REPORT}, ""
        if report.get(jobs.OUTPUT_KEY) != output:
            return {}, f"the reported output {report.get(jobs.OUTPUT_KEY)!r} is not this job's output {output!r}"
        loaded = int(report.get(jobs.ROWS_LOADED, 0)) > 0
        problem = self._problem(bucket, output, report.get(jobs.OUTPUT_ETAG), loaded, "output")
        rejects = report.get(jobs.REJECTS_KEY)
        if not problem and rejects:
            if rejects != self._layout.rejects_key(key):
                return {}, f"the reported rejects report {rejects!r} is not this job's"
            problem = self._problem(bucket, str(rejects), report.get(jobs.REJECTS_ETAG), True, "rejects report")
        if problem:
            return {}, problem
        return {name: report[name] for name in _SUMMARY if name in report}, ""
