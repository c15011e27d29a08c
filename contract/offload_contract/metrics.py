"""CloudWatch metrics in the Offload namespace: who emits which, with dimension Cluster.

The worker emits its per-job figures as Embedded Metric Format lines on stdout (awslogs ships
them; CloudWatch Logs turns them into metrics); the watchdog function puts its own. The
dashboard and the alarms (terraform/) name only these.
"""

NAMESPACE = "Offload"
DIMENSION = "Cluster"

# Worker, once per job
JOBS_SUCCEEDED = "JobsSucceeded"
JOBS_FAILED = "JobsFailed"
ROWS_LOADED = "RowsLoaded"
ROWS_REJECTED = "RowsRejected"
ROWS_PER_SECOND = "RowsPerSecond"
THROTTLED_MS = "ThrottledMs"
DURATION_MS = "DurationMs"
WORKER_METRICS = (JOBS_SUCCEEDED, JOBS_FAILED, ROWS_LOADED, ROWS_REJECTED, ROWS_PER_SECOND, THROTTLED_MS, DURATION_MS)

# Watchdog, every 5 minutes
JOBS_STUCK_RUNNING = "JobsStuckRunning"
JOBS_STUCK_QUEUED = "JobsStuckQueued"
AGENTS_DISCONNECTED = "AgentsDisconnected"
AGENTS_CONNECTED = "AgentsConnected"
WATCHDOG_METRICS = (JOBS_STUCK_RUNNING, JOBS_STUCK_QUEUED, AGENTS_DISCONNECTED, AGENTS_CONNECTED)

# The backlog (docs/contract.md "The backlog"), from the Backlog index
JOBS_WAITING = "JobsWaiting"  # jobs in the backlog
OLDEST_WAIT_SECONDS = "OldestWaitSeconds"  # how long the head of the line has waited; 0 when none waits
BACKLOG_METRICS = (JOBS_WAITING, OLDEST_WAIT_SECONDS)
