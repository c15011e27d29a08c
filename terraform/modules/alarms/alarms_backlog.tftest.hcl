# The alarm on a backlog older than backlog_alarm_minutes (issue 23).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                 = "offload"
  dlq_name             = "offload-events-dlq"
  task_events_dlq_name = "offload-task-events-dlq" # main's alarms module needs it; ignored where undeclared
  function_names       = ["offload-dispatch", "offload-task-state"]
  cluster_name         = "offload"
}

run "fires_on_the_oldest_wait_past_the_threshold_over_several_periods" {
  command = plan

  variables {
    backlog_alarm_minutes = 45
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.backlog.namespace == "Offload" && aws_cloudwatch_metric_alarm.backlog.metric_name == "OldestWaitSeconds"
    && aws_cloudwatch_metric_alarm.backlog.dimensions == tomap({ Cluster = "offload" }) && aws_cloudwatch_metric_alarm.backlog.statistic == "Maximum")
    error_message = "the watchdog's OldestWaitSeconds for the stack's cluster, its maximum"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.backlog.threshold == 2700 && aws_cloudwatch_metric_alarm.backlog.comparison_operator == "GreaterThanThreshold"
    error_message = "fires on a wait over backlog_alarm_minutes, in seconds"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.backlog.evaluation_periods == 3 && aws_cloudwatch_metric_alarm.backlog.datapoints_to_alarm == 2
    error_message = "2 of 3 periods: one run past the threshold while a burst drains is not an alarm"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.backlog.treat_missing_data == "ignore"
    error_message = "a silent watchdog says nothing about the line: the alarm keeps its state"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.backlog.alarm_actions) == 1 && aws_cloudwatch_metric_alarm.backlog.alarm_name == "offload-backlog-too-old"
    error_message = "into the one topic (the topic's ARN is known only after apply), named after the stack"
  }
}

run "threshold_must_be_whole_minutes" {
  command = plan

  variables {
    backlog_alarm_minutes = 0.5
  }

  expect_failures = [var.backlog_alarm_minutes]
}
