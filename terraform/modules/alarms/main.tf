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

# The backlog (docs/contract.md "The backlog"): a job has waited for capacity longer than
# backlog_alarm_minutes. The watchdog publishes OldestWaitSeconds every run (0 when none waits), and a
# burst can push the head's wait past the threshold for one run while the fleet drains it, so the alarm
# needs 2 of 3 periods over the threshold (it fires about one watchdog period after the wait passes
# it). Missing data means the watchdog did not run, which says nothing about the line: ignore keeps
# the state (an alarm already raised does not turn OK because the watchdog fell silent; its own
# Errors alarm covers that). AWS: AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html.
resource "aws_cloudwatch_metric_alarm" "backlog" {
  alarm_name          = "${var.name}-backlog-too-old"
  alarm_description   = "offload: a job has waited for capacity over ${var.backlog_alarm_minutes} minutes: `offload status` shows the line; `offload fleet` the instances (add some, or check placement_constraint)."
  namespace           = "Offload"
  metric_name         = "OldestWaitSeconds"
  dimensions          = { Cluster = var.cluster_name }
  statistic           = "Maximum"
  period              = var.period_seconds
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.backlog_alarm_minutes * 60
  treat_missing_data  = "ignore"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}
