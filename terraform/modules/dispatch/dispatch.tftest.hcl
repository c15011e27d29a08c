mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                     = "offload"
  bucket_id                = "orders"
  bucket_arn               = "arn:aws:s3:::orders"
  input_prefix             = "incoming/"
  environment              = { TABLE_NAME = "Order" }
  lambda_zip               = "dispatch.tftest.hcl" # any file: the mock never uploads it
  cluster_arn              = "arn:aws:ecs:us-east-1:123456789012:cluster/offload"
  task_definition_families = ["offload-worker"]
  pass_role_arns           = ["arn:aws:iam::123456789012:role/offload-task"]
  jobs_table_arn           = "arn:aws:dynamodb:us-east-1:123456789012:table/offload-jobs"
}

run "functions_and_policies" {
  command = plan

  assert {
    condition     = length(aws_lambda_function.this) == 3
    error_message = "dispatch, task-state and watchdog"
  }

  assert {
    condition = alltrue([for d in [data.aws_iam_policy_document.this, data.aws_iam_policy_document.queue, data.aws_iam_policy_document.lambda_trust] : alltrue([
      for s in d.statement : alltrue([for a in s.actions : !strcontains(a, "*")])
    ])])
    error_message = "the functions' and queue's policies name no wildcard action"
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.environment[0].variables["S3_BUCKET_NAME"] == "orders" && f.environment[0].variables["TABLE_NAME"] == "Order"])
    error_message = "every function is told its bucket (S3_BUCKET_NAME: records of any other are dropped) beside the given environment"
  }
}

run "a_non_python_runtime_is_refused" {
  command = plan

  variables {
    lambda_runtime = "nodejs20.x"
  }

  expect_failures = [var.lambda_runtime]
}

run "max_concurrency_below_the_sqs_minimum_is_refused" {
  command = plan

  variables {
    max_concurrency = 1
  }

  expect_failures = [var.max_concurrency]
}

run "the_timeout_is_sized_from_the_shards_a_batch_may_start" {
  command = plan

  variables {
    batch_size = 10
    max_shards = 16
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : f.timeout == 70])
    error_message = "10 records x 2 rounds of 8 parallel RunTask calls x 3 s + 10 s"
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 6 * 70
    error_message = "the queue's visibility timeout is six times the function's (AWS guidance)"
  }
}

run "an_explicit_timeout_wins" {
  command = plan

  variables {
    lambda_timeout = 45
  }

  assert {
    condition     = aws_lambda_function.this["dispatch"].timeout == 45 && aws_sqs_queue.this.visibility_timeout_seconds == 270
    error_message = "lambda_timeout, when set, is the timeout"
  }
}

run "a_lost_task_stopped_event_lands_in_a_queue_and_the_watchdog_may_reconcile" {
  command = plan

  override_resource {
    target          = aws_sqs_queue.events_dlq
    override_during = plan
    values          = { arn = "arn:aws:sqs:us-east-1:123456789012:offload-task-events-dlq" }
  }

  override_resource {
    target          = aws_cloudwatch_event_rule.this
    override_during = plan
    values          = { arn = "arn:aws:events:us-east-1:123456789012:rule/offload-task-stopped" }
  }

  assert {
    condition     = one(aws_cloudwatch_event_target.this["task-stopped"].dead_letter_config).arn == aws_sqs_queue.events_dlq.arn
    error_message = "the task-stopped target dead-letters into the events DLQ"
  }

  assert {
    condition     = alltrue([for t in aws_cloudwatch_event_target.this : one(t.retry_policy).maximum_retry_attempts == 185 && one(t.retry_policy).maximum_event_age_in_seconds == 86400])
    error_message = "EventBridge retries each target for a day, 185 times"
  }

  assert {
    condition     = one(data.aws_iam_policy_document.events_dlq.statement).actions == toset(["sqs:SendMessage"]) && one(one(data.aws_iam_policy_document.events_dlq.statement).principals).identifiers == toset(["events.amazonaws.com"])
    error_message = "only EventBridge may send to the events DLQ"
  }

  assert {
    condition     = one(one(data.aws_iam_policy_document.events_dlq.statement).condition).variable == "aws:SourceArn" && one(one(data.aws_iam_policy_document.events_dlq.statement).condition).values == tolist([aws_cloudwatch_event_rule.this["task-stopped"].arn])
    error_message = "only for the task-stopped rule (aws:SourceArn)"
  }

  assert {
    condition     = one(aws_lambda_function.this["task-state"].dead_letter_config).target_arn == aws_sqs_queue.events_dlq.arn && length(aws_lambda_function.this["dispatch"].dead_letter_config) == 0
    error_message = "the task-state function's failed asynchronous invokes land in the events DLQ too"
  }

  assert {
    condition     = contains(flatten([for s in data.aws_iam_policy_document.this.statement : s.resources if contains(s.actions, "dynamodb:Query")]), "${var.jobs_table_arn}/index/ByStatus")
    error_message = "the watchdog queries the ByStatus index"
  }

  assert {
    condition     = !contains(flatten([for s in data.aws_iam_policy_document.this.statement : tolist(s.actions)]), "dynamodb:Scan")
    error_message = "nothing scans the jobs table"
  }

  assert {
    condition     = alltrue([for r in flatten([for s in data.aws_iam_policy_document.this.statement : s.resources if contains(s.actions, "ecs:DescribeTasks")]) : endswith(r, ":task/offload/*")])
    error_message = "the watchdog describes only this cluster's tasks"
  }
}

run "event_retries_past_eventbridge_limits_are_refused" {
  command = plan

  variables {
    event_retry_attempts = 186
  }

  expect_failures = [var.event_retry_attempts]
}

run "a_host_joining_or_coming_back_starts_the_backlog" {
  command = plan

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this["instance-changed"].event_pattern) == {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Container Instance State Change"]
      detail        = { clusterArn = [var.cluster_arn], status = ["ACTIVE"], agentConnected = [true] }
    }
    error_message = "the cluster's ACTIVE, connected container instances' state changes are matched"
  }

  assert {
    condition     = aws_cloudwatch_event_target.this["instance-changed"].rule == "offload-instance-changed"
    error_message = "the instance-changed rule has a target (the task-state function)"
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.this.statement :
    contains(s.actions, "dynamodb:Query") && contains(s.resources, "${var.jobs_table_arn}/index/Backlog")])
    error_message = "the functions read the line from the Backlog index (Query), never by a scan"
  }
}

run "the_dispatcher_may_peek_at_inputs_only" {
  command = plan

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.this.statement : tolist(s.resources) if s.sid == "PeekInputs"])) == toset(["arn:aws:s3:::orders/incoming/*"]) && one([
    for s in data.aws_iam_policy_document.this.statement : s.actions if s.sid == "PeekInputs"]) == toset(["s3:GetObject"])
    error_message = "s3:GetObject on the input prefix (a ranged GET of a big file's first two bytes: gzip runs as one task), nothing more"
  }
}
