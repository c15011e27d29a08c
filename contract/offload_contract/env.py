"""Environment variable names. Where the workshop had a name, it is kept."""

S3_BUCKET_NAME = "S3_BUCKET_NAME"  # worker: the input file's (override); dispatcher: the only bucket it acts on
S3_KEY = "S3_KEY"  # already URL-decoded: exactly the key as stored in S3
STATUS_KEY = "STATUS_KEY"  # the object's ETag, as S3 reported it in the event
JOB_ID = "JOB_ID"
TABLE_NAME = "TABLE_NAME"
JOBS_TABLE = "JOBS_TABLE"
INPUT_PREFIX = "INPUT_PREFIX"
OUTPUT_PREFIX = "OUTPUT_PREFIX"
REJECTED_PREFIX = "REJECTED_PREFIX"
# The S3 key (same bucket) of the schema the task loads with; unset: the built-in orders schema
SCHEMA_KEY = "SCHEMA_KEY"
SITE_PREFIX = "SITE_PREFIX"  # the worker's site's input sub-prefix: its shards stage their parts below it
INPUT_SUFFIXES = "INPUT_SUFFIXES"  # comma-separated, e.g. ".csv"
WRITE_CONCURRENCY = "WRITE_CONCURRENCY"
WORKER_PROCESSES = "WORKER_PROCESSES"  # load processes; default: what the task was given (CPUs, memory)
WORKER_CPU_UNITS = "WORKER_CPU_UNITS"  # the task definition's CPU units for the worker (1024 = 1 vCPU)
WRITE_DEADLINE_SECONDS = "WRITE_DEADLINE_SECONDS"
JOB_TTL_DAYS = "JOB_TTL_DAYS"
PROGRESS_SECONDS = "PROGRESS_SECONDS"  # how often the worker records a running job's progress
STUCK_AFTER_SECONDS = "STUCK_AFTER_SECONDS"  # the watchdog's "stuck RUNNING" threshold
RECONCILE_AFTER_SECONDS = "RECONCILE_AFTER_SECONDS"  # the watchdog asks ECS about a job this quiet
# A shard task's part of a sharded job (task overrides; absent on a whole-file task)
SHARD_INDEX = "SHARD_INDEX"  # 0-based
SHARD_COUNT = "SHARD_COUNT"
SHARD_RANGE = "SHARD_RANGE"  # "START-END": the bytes whose rows this shard loads, END exclusive
SHARD_WAIT_SECONDS = "SHARD_WAIT_SECONDS"  # how long a shard waits for the previous one's boundary

# Dispatcher only
CLUSTER_NAME = "CLUSTER_NAME"
TASK_DEFINITION = "TASK_DEFINITION"
CONTAINER_NAME = "CONTAINER_NAME"
PLACEMENT_CONSTRAINT = "PLACEMENT_CONSTRAINT"  # ECS cluster query language, for every RunTask; empty: none
SCHEMAS = "SCHEMAS"  # JSON: schema name -> {prefix, key, digest, table, suffixes, whole_file}; unset: all orders
SITES = "SITES"  # JSON: site name -> {prefix, task_definition, placement_constraint}; unset: one site, all inputs
SHARD_BYTES = "SHARD_BYTES"  # a file this size or larger runs as several shard tasks
MAX_SHARDS = "MAX_SHARDS"  # at most this many; 1: never shard

# The overrides the dispatcher passes to every task, in this order (SCHEMA_KEY only when a schema routed the
# file: unset, the worker loads with the built-in orders schema); a shard task has SHARD_OVERRIDES too.
TASK_OVERRIDES = (S3_BUCKET_NAME, S3_KEY, STATUS_KEY, JOB_ID, JOBS_TABLE, TABLE_NAME, SCHEMA_KEY)
SHARD_OVERRIDES = (SHARD_INDEX, SHARD_COUNT, SHARD_RANGE)

DEFAULT_TABLE_NAME = "Order"
DEFAULT_WRITE_CONCURRENCY = 64  # 64 x 25 items / 25 ms RTT = 64,000 rows/s ideal, above the table quota
MAX_WRITE_CONCURRENCY = 256
MAX_WORKER_PROCESSES = 64
DEFAULT_WRITE_DEADLINE_SECONDS = 300
DEFAULT_JOB_TTL_DAYS = 30
DEFAULT_PROGRESS_SECONDS = 5
DEFAULT_STUCK_AFTER_SECONDS = 3600
DEFAULT_RECONCILE_AFTER_SECONDS = 600
DEFAULT_INPUT_SUFFIXES = (".csv",)
DEFAULT_SHARD_BYTES = 256 << 20
DEFAULT_MAX_SHARDS = 16
MAX_MAX_SHARDS = 100
DEFAULT_SHARD_WAIT_SECONDS = 120
