output "queue_url" {
  description = "URL of the queue S3 events land in."
  value       = aws_sqs_queue.this.id
}

output "queue_arn" {
  description = "ARN of the queue S3 events land in."
  value       = aws_sqs_queue.this.arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "function_names" {
  description = "Dispatcher function names, by role (dispatch, task-state, watchdog)."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "role_arn" {
  description = "Role of the dispatcher functions."
  value       = aws_iam_role.this.arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue (the alarm's QueueName dimension)."
  value       = aws_sqs_queue.dlq.name
}

output "events_dlq_name" {
  description = "Name of the queue of task-stopped events that were never handled (an alarm's QueueName dimension)."
  value       = aws_sqs_queue.events_dlq.name
}

output "events_dlq_arn" {
  description = "ARN of the queue of task-stopped events that were never handled."
  value       = aws_sqs_queue.events_dlq.arn
}
