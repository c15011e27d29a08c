"""Environment variable names. Where the workshop had a name, it is kept."""

S3_BUCKET_NAME = "S3_BUCKET_NAME"
S3_KEY = "S3_KEY"  # already URL-decoded: exactly the key as stored in S3
STATUS_KEY = "STATUS_KEY"  # the object's ETag, as S3 reported it in the event
JOB_ID = "JOB_ID"
TABLE_NAME = "TABLE_NAME"
JOBS_TABLE = "JOBS_TABLE"
INPUT_PREFIX = "INPUT_PREFIX"
OUTPUT_PREFIX = "OUTPUT_PREFIX"
REJECTED_PREFIX = "REJECTED_PREFIX"
INPUT_SUFFIXES = "INPUT_SUFFIXES"  # comma-separated, e.g. ".csv"
WRITE_CONCURRENCY = "WRITE_CONCURRENCY"
WORKER_PROCESSES = "WORKER_PROCESSES"  # load processes; default: the CPUs the task may use
WRITE_DEADLINE_SECONDS = "WRITE_DEADLINE_SECONDS"
JOB_TTL_DAYS = "JOB_TTL_DAYS"
PROGRESS_SECONDS = "PROGRESS_SECONDS"  # how often the worker records a running job's progress
STUCK_AFTER_SECONDS = "STUCK_AFTER_SECONDS"  # the watchdog's "stuck RUNNING" threshold

# Dispatcher only
CLUSTER_NAME = "CLUSTER_NAME"
TASK_DEFINITION = "TASK_DEFINITION"
CONTAINER_NAME = "CONTAINER_NAME"
PLACEMENT_CONSTRAINT = "PLACEMENT_CONSTRAINT"  # ECS cluster query language, for every RunTask; empty: none

# The overrides the dispatcher passes to every task, in this order.
TASK_OVERRIDES = (S3_BUCKET_NAME, S3_KEY, STATUS_KEY, JOB_ID, JOBS_TABLE, TABLE_NAME)

DEFAULT_TABLE_NAME = "Order"
DEFAULT_WRITE_CONCURRENCY = 64  # 64 x 25 items / 25 ms RTT = 64,000 rows/s ideal, above the table quota
MAX_WRITE_CONCURRENCY = 256
MAX_WORKER_PROCESSES = 64
DEFAULT_WRITE_DEADLINE_SECONDS = 300
DEFAULT_JOB_TTL_DAYS = 30
DEFAULT_PROGRESS_SECONDS = 5
DEFAULT_STUCK_AFTER_SECONDS = 3600
DEFAULT_INPUT_SUFFIXES = (".csv",)
