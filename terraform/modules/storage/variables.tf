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
  description = "Keep every version of uploaded files (S3 versioning). Each upload is then its own job, identical bytes included (docs/contract.md)."
  type        = bool
  default     = false
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
