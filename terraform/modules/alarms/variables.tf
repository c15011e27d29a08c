variable "name" {
  description = "Prefix for the topic and alarm names."
  type        = string
}

variable "backlog_alarm_minutes" {
  description = "Alarm when a job has waited for capacity longer than this (the watchdog's OldestWaitSeconds)."
  type        = number
  default     = 30

  validation {
    condition     = var.backlog_alarm_minutes >= 1 && var.backlog_alarm_minutes == floor(var.backlog_alarm_minutes)
    error_message = "backlog_alarm_minutes must be a whole number of minutes, at least 1."
  }
}

variable "dlq_name" {
  description = "Dead-letter queue of the dispatcher's events."
  type        = string
}

variable "task_events_dlq_name" {
  description = "Dead-letter queue of the task state changes EventBridge could not deliver to the task-state function."
  type        = string
}

variable "function_names" {
  description = "Lambda functions whose errors raise an alarm."
  type        = list(string)
}

variable "cluster_name" {
  description = "ECS cluster the watchdog reports on (its metrics' Cluster dimension)."
  type        = string
}

variable "period_seconds" {
  description = "Alarm evaluation period. The watchdog publishes every 5 minutes."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.period_seconds)
    error_message = "period_seconds must be one of 60, 300, 900, 3600."
  }
}

variable "email" {
  description = "An address to subscribe to the topic (it must confirm); null for none."
  type        = string
  default     = null
}

variable "notify_ok" {
  description = "Also notify the topic when an alarm returns to OK (off: on-call hears of trouble, not of every recovery)."
  type        = bool
  default     = false
}

variable "key_deletion_window_days" {
  description = "Days KMS waits before deleting the topic's key after destroy (7-30)."
  type        = number
  default     = 7

  validation {
    condition     = var.key_deletion_window_days >= 7 && var.key_deletion_window_days <= 30 && floor(var.key_deletion_window_days) == var.key_deletion_window_days
    error_message = "key_deletion_window_days must be a whole number from 7 to 30 (a KMS limit)."
  }
}
