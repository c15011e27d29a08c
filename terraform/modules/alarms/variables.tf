variable "name" {
  description = "Prefix for the topic and alarm names."
  type        = string
}

variable "dlq_name" {
  description = "Dead-letter queue of the dispatcher's events."
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
