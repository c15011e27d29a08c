# Alarms on what goes wrong in the offload pattern, all into one SNS topic.
# The Offload namespace's metrics come from the dispatch module's watchdog function.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  # `id` is the region's name from provider 3.39 through 6.x (6.x deprecates `name`).
  region = data.aws_region.current.id
  # Every alarm below is named "${var.name}-…": the only alarms the key lets CloudWatch publish for.
  alarm_arns = "arn:${data.aws_partition.current.partition}:cloudwatch:${local.region}:${local.account}:alarm:${var.name}-*"

  # Each alarm fires on M of N periods and treats missing data as what its silence means:
  # - the DLQ: one datapoint is enough (a message there never goes away by itself); 3 clear periods
  #   before OK. SQS stops publishing for a queue idle 6 hours, so missing data keeps the state
  #   (ignore): a message still sitting there must not turn into OK.
  # - the watchdog's counts (published every 5 minutes, zeros included): 2 of 3 periods, so an agent
  #   reconnecting or a job finishing within one period is not an alarm. Missing data means the watchdog
  #   did not run, which says nothing about jobs or agents: keep the state (its own errors alarm).
  # - Lambda Errors: 2 of 3 periods (a single failed invocation is retried by SQS/EventBridge);
  #   no datapoint means no invocation, so no error (notBreaching).
  watchdog = { evaluation_periods = 3, datapoints_to_alarm = 2, treat_missing_data = "ignore" }
  alarms = merge(
    {
      "${var.name}-dlq-not-empty" = {
        description         = "offload: S3 events the dispatcher gave up on are in the dead-letter queue: see `offload status`."
        namespace           = "AWS/SQS"
        metric              = "ApproximateNumberOfMessagesVisible"
        dimensions          = { QueueName = var.dlq_name }
        statistic           = "Maximum"
        evaluation_periods  = 3
        datapoints_to_alarm = 1
        treat_missing_data  = "ignore"
      }
      "${var.name}-task-events-dlq-not-empty" = {
        description         = "offload: task state changes EventBridge could not deliver are in the task-events dead-letter queue; the watchdog reconciles their jobs: see `offload status`."
        namespace           = "AWS/SQS"
        metric              = "ApproximateNumberOfMessagesVisible"
        dimensions          = { QueueName = var.task_events_dlq_name }
        statistic           = "Maximum"
        evaluation_periods  = 3
        datapoints_to_alarm = 1
        treat_missing_data  = "ignore"
      }
      "${var.name}-jobs-stuck-queued" = merge(local.watchdog, {
        description = "offload: jobs QUEUED with no news past the threshold (their task never started): see `offload status` and `offload fleet`."
        namespace   = "Offload"
        metric      = "JobsStuckQueued"
        dimensions  = { Cluster = var.cluster_name }
        statistic   = "Maximum"
      })
      "${var.name}-jobs-stuck-running" = merge(local.watchdog, {
        description = "offload: jobs RUNNING past the threshold (worker hung or host lost): see `offload status`, then `offload rerun`."
        namespace   = "Offload"
        metric      = "JobsStuckRunning"
        dimensions  = { Cluster = var.cluster_name }
        statistic   = "Maximum"
      })
      "${var.name}-agent-disconnected" = merge(local.watchdog, {
        description = "offload: an on-prem container instance's ECS agent is disconnected: see `offload fleet` and `offload doctor`."
        namespace   = "Offload"
        metric      = "AgentsDisconnected"
        dimensions  = { Cluster = var.cluster_name }
        statistic   = "Maximum"
      })
    },
    {
      for f in var.function_names : "${f}-errors" => {
        description         = "offload: function ${f} failed (its log group says why)."
        namespace           = "AWS/Lambda"
        metric              = "Errors"
        dimensions          = { FunctionName = f }
        statistic           = "Sum"
        evaluation_periods  = 3
        datapoints_to_alarm = 2
        treat_missing_data  = "notBreaching"
      }
    },
  )
}

# CloudWatch cannot publish to a topic under the AWS-managed alias/aws/sns key (its policy cannot be
# changed to admit cloudwatch.amazonaws.com): the alarm fires and its history shows KMS AccessDenied.
# A customer-managed key whose policy lets CloudWatch alarms use it, as the SNS developer guide's
# "Enable compatibility between event sources from AWS services and encrypted topics" documents.
# Nothing publishes to this topic through EventBridge, so events.amazonaws.com gets no grant.
data "aws_iam_policy_document" "key" {
  # A key policy, not an identity policy: "*" is this key, and the account statement is KMS's
  # default key policy (without it, IAM policies could not grant the key's use, nor administer it).
  # checkov:skip=CKV_AWS_109:key policy: the account's own root statement, KMS's default
  # checkov:skip=CKV_AWS_111:key policy: the account's own root statement, KMS's default
  # checkov:skip=CKV_AWS_356:key policy: "*" is the key the policy is attached to
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"] # in a key policy "*" is this key
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arns]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: encrypts the alarm topic; CloudWatch alarms may publish with it"
  enable_key_rotation     = true
  deletion_window_in_days = var.key_deletion_window_days
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_sns_topic" "this" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn
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
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = each.value.treat_missing_data
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = var.notify_ok ? [aws_sns_topic.this.arn] : []
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
  ok_actions          = var.notify_ok ? [aws_sns_topic.this.arn] : []
}
