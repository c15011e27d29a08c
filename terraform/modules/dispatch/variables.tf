variable "name" {
  description = "Prefix for every resource name."
  type        = string
}

variable "bucket_id" {
  description = "Bucket whose input prefix starts jobs."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of that bucket (the only sender the queue accepts)."
  type        = string
}

variable "input_prefix" {
  description = "Uploads under this prefix notify the dispatcher (it refuses, with a reason, names it cannot load)."
  type        = string
}

variable "environment" {
  description = "Dispatcher settings (names from docs/contract.md)."
  type        = map(string)
}

variable "lambda_zip" {
  description = "Path of the dispatcher zip built by `make lambda-zip`."
  type        = string
}

variable "lambda_runtime" {
  description = "Python runtime of the dispatcher functions."
  type        = string
  default     = "python3.12"

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.lambda_runtime))
    error_message = "lambda_runtime must be a Python runtime such as python3.12."
  }
}

variable "lambda_timeout" {
  description = "Seconds one dispatcher invocation may take; null: sized from batch_size and max_shards (see main.tf)."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_timeout == null || (coalesce(var.lambda_timeout, 30) >= 10 && coalesce(var.lambda_timeout, 30) <= 900)
    error_message = "lambda_timeout must be from 10 to 900 seconds (Lambda's limit), or null to size it from batch_size and max_shards."
  }
}

variable "max_shards" {
  description = "Most shard tasks one file starts (MAX_SHARDS): the dispatcher's timeout is sized from it."
  type        = number
  default     = 16

  validation {
    condition     = var.max_shards >= 1 && var.max_shards <= 100 && floor(var.max_shards) == var.max_shards
    error_message = "max_shards must be a whole number from 1 to 100."
  }
}

variable "batch_size" {
  description = "SQS messages per dispatcher invocation."
  type        = number
  default     = 10
}

variable "max_concurrency" {
  description = "Most dispatcher invocations the SQS event source runs at once."
  type        = number
  default     = 5

  validation {
    condition     = var.max_concurrency >= 2 && var.max_concurrency <= 1000
    error_message = "max_concurrency must be between 2 and 1000 (an SQS event source limit)."
  }
}

variable "max_receive_count" {
  description = "Deliveries of one event before it moves to the dead-letter queue."
  type        = number
  default     = 10
}

variable "cluster_arn" {
  description = "ECS cluster the dispatcher starts tasks in."
  type        = string
}

variable "task_definition_families" {
  description = "Worker task definition families RunTask may start (one per site)."
  type        = list(string)

  validation {
    condition     = length(var.task_definition_families) >= 1
    error_message = "task_definition_families names at least one family."
  }
}

variable "pass_role_arns" {
  description = "The worker's task and execution roles: the only roles the dispatcher may pass."
  type        = list(string)
}

variable "jobs_table_arn" {
  description = "ARN of the jobs table (the ledger)."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep the dispatcher's logs."
  type        = number
  default     = 30
}

variable "event_retry_attempts" {
  description = "Times EventBridge retries delivering an event to a function before the task-stopped one goes to the events DLQ."
  type        = number
  default     = 185

  validation {
    condition     = var.event_retry_attempts >= 0 && var.event_retry_attempts <= 185 && floor(var.event_retry_attempts) == var.event_retry_attempts
    error_message = "event_retry_attempts must be a whole number from 0 to 185 (EventBridge's limits)."
  }
}

variable "event_max_age_seconds" {
  description = "How long EventBridge keeps retrying an event, in seconds."
  type        = number
  default     = 86400

  validation {
    condition     = var.event_max_age_seconds >= 60 && var.event_max_age_seconds <= 86400
    error_message = "event_max_age_seconds must be from 60 to 86400 (EventBridge's limits)."
  }
}
