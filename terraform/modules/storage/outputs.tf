output "bucket_id" {
  description = "Name of the input/output bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the input/output bucket."
  value       = aws_s3_bucket.this.arn
}

output "orders_table_name" {
  description = "Name of the orders table."
  value       = aws_dynamodb_table.orders.name
}

output "orders_table_arn" {
  description = "ARN of the orders table."
  value       = aws_dynamodb_table.orders.arn
}

output "jobs_table_name" {
  description = "Name of the jobs table."
  value       = aws_dynamodb_table.jobs.name
}

output "jobs_table_arn" {
  description = "ARN of the jobs table."
  value       = aws_dynamodb_table.jobs.arn
}

output "schemas" {
  description = "Each schema's object (key, digest: its sha256), and its table (name, arn), created here or named."
  value = { for name, o in local.schema_objects : name => merge(o, {
    table_arn = contains(keys(local.created_tables), name) ? aws_dynamodb_table.schema[name].arn : "${local.table_arn}/${o.table}"
  }) }
}
