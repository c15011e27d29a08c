mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                 = "offload"
  dlq_name             = "offload-events-dlq"
  task_events_dlq_name = "offload-task-events-dlq"
  function_names       = ["offload-dispatch", "offload-task-state"]
  cluster_name         = "offload"
}

run "one_alarm_per_trigger_into_one_topic" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 7
    error_message = "both DLQs, jobs stuck queued or running, disconnected agents and one per function"
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

run "lost_task_events_raise_an_alarm" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["offload-task-events-dlq-not-empty"].dimensions.QueueName == "offload-task-events-dlq"
    error_message = "task state changes EventBridge dead-lettered must raise an alarm"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["offload-jobs-stuck-queued"].metric_name == "JobsStuckQueued"
    error_message = "jobs whose task never started must raise an alarm"
  }
}
