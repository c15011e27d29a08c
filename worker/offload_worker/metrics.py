"""The job's figures as CloudWatch Embedded Metric Format on stdout, through Powertools Metrics.

On ECS Anywhere the task's stdout goes to CloudWatch Logs (awslogs), which turns these lines into
metrics in the Offload namespace, dimension Cluster (docs/contract.md): the dashboard's source.
"""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from offload_contract import metrics as names

from offload_worker.results import Result


def emit(cluster: str, result: Result | None) -> None:
    """One EMF line for a finished job: `result` for a loaded file, None for a failed one."""
    figures = Metrics(namespace=names.NAMESPACE)
    figures.set_default_dimensions(**{names.DIMENSION: cluster})
    figures.add_metric(name=names.JOBS_SUCCEEDED, unit=MetricUnit.Count, value=1 if result else 0)
    figures.add_metric(name=names.JOBS_FAILED, unit=MetricUnit.Count, value=0 if result else 1)
    if result is not None:
        seconds = max(result.duration_ms, 1) / 1000
        figures.add_metric(name=names.ROWS_LOADED, unit=MetricUnit.Count, value=result.rows_loaded)
        figures.add_metric(name=names.ROWS_REJECTED, unit=MetricUnit.Count, value=result.rows_rejected)
        figures.add_metric(
            name=names.ROWS_PER_SECOND, unit=MetricUnit.CountPerSecond, value=result.rows_total / seconds
        )
        figures.add_metric(name=names.THROTTLED_MS, unit=MetricUnit.Milliseconds, value=result.throttled_ms)
        figures.add_metric(name=names.DURATION_MS, unit=MetricUnit.Milliseconds, value=result.duration_ms)
    figures.flush_metrics()
