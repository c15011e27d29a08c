mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name           = "offload"
  cluster_name   = "offload"
  dlq_name       = "offload-events-dlq"
  function_names = ["offload-dispatch", "offload-task-state", "offload-watchdog"]
  table_names    = ["Order"]
}

run "widgets_show_the_stack_metrics" {
  command = plan

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets) == 7
    error_message = "jobs, rows, throttling, backlog, DLQ, agents, Lambda errors"
  }

  assert {
    condition = alltrue([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : alltrue([
      for m in w.properties.metrics : m[0] != "Offload" || (m[2] == "Cluster" && m[3] == "offload")
    ])])
    error_message = "every Offload metric is shown for the stack's cluster (docs/contract.md)"
  }

  assert {
    condition     = length([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if w.properties.title == "Lambda errors"][0].properties.metrics) == 3
    error_message = "one Lambda errors line per function"
  }
}

run "backlog_widget_shows_jobs_waiting_and_the_oldest_wait" {
  command = plan

  assert {
    condition = [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for m in w.properties.metrics : slice(m, 0, 4)]
      if startswith(w.properties.title, "Backlog")] == [[
        ["Offload", "JobsWaiting", "Cluster", "offload"], ["Offload", "OldestWaitSeconds", "Cluster", "offload"],
    ]]
    error_message = "one backlog widget: the watchdog's JobsWaiting and OldestWaitSeconds for the stack's cluster"
  }

  assert {
    condition = [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.metrics[1][4].yAxis
    if startswith(w.properties.title, "Backlog")] == ["right"]
    error_message = "the oldest wait (seconds) on the right axis, apart from the count"
  }
}

run "period_must_be_one_cloudwatch_keeps" {
  command = plan

  variables {
    period_seconds = 30
  }

  expect_failures = [var.period_seconds]
}

run "throttling_shows_every_loaded_table" {
  command = plan

  variables {
    table_names = ["offload-orders", "offload-events"]
  }

  assert {
    condition = [for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for m in w.properties.metrics : m[3] if m[0] == "AWS/DynamoDB"]
    if w.properties.title == "Load rate and throttling"] == [["offload-orders", "offload-events"]]
    error_message = "one WriteThrottleEvents line per table the workers load (each schema's)"
  }
}
