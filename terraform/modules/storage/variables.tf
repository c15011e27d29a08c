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
  description = "DynamoDB table the worker loads orders into."
  type        = string
  default     = "Order"
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
