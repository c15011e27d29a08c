variable "name" {
  description = "offload's resource prefix; the dashboard is named after it and the region."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster: the Cluster dimension of the Offload metrics (docs/contract.md)."
  type        = string
}

variable "dlq_name" {
  description = "Dead-letter queue of the dispatcher's events."
  type        = string
}

variable "function_names" {
  description = "The stack's Lambda functions, whose errors the dashboard shows."
  type        = list(string)
}

variable "table_names" {
  description = "The DynamoDB tables the workers load (the orders table, or each schema's), whose write throttling the dashboard shows."
  type        = list(string)

  validation {
    condition     = length(var.table_names) > 0
    error_message = "table_names names at least one table: the orders table when no schema is declared."
  }
}

variable "period_seconds" {
  description = "Aggregation period of the rate widgets."
  type        = number
  default     = 60

  validation {
    condition     = contains([60, 300, 900, 3600], var.period_seconds)
    error_message = "period_seconds must be one of 60, 300, 900, 3600."
  }
}
