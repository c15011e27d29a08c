output "backlog_alarm_name" {
  description = "Name of the alarm on a backlog older than backlog_alarm_minutes."
  value       = aws_cloudwatch_metric_alarm.backlog.alarm_name
}

output "topic_arn" {
  description = "SNS topic every alarm notifies: subscribe on-call to it."
  value       = aws_sns_topic.this.arn
}

output "alarm_names" {
  description = "Names of the alarms."
  value       = keys(aws_cloudwatch_metric_alarm.this)
}

output "key_arn" {
  description = "Customer-managed KMS key of the alarm topic."
  value       = aws_kms_key.this.arn
}
