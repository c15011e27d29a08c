variable "name" {
  description = "Prefix for every resource name."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster the machines join: the only cluster their agents may register with, poll and report to."
  type        = string

  validation {
    condition     = can(regex("^arn:[^:]+:ecs:[^:]+:[0-9]{12}:cluster/[A-Za-z0-9_-]+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN (arn:<partition>:ecs:<region>:<account>:cluster/<name>)."
  }
}

variable "instance_count" {
  description = "How many on-prem machines may register with this activation."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 1000
    error_message = "instance_count must be between 1 and 1000."
  }
}

variable "expiry_hours" {
  description = "Hours the activation stays valid after it is created (offload activation mints fresh ones)."
  type        = number
  default     = 24

  validation {
    condition     = var.expiry_hours >= 1 && var.expiry_hours <= 720
    error_message = "expiry_hours must be between 1 and 720 (SSM allows 30 days)."
  }
}

variable "tags" {
  description = "Tags of the activation, which SSM gives each machine that registers with it. Set when the activation is created; later changes are ignored (SSM cannot change them)."
  type        = map(string)
  default     = {}
}

variable "site" {
  description = "The site (root variable `sites`) whose hosts join with this activation; null: the stack's only, implicit site (today's names)."
  type        = string
  default     = null

  validation {
    condition     = var.site == null || can(regex("^[a-z][a-z0-9]{0,9}$", coalesce(var.site, "x")))
    error_message = "site is 1-10 lowercase letters or digits, starting with a letter (IAM role names are at most 64 characters)."
  }
}
