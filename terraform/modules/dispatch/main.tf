data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.id # the region's name from provider 3.39 to 6.x (6.x deprecates `name`)
  partition = data.aws_partition.current.partition
  functions = {
    dispatch   = "offload_dispatch.handler.lambda_handler"
    task-state = "offload_dispatch.handler.task_state_handler"
    watchdog   = "offload_dispatch.handler.watchdog_handler"
  }
  cluster_name         = element(split("/", var.cluster_arn), length(split("/", var.cluster_arn)) - 1)
  task_definition_arns = [for family in var.task_definition_families : "arn:${local.partition}:ecs:${local.region}:${local.account}:task-definition/${family}:*"]
  # A record may take ceil(max_shards / 8) rounds of parallel RunTask calls of ~3 s each
  # (RUN_TASK_THREADS, RUN_TASK_ROUND_SECONDS in lambda/offload_dispatch/start.py); a batch, that per
  # record plus 10 s. The function hands back the records it has no time left for, so this only
  # saves them a redelivery.
  lambda_timeout = coalesce(var.lambda_timeout, min(900, var.batch_size * ceil(var.max_shards / 8) * 3 + 10))
}

# --- queue -------------------------------------------------------------------

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-events-dlq"
  message_retention_seconds = 1209600
  # checkov:skip=CKV_AWS_27:new queues get SQS-managed SSE by default; S3 cannot send to a queue with the AWS-managed KMS key
}

resource "aws_sqs_queue" "this" {
  # Lambda refuses an event source whose queue's visibility timeout is below the function's timeout;
  # AWS advises six times it (Lambda developer guide, "Creating and configuring an SQS event source mapping").
  name                       = "${var.name}-events"
  visibility_timeout_seconds = local.lambda_timeout * 6
  message_retention_seconds  = 345600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
  # checkov:skip=CKV_AWS_27:new queues get SQS-managed SSE by default; S3 cannot send to a queue with the AWS-managed KMS key
}

data "aws_iam_policy_document" "queue" {
  statement {
    sid       = "OnlyThisBucket"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.this.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [var.bucket_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  policy    = data.aws_iam_policy_document.queue.json
}

resource "aws_s3_bucket_notification" "this" {
  bucket = var.bucket_id

  # Every upload under the prefix, not only accepted suffixes: the dispatcher records
  # a refused file (e.g. orders.xlsx) as a FAILED job with the reason, instead of silence.
  queue {
    id            = "offload-input"
    queue_arn     = aws_sqs_queue.this.arn
    events        = ["s3:ObjectCreated:*"] # Put, Post, Copy and CompleteMultipartUpload
    filter_prefix = var.input_prefix
  }

  depends_on = [aws_sqs_queue_policy.this]
}

# Task-stopped events EventBridge could not deliver after its retries, and invocations of the
# task-state function that kept failing (Lambda's own DLQ for asynchronous invokes): either way a
# job whose end went unheard. The watchdog reconciles such jobs; this queue's depth is the alarm.
resource "aws_sqs_queue" "events_dlq" {
  name                      = "${var.name}-task-events-dlq"
  message_retention_seconds = 1209600
  # checkov:skip=CKV_AWS_27:new queues get SQS-managed SSE by default; EventBridge cannot send to a queue under the AWS-managed KMS key
}

# EventBridge DLQ permissions: the queue policy lets events.amazonaws.com send, for this rule only
# (EventBridge user guide, "Using dead-letter queues to process undelivered events").
data "aws_iam_policy_document" "events_dlq" {
  statement {
    sid       = "UndeliveredTaskEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events_dlq.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.this["task-stopped"].arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events_dlq" {
  queue_url = aws_sqs_queue.events_dlq.id
  policy    = data.aws_iam_policy_document.events_dlq.json
}

# --- functions ---------------------------------------------------------------

# No aws:SourceAccount/aws:SourceArn here: the Lambda developer guide documents none for the
# execution role's trust, and a condition the service does not send would stop every invocation.
# The functions' triggers are pinned instead: the queue's policy, the permissions' source_arn (a rule's
# ARN names its account, so source_account, which Lambda documents for S3, would add nothing).
data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-${local.region}-dispatch" # IAM names are account-wide
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ConsumeEvents"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    resources = [aws_sqs_queue.this.arn]
  }
  statement {
    sid       = "StartWorker"
    actions   = ["ecs:RunTask"]
    resources = local.task_definition_arns
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "PassWorkerRoles"
    actions   = ["iam:PassRole"]
    resources = var.pass_role_arns
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
  statement {
    sid       = "JobLedger"
    actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]
    resources = [var.jobs_table_arn]
  }
  # Before SUCCEEDED the task-state function checks the output a worker reports (HeadObject needs
  # s3:GetObject; without s3:ListBucket a missing object answers 403, not 404: S3 HeadObject API reference).
  statement {
    sid     = "CheckResults"
    actions = ["s3:GetObject"]
    resources = [
      "${var.bucket_arn}/${lookup(var.environment, "OUTPUT_PREFIX", "processed/")}*",
      "${var.bucket_arn}/${lookup(var.environment, "REJECTED_PREFIX", "rejected/")}*",
    ]
  }
  # A file big enough to shard is looked at first: its first two bytes (GetObject, Range bytes=0-1) say
  # whether it is gzip, which cannot be cut into byte ranges and so runs as one task.
  statement {
    sid       = "PeekInputs"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/${var.input_prefix}*"]
  }
  statement {
    sid       = "CheckResultsExist"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${lookup(var.environment, "OUTPUT_PREFIX", "processed/")}*", "${lookup(var.environment, "REJECTED_PREFIX", "rejected/")}*"]
    }
  }
  statement {
    sid     = "OpenJobs" # open jobs from the ByStatus index, the line from the Backlog index: never a scan
    actions = ["dynamodb:Query"]
    resources = [
      "${var.jobs_table_arn}/index/ByStatus",
      "${var.jobs_table_arn}/index/Backlog",
    ]
  }
  statement {
    sid       = "ReconcileTasks" # the watchdog looks up the tasks of jobs it heard nothing of
    actions   = ["ecs:DescribeTasks"]
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account}:task/${local.cluster_name}/*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "LostTaskEvents" # Lambda's DLQ for the task-state function's failed asynchronous invokes
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events_dlq.arn]
  }
  statement {
    sid       = "WatchInstances"
    actions   = ["ecs:ListContainerInstances"]
    resources = [var.cluster_arn]
  }
  statement {
    sid     = "DescribeInstances"
    actions = ["ecs:DescribeContainerInstances"]
    # container-instance/<cluster>/<id> (Service Authorization Reference, ECS resource types): this cluster's only
    resources = ["arn:${local.partition}:ecs:${local.region}:${local.account}:container-instance/${local.cluster_name}/*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "WatchdogMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource type; the namespace condition scopes it
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Offload"]
    }
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for group in aws_cloudwatch_log_group.this : "${group.arn}:*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "dispatch"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_cloudwatch_log_group" "this" {
  for_each          = local.functions
  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  # checkov:skip=CKV_AWS_158:log data is encrypted by CloudWatch; a CMK is the user's choice
  # checkov:skip=CKV_AWS_338:retention is a variable; 30 days by default
}

resource "aws_lambda_function" "this" {
  for_each         = local.functions
  function_name    = "${var.name}-${each.key}"
  role             = aws_iam_role.this.arn
  handler          = each.value
  runtime          = var.lambda_runtime
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)
  timeout          = local.lambda_timeout
  memory_size      = 256

  environment {
    # S3_BUCKET_NAME (docs/contract.md): the dispatcher drops any record naming another bucket.
    variables = merge(var.environment, { S3_BUCKET_NAME = var.bucket_id })
  }

  # twin: skip (moto's Lambda does not keep DeadLetterConfig: every re-plan would show it again)
  dynamic "dead_letter_config" {
    for_each = each.key == "task-state" ? [aws_sqs_queue.events_dlq.arn] : []
    content {
      target_arn = dead_letter_config.value
    }
  }
  # twin: end

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
  # checkov:skip=CKV_AWS_50:X-Ray tracing is optional and costs extra
  # checkov:skip=CKV_AWS_115:the SQS event source's maximum concurrency bounds the dispatcher
  # checkov:skip=CKV_AWS_116:task-state has a DLQ (above); dispatch is fed by SQS (its queue has a DLQ); a lost watchdog run is the next one 5 minutes later
  # checkov:skip=CKV_AWS_117:the dispatcher talks only to AWS APIs; a VPC would add NAT cost for nothing
  # checkov:skip=CKV_AWS_173:environment holds names, not secrets; default encryption applies
  # checkov:skip=CKV_AWS_272:code signing needs a signing profile the user owns
}

resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn                   = aws_sqs_queue.this.arn
  function_name                      = aws_lambda_function.this["dispatch"].arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = 1
  # twin: omit (provider 3.39 predates these; the twin always honours partial batch responses)
  function_response_types = ["ReportBatchItemFailures"]
  scaling_config {
    maximum_concurrency = var.max_concurrency
  }
  # twin: end
}

# --- EventBridge -> functions: task state changes, container instances, and the watchdog's schedule ---

locals {
  triggers = {
    task-stopped = {
      function    = "task-state"
      description = "offload worker tasks that stopped"
      schedule    = null
      pattern = jsonencode({
        source        = ["aws.ecs"]
        "detail-type" = ["ECS Task State Change"]
        detail = {
          clusterArn = [var.cluster_arn]
          lastStatus = ["RUNNING", "STOPPED"] # RUNNING: the job is; STOPPED: its fate (the worker only reports)
        }
      })
    }
    # A host joined or its agent came back: the waiting jobs start (docs/contract.md "The backlog").
    # ECS also sends this event when a task starts or stops on the instance (its remaining resources
    # change); a pass then reads the head of an empty line and ends.
    instance-changed = {
      function    = "task-state"
      description = "offload: container instances of the cluster that are ACTIVE with a connected agent"
      schedule    = null
      pattern = jsonencode({
        source        = ["aws.ecs"]
        "detail-type" = ["ECS Container Instance State Change"]
        detail = {
          clusterArn     = [var.cluster_arn]
          status         = ["ACTIVE"]
          agentConnected = [true]
        }
      })
    }
    watchdog = {
      function    = "watchdog"
      description = "offload: count stuck jobs and disconnected agents"
      schedule    = "rate(5 minutes)"
      pattern     = null
    }
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each            = local.triggers
  name                = "${var.name}-${each.key}"
  description         = each.value.description
  event_pattern       = each.value.pattern
  schedule_expression = each.value.schedule
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.triggers
  rule     = aws_cloudwatch_event_rule.this[each.key].name
  arn      = aws_lambda_function.this[each.value.function].arn

  retry_policy {
    maximum_event_age_in_seconds = var.event_max_age_seconds
    maximum_retry_attempts       = var.event_retry_attempts
  }

  # A task-stopped event EventBridge gives up on lands here instead of vanishing.
  dynamic "dead_letter_config" {
    for_each = each.key == "task-stopped" ? [aws_sqs_queue.events_dlq.arn] : []
    content {
      arn = dead_letter_config.value
    }
  }
}

resource "aws_lambda_permission" "this" {
  for_each      = local.triggers
  statement_id  = "AllowEventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.value.function].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.key].arn
}

# Earlier releases named the task-state wiring on its own.
moved {
  from = aws_cloudwatch_event_rule.task_stopped
  to   = aws_cloudwatch_event_rule.this["task-stopped"]
}

moved {
  from = aws_cloudwatch_event_target.task_stopped
  to   = aws_cloudwatch_event_target.this["task-stopped"]
}
