# Alarms on what goes wrong in the offload pattern, all into one SNS topic.
# The Offload namespace's metrics come from the dispatch module's watchdog function.

locals {
  alarms = merge(
    {
      "${var.name}-dlq-not-empty" = {
        description = "offload: S3 events the dispatcher gave up on are in the dead-letter queue: see `offload status`."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = var.dlq_name }
        statistic   = "Maximum"
      }
      "${var.name}-jobs-stuck-running" = {
        description = "offload: jobs RUNNING past the threshold (worker hung or host lost): see `offload status`, then `offload rerun`."
        namespace   = "Offload"
        metric      = "JobsStuckRunning"
        dimensions  = { Cluster = var.cluster_name }
        statistic   = "Maximum"
      }
      "${var.name}-agent-disconnected" = {
        description = "offload: an on-prem container instance's ECS agent is disconnected: see `offload fleet` and `offload doctor`."
        namespace   = "Offload"
        metric      = "AgentsDisconnected"
        dimensions  = { Cluster = var.cluster_name }
        statistic   = "Maximum"
      }
    },
    {
      for f in var.function_names : "${f}-errors" => {
        description = "offload: function ${f} failed (its log group says why)."
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = { FunctionName = f }
        statistic   = "Sum"
      }
    },
  )
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

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = each.key
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching" # a silent watchdog shows as its own function's errors
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}
