variable "name" {
  description = "Name of the stack; prefixes every resource."
  type        = string
  default     = "offload"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the cloud side."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

variable "bucket_name" {
  description = "Input/output bucket name; null lets AWS pick a unique one from var.name."
  type        = string
  default     = null
}

variable "orders_table_name" {
  description = "DynamoDB table of loaded orders; null: \"<name>-orders\". A stack applied before this default keeps its table with \"Order\" (otherwise the plan replaces the table)."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let make destroy delete the bucket with its objects in it."
  type        = bool
  default     = false
}

variable "versioning" {
  description = "Keep every version of uploaded files (S3 versioning); each upload is then its own job, identical bytes included."
  type        = bool
  default     = false
}

variable "access_log_bucket" {
  description = "Bucket for S3 server access logs of the stack's bucket (it must let logging.s3.amazonaws.com write, and cannot have object lock); null: none. Turns versioning on."
  type        = string
  default     = null
}

variable "access_log_prefix" {
  description = "Key prefix of the access logs in access_log_bucket; the stack bucket's name and '/' follow it."
  type        = string
  default     = "s3-access-logs/"
}

variable "object_lock" {
  description = "Object lock on the stack's bucket with this default retention ({ mode = \"GOVERNANCE\" | \"COMPLIANCE\", days = N }); null: off. Turns versioning on; cannot be undone once applied."
  type = object({
    mode = string
    days = number
  })
  default = null
}

variable "input_prefix" {
  description = "Key prefix that starts jobs."
  type        = string
  default     = "incoming/"

  validation {
    condition     = !startswith(var.input_prefix, "schemas/")
    error_message = "input_prefix must not begin with \"schemas/\": the stack keeps its schema objects there, and they must start no job."
  }
}

variable "output_prefix" {
  description = "Key prefix of output files."
  type        = string
  default     = "processed/"
}

variable "rejected_prefix" {
  description = "Key prefix of rejects reports."
  type        = string
  default     = "rejected/"
}

variable "input_suffixes" {
  description = "Suffixes of keys that start jobs."
  type        = list(string)
  default     = [".csv"]
}

variable "lambda_zip" {
  description = "Dispatcher zip; null means build/dispatcher.zip beside this directory (make lambda-zip)."
  type        = string
  default     = null
}

variable "lambda_runtime" {
  description = "Python runtime of the dispatcher functions."
  type        = string
  default     = "python3.12"
}

variable "dispatcher_max_concurrency" {
  description = "Most dispatcher invocations at once."
  type        = number
  default     = 5
}

variable "worker_image" {
  description = "Worker image URI; null uses the stack's ECR repository at worker_image_tag."
  type        = string
  default     = null
}

variable "worker_image_tag" {
  description = "Tag in the stack's ECR repository (make image pushes the git commit)."
  type        = string
  default     = "latest"
}

variable "worker_cpu" {
  description = "CPU units for the worker container."
  type        = number
  default     = 512
}

variable "worker_memory" {
  description = "Memory limit of the worker container, MiB."
  type        = number
  default     = 512
}

variable "placement_constraint" {
  description = "ECS cluster query language expression every worker task must satisfy, e.g. 'attribute:site == dc1' (register-instance.sh sets OFFLOAD_INSTANCE_ATTRIBUTES); null: any instance."
  type        = string
  default     = null

  validation {
    condition     = var.placement_constraint == null || try(length(trimspace(var.placement_constraint)) > 0 && length(var.placement_constraint) <= 2000, false)
    error_message = "placement_constraint must be null or a non-empty expression of at most 2000 characters."
  }
}

variable "sites" {
  description = "Sites as trust domains: name => { attributes (placement: every task of the site runs only on hosts with these attributes), prefix (its files' sub-prefix below input_prefix, e.g. \"dc1/\") }. Each site gets its own task role (reads only its inputs, writes only its results and staged parts), task definition and activation. {}: one implicit site taking every input."
  type = map(object({
    attributes = map(string)
    prefix     = string
  }))
  default = {}

  validation {
    condition     = alltrue([for name, _ in var.sites : can(regex("^[a-z][a-z0-9]{0,9}$", name))])
    error_message = "each site's name is 1-10 lowercase letters or digits, starting with a letter (it goes into IAM role names, at most 64 characters)."
  }

  validation {
    condition     = alltrue([for _, s in var.sites : can(regex("^[A-Za-z0-9_.-][A-Za-z0-9_.=-]*/$", s.prefix))])
    error_message = "each site's prefix is a non-empty sub-prefix ending with '/' (e.g. \"dc1/\"), of letters, digits, '_', '.', '-', '='."
  }

  validation {
    condition     = alltrue([for a, sa in var.sites : alltrue([for b, sb in var.sites : a == b || !startswith(sb.prefix, sa.prefix)])])
    error_message = "sites' prefixes must not overlap: no site's prefix may begin with another site's."
  }

  validation {
    condition = alltrue(flatten([for _, s in var.sites : [for k, v in s.attributes :
    can(regex("^[A-Za-z0-9_./-]{1,128}$", k)) && can(regex("^[A-Za-z0-9_.@/:-]{1,128}$", v))]]))
    error_message = "placement attribute names are 1-128 letters, digits, '_', '.', '/', '-'; values the same plus '@' and ':' (ECS attributes)."
  }
}

variable "schemas" {
  description = "Declared file types (docs/schemas.md): name => { file (path of the schema's YAML), prefix (its files' sub-prefix below input_prefix, or below each site's prefix when `sites` is set, e.g. \"events/\"), table (an existing table's name; null: the stack creates \"<name>-<schema>\" with the schema's keys), suffixes (names that start a job, e.g. [\".jsonl\", \".jsonl.gz\"]; null: input_suffixes) }. A file under no schema's prefix fails, saying so. {}: every file is an orders CSV (the worker's built-in schema) into the orders table."
  type = map(object({
    file     = string
    prefix   = string
    table    = optional(string)
    suffixes = optional(list(string))
  }))
  default = {}

  validation {
    condition     = alltrue([for name, _ in var.schemas : can(regex("^[a-z][a-z0-9-]{0,39}$", name))])
    error_message = "each schema's name is 1-40 lowercase letters, digits or '-', starting with a letter (it names its table and its object's key)."
  }

  validation {
    condition     = alltrue([for _, s in var.schemas : can(regex("^([A-Za-z0-9_=-][A-Za-z0-9_.=-]*/)+$", s.prefix))])
    error_message = "each schema's prefix is a non-empty sub-prefix ending with '/' (e.g. \"events/\"), of letters, digits, '_', '.', '-', '=' (no segment starting with '.')."
  }

  validation {
    condition     = alltrue([for a, sa in var.schemas : alltrue([for b, sb in var.schemas : a == b || !startswith(sb.prefix, sa.prefix)])])
    error_message = "schemas' prefixes must not overlap: no schema's prefix may begin with another schema's."
  }

  validation {
    condition     = alltrue([for _, s in var.schemas : fileexists(s.file)])
    error_message = "each schema's file must be a file that exists: a relative path is from the directory terraform runs in (terraform/; the twin's copy runs elsewhere, so give it an absolute path)."
  }

  validation {
    condition = alltrue([for _, s in var.schemas : s.table != null || try(
      contains(["S", "N", "B", false], yamldecode(file(s.file)).table.partition_key.type) && length(yamldecode(file(s.file)).table.partition_key.attribute) > 0,
    false)]) # false: yamldecode's YAML 1.1 reads a bare N as a boolean
    error_message = "a schema without a table declares its keys: the stack creates its table from table.partition_key {attribute, type S|N|B} (and table.sort_key) of its file."
  }

  validation {
    condition     = alltrue(flatten([for _, s in var.schemas : [for x in coalesce(s.suffixes, [".csv"]) : can(regex("^\\.[A-Za-z0-9_.-]+$", x))]]))
    error_message = "each schema's suffixes are names' endings such as \".jsonl\" or \".jsonl.gz\": a '.' then letters, digits, '_', '.', '-'."
  }
}

variable "worker_gpus" {
  description = "GPUs each worker task needs (hosts joined with --enable-gpu); 0: none."
  type        = number
  default     = 0

  validation {
    condition     = var.worker_gpus >= 0 && var.worker_gpus <= 8 && floor(var.worker_gpus) == var.worker_gpus
    error_message = "worker_gpus must be a whole number from 0 to 8."
  }
}

variable "write_concurrency" {
  description = "BatchWriteItem requests the worker keeps in flight (its window shrinks while DynamoDB throttles): 64 x 25 items at 25 ms is 64,000 rows/s, above a table's default quota."
  type        = number
  default     = 64

  validation {
    condition     = var.write_concurrency >= 1 && var.write_concurrency <= 256
    error_message = "write_concurrency must be from 1 to 256."
  }
}

variable "worker_processes" {
  description = "Load processes per task; null: the host CPUs the task may use (its affinity and cgroup quota)."
  type        = number
  default     = null

  validation {
    condition     = var.worker_processes == null || try(var.worker_processes >= 1 && var.worker_processes <= 64, false)
    error_message = "worker_processes must be null or from 1 to 64."
  }
}

variable "instance_count" {
  description = "On-prem machines the SSM activation admits."
  type        = number
  default     = 1
}

variable "activation_expiry_hours" {
  description = "Hours the SSM activation stays valid."
  type        = number
  default     = 24
}

variable "log_retention_days" {
  description = "Days to keep logs."
  type        = number
  default     = 30
}

variable "alarms_enabled" {
  description = "Create the CloudWatch alarms (DLQ not empty, Lambda errors, jobs stuck RUNNING, agent disconnected, backlog older than backlog_alarm_minutes) and their SNS topic."
  type        = bool
  default     = true
}

variable "alarm_email" {
  description = "An address to subscribe to the alarm topic (it must confirm the subscription); null for none."
  type        = string
  default     = null
}

variable "alarm_notify_ok" {
  description = "Also notify the alarm topic when an alarm returns to OK."
  type        = bool
  default     = false
}

variable "dashboard_enabled" {
  description = "Create a CloudWatch dashboard of the pipeline (jobs, rows, throttling, backlog, DLQ, agents, Lambda errors)."
  type        = bool
  default     = true
}

variable "reconcile_after_seconds" {
  description = "The watchdog looks up in ECS the tasks of a QUEUED or RUNNING job whose record has not changed for this long: a task whose events were lost is ended as its stopped event would have ended it."
  type        = number
  default     = 600

  validation {
    condition     = var.reconcile_after_seconds >= 1 && var.reconcile_after_seconds == floor(var.reconcile_after_seconds)
    error_message = "reconcile_after_seconds must be a whole number of seconds, at least 1."
  }
}

variable "stuck_after_minutes" {
  description = "A job RUNNING longer than this counts as stuck (the jobs-stuck-running alarm)."
  type        = number
  default     = 60

  validation {
    condition     = var.stuck_after_minutes >= 1
    error_message = "stuck_after_minutes must be at least 1."
  }
}

variable "backlog_alarm_minutes" {
  description = "Alarm (the backlog-too-old alarm) when a job has waited for capacity longer than this many minutes."
  type        = number
  default     = 30

  validation {
    condition     = var.backlog_alarm_minutes >= 1 && var.backlog_alarm_minutes == floor(var.backlog_alarm_minutes)
    error_message = "backlog_alarm_minutes must be a whole number of minutes, at least 1."
  }
}

variable "shard_bytes" {
  description = "A file this size (bytes) or larger runs as several shard tasks spread over the instances, one per shard_bytes, at most max_shards. Default 256 MiB."
  type        = number
  default     = 268435456

  validation {
    condition     = var.shard_bytes >= 1 && floor(var.shard_bytes) == var.shard_bytes
    error_message = "shard_bytes must be a whole number of bytes >= 1."
  }
}

variable "max_shards" {
  description = "Most shard tasks one file runs as; 1: every file is one task."
  type        = number
  default     = 16

  validation {
    condition     = var.max_shards >= 1 && var.max_shards <= 100 && floor(var.max_shards) == var.max_shards
    error_message = "max_shards must be a whole number from 1 to 100."
  }
}
