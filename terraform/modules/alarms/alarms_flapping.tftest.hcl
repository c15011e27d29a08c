# Alarms that do not flap (issue 22, item 11): M of N periods, missing data chosen per alarm.
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

run "each_alarm_waits_for_several_periods" {
  command = plan

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.evaluation_periods >= 3 && a.datapoints_to_alarm >= 1 && a.datapoints_to_alarm <= a.evaluation_periods])
    error_message = "every alarm looks at 3 or more periods"
  }

  assert {
    condition = alltrue([for n in ["offload-jobs-stuck-running", "offload-agent-disconnected", "offload-dispatch-errors", "offload-task-state-errors"] :
    aws_cloudwatch_metric_alarm.this[n].datapoints_to_alarm == 2 && aws_cloudwatch_metric_alarm.this[n].evaluation_periods == 3])
    error_message = "the watchdog's and the functions' alarms need 2 breaching periods of 3: one bad period is not an alarm"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["offload-dlq-not-empty"].datapoints_to_alarm == 1
    error_message = "one message in the DLQ is an alarm (it never leaves by itself)"
  }

  assert {
    condition = alltrue([for n in ["offload-dlq-not-empty", "offload-jobs-stuck-running", "offload-agent-disconnected"] :
    aws_cloudwatch_metric_alarm.this[n].treat_missing_data == "ignore"])
    error_message = "an idle DLQ (SQS stops publishing) or a silent watchdog keeps the alarm's state, never turns it OK"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["offload-dispatch-errors"].treat_missing_data == "notBreaching"
    error_message = "no invocations: no Lambda errors"
  }

  assert {
    condition     = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.this), [aws_cloudwatch_metric_alarm.backlog]) : length(a.ok_actions) == 0])
    error_message = "no OK notifications unless notify_ok"
  }
}

run "ok_notifications_when_asked" {
  command = plan

  variables {
    notify_ok = true
  }

  assert {
    condition     = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.this), [aws_cloudwatch_metric_alarm.backlog]) : length(a.ok_actions) == 1])
    error_message = "notify_ok sends the return to OK to the topic too"
  }
}
