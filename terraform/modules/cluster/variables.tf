variable "name" {
  description = "Prefix for every resource name; also the cluster's name."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of the bucket the worker reads and writes."
  type        = string
}

variable "input_prefix" {
  description = "Key prefix the worker reads from."
  type        = string
}

variable "output_prefix" {
  description = "Key prefix the worker writes output files to."
  type        = string
}

variable "rejected_prefix" {
  description = "Key prefix the worker writes rejects reports to."
  type        = string
}

variable "table_arns" {
  description = "ARNs of the tables the worker may load (BatchWriteItem, PutItem, DescribeTable): the orders table, or each schema's (terraform `schemas`)."
  type        = list(string)

  validation {
    condition     = length(var.table_arns) >= 1 && alltrue([for arn in var.table_arns : can(regex("^arn:[a-z-]+:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[a-zA-Z0-9_.-]{3,255}$", arn))])
    error_message = "table_arns names at least one table, each by its ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "schemas_prefix" {
  description = "Key prefix of the schema objects the worker reads (SCHEMA_KEY, e.g. \"schemas/\"); null: no schemas, the worker's built-in orders schema only."
  type        = string
  default     = null

  validation {
    condition     = var.schemas_prefix == null || can(regex("^[^/].*/$", coalesce(var.schemas_prefix, "x/")))
    error_message = "schemas_prefix must be null or a key prefix ending with '/' that does not start with '/'."
  }
}

variable "jobs_table_arn" {
  description = "ARN of the jobs table the worker updates."
  type        = string
}

variable "environment" {
  description = "Extra environment for the worker container (names from docs/contract.md)."
  type        = map(string)
  default     = {}
}

variable "worker_image" {
  description = "Worker image; null means this module's ECR repository at var.worker_image_tag."
  type        = string
  default     = null
}

variable "worker_image_tag" {
  description = "Tag of the worker image in this module's ECR repository (make image pushes the git commit)."
  type        = string
  default     = "latest"
}

variable "worker_cpu" {
  description = "CPU units reserved for the worker container (1024 = one vCPU)."
  type        = number
  default     = 512

  validation {
    condition     = var.worker_cpu >= 128 && var.worker_cpu <= 16384
    error_message = "worker_cpu must be between 128 and 16384 CPU units."
  }
}

variable "worker_memory" {
  description = "Hard memory limit of the worker container, in MiB."
  type        = number
  default     = 512

  validation {
    condition     = var.worker_memory >= 128
    error_message = "worker_memory must be at least 128 MiB."
  }
}

variable "worker_gpus" {
  description = "GPUs the worker container needs (ECS Anywhere hosts joined with --enable-gpu); 0: none."
  type        = number
  default     = 0

  validation {
    condition     = var.worker_gpus >= 0 && var.worker_gpus <= 8 && floor(var.worker_gpus) == var.worker_gpus
    error_message = "worker_gpus must be a whole number from 0 to 8."
  }
}

variable "network_mode" {
  description = "Docker network mode of the task on the on-prem host."
  type        = string
  default     = "bridge"

  validation {
    condition     = contains(["bridge", "host", "none"], var.network_mode)
    error_message = "ECS Anywhere supports bridge, host or none (not awsvpc)."
  }
}

variable "log_retention_days" {
  description = "Days to keep the worker's logs."
  type        = number
  default     = 30
}

variable "images_to_keep" {
  description = "How many images the ECR lifecycle policy keeps."
  type        = number
  default     = 20
}

variable "sites" {
  description = "Trust domains: site name => its input sub-prefix (below input_prefix; \"\" for all). Each site gets its own task role and task definition; \"default\" keeps the names of a stack without sites."
  type        = map(object({ prefix = string }))
  default     = { default = { prefix = "" } }

  validation {
    condition     = length(var.sites) >= 1 && alltrue([for name, _ in var.sites : can(regex("^[a-z][a-z0-9]{0,9}$", name))])
    error_message = "sites needs at least one site; each name is 1-10 lowercase letters or digits, starting with a letter (IAM role names are at most 64 characters)."
  }

  validation {
    condition     = alltrue([for _, s in var.sites : s.prefix == "" || can(regex("^[^/].*/$", s.prefix))])
    error_message = "each site's prefix is \"\" or ends with '/' and does not start with '/'."
  }

  validation {
    condition     = alltrue([for a, sa in var.sites : alltrue([for b, sb in var.sites : a == b || !startswith(sb.prefix, sa.prefix)])])
    error_message = "sites' prefixes must not overlap: no site's prefix may begin with another's (\"\" only for a single site)."
  }
}
