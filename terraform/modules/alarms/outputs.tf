output "topic_arn" {
  description = "SNS topic every alarm notifies: subscribe on-call to it."
  value       = aws_sns_topic.this.arn
}

output "alarm_names" {
  description = "Names of the alarms."
  value = concat(
    [aws_cloudwatch_metric_alarm.dlq_not_empty.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.lambda_errors : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.watchdog : a.alarm_name],
  )
}
