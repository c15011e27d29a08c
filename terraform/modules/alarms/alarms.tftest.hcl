mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name           = "offload"
  dlq_name       = "offload-events-dlq"
  function_names = ["offload-dispatch", "offload-task-state"]
  cluster_name   = "offload"
}

run "one_alarm_per_trigger_into_one_topic" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 5
    error_message = "DLQ, stuck jobs, disconnected agents and one per function"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["offload-dlq-not-empty"].dimensions.QueueName == "offload-events-dlq"
    error_message = "the DLQ alarm watches the stack's dead-letter queue"
  }
}

run "period_must_be_one_cloudwatch_keeps" {
  command = plan

  variables {
    period_seconds = 120
  }

  expect_failures = [var.period_seconds]
}
