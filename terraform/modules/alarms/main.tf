# Alarms on what goes wrong in the offload pattern, all into one SNS topic.
# JobsStuckRunning and AgentsDisconnected come from the dispatch module's watchdog.

locals {
  watchdog_namespace = "Offload"
  watchdog_alarms = {
    jobs-stuck-running = {
      metric      = "JobsStuckRunning"
      description = "offload: jobs RUNNING past the threshold (worker hung or host lost): see `offload status`, then `offload rerun`."
    }
    agent-disconnected = {
      metric      = "AgentsDisconnected"
      description = "offload: an on-prem container instance's ECS agent is disconnected: see `offload fleet` and `offload doctor`."
    }
  }
}

resource "aws_sns_topic" "this" {
  name              = "${var.name}-alarms"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.email == null ? 0 : 1
  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = var.email
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  alarm_name          = "${var.name}-dlq-not-empty"
  alarm_description   = "offload: S3 events the dispatcher gave up on are in the dead-letter queue: see `offload status`."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.dlq_name }
  statistic           = "Maximum"
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each            = toset(var.function_names)
  alarm_name          = "${each.value}-errors"
  alarm_description   = "offload: function ${each.value} failed (its log group says why)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "watchdog" {
  for_each            = local.watchdog_alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = local.watchdog_namespace
  metric_name         = each.value.metric
  dimensions          = { Cluster = var.cluster_name }
  statistic           = "Maximum"
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching" # a silent watchdog shows as its own function's errors
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}
