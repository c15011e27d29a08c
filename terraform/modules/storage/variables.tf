variable "name" {
  description = "Prefix for every resource name."
  type        = string
}

variable "bucket_name" {
  description = "Name of the bucket files are dropped into; null lets AWS make a unique one from var.name."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let terraform destroy delete a bucket that still holds objects."
  type        = bool
  default     = false
}

variable "orders_table_name" {
  description = "DynamoDB table the worker loads orders into; null: \"<name>-orders\". Table names are unique per account and region, so a second stack needs its own (\"Order\" is the workshop's)."
  type        = string
  default     = null

  validation {
    condition     = var.orders_table_name == null || can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.orders_table_name))
    error_message = "orders_table_name must be null or 3-255 letters, digits, '_', '-' or '.' (DynamoDB's rule)."
  }
}

variable "point_in_time_recovery" {
  description = "Enable point-in-time recovery on the orders table."
  type        = bool
  default     = true
}

variable "versioning" {
  description = "Keep every version of uploaded files (S3 versioning). Each upload is then its own job, identical bytes included (docs/contract.md). access_log_bucket and object_lock turn it on whatever this says."
  type        = bool
  default     = false
}

variable "access_log_bucket" {
  description = "Bucket that receives S3 server access logs of this bucket (its policy must let logging.s3.amazonaws.com write); null: no access logs. Turns versioning on."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be null or a bucket name: 3-63 lowercase letters, digits, '.' or '-'."
  }
}

variable "access_log_prefix" {
  description = "Key prefix of the access logs in access_log_bucket; this bucket's name and '/' follow it."
  type        = string
  default     = "s3-access-logs/"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.*'()-]+/)*$", var.access_log_prefix))
    error_message = "access_log_prefix must be empty or end with '/' (letters, digits and !_.*'()- between slashes)."
  }
}

variable "object_lock" {
  description = "Object lock with a default retention for every object version written: mode GOVERNANCE (users with s3:BypassGovernanceRetention may delete) or COMPLIANCE (nobody may, root included, until it expires), and days. null: off. Turns versioning on; cannot be turned off once applied."
  type = object({
    mode = string
    days = number
  })
  default = null

  validation {
    condition     = var.object_lock == null || contains(["GOVERNANCE", "COMPLIANCE"], try(var.object_lock.mode, ""))
    error_message = "object_lock.mode must be GOVERNANCE or COMPLIANCE."
  }

  validation {
    condition     = var.object_lock == null || try(var.object_lock.days >= 1 && floor(var.object_lock.days) == var.object_lock.days, false)
    error_message = "object_lock.days must be a whole number of days >= 1."
  }
}

variable "staged_parts_prefix" {
  description = "Key prefix of sharded jobs' staged parts (docs/contract.md: the output prefix + .offload-shards/)."
  type        = string
  default     = "processed/.offload-shards/"
}

variable "staged_parts_expire_days" {
  description = "Days after which staged parts a sharded job never assembled, and unfinished multipart uploads, are removed."
  type        = number
  default     = 7

  validation {
    condition     = var.staged_parts_expire_days >= 1 && floor(var.staged_parts_expire_days) == var.staged_parts_expire_days
    error_message = "staged_parts_expire_days must be a whole number of days >= 1."
  }
}

variable "schemas" {
  description = "Declared schemas (the root's `schemas`, their YAML read there): name => { file (uploaded content-addressed as schemas/<name>/<sha256>.yaml), table (an existing table's name; null: this module creates \"<name>-<schema>\" with the schema's keys), partition_key and sort_key ({ attribute, type S|N|B }; sort_key null: none) }."
  type = map(object({
    file          = string
    table         = optional(string)
    partition_key = optional(object({ attribute = string, type = string }))
    sort_key      = optional(object({ attribute = string, type = string }))
  }))
  default = {}

  validation {
    condition     = alltrue([for _, s in var.schemas : s.table != null || s.partition_key != null])
    error_message = "a schema that names no table declares its partition_key: this module creates its table with it."
  }

  validation {
    condition     = alltrue([for _, s in var.schemas : s.table == null || can(regex("^[a-zA-Z0-9_.-]{3,255}$", coalesce(s.table, "xxx")))])
    error_message = "each schema's table must be null or 3-255 letters, digits, '_', '-' or '.' (DynamoDB's rule)."
  }

  validation {
    condition = alltrue(flatten([for _, s in var.schemas : [
      for k in compact([try(s.partition_key.type, ""), try(s.sort_key.type, "")]) : contains(["S", "N", "B"], k)
    ]]))
    error_message = "each schema's key types (table.partition_key.type, table.sort_key.type) are S, N or B (DynamoDB's key types)."
  }
}
