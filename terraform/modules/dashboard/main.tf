# One CloudWatch dashboard of the pipeline. Metric names: docs/contract.md (Offload namespace,
# dimension Cluster: the worker's EMF lines and the watchdog), plus AWS's own for the stack's
# queue, functions and table. A test checks every widget against what is actually emitted.
data "aws_region" "current" {}

locals {
  region = data.aws_region.current.id # the region's name from provider 3.39 to 6.x (6.x deprecates `name`)
  c      = var.cluster_name

  widgets = [
    {
      title   = "Jobs by status"
      stat    = "Sum"
      metrics = [["Offload", "JobsSucceeded", "Cluster", local.c], ["Offload", "JobsFailed", "Cluster", local.c], ["Offload", "JobsStuckRunning", "Cluster", local.c, { stat = "Maximum" }]]
    },
    {
      title   = "Rows loaded per minute"
      stat    = "Sum"
      metrics = [["Offload", "RowsLoaded", "Cluster", local.c], ["Offload", "RowsRejected", "Cluster", local.c]]
    },
    {
      title = "Load rate and throttling"
      stat  = "Maximum"
      # One throttling line per loaded table: the orders table, or each schema's.
      metrics = concat([["Offload", "RowsPerSecond", "Cluster", local.c], ["Offload", "ThrottledMs", "Cluster", local.c, { stat = "Sum", yAxis = "right" }]],
      [for table in var.table_names : ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", table, { stat = "Sum", yAxis = "right" }]])
    },
    {
      # The backlog (docs/contract.md "The backlog"): its length, and how long its head has waited (right axis).
      title   = "Backlog: jobs waiting, oldest wait (s)"
      stat    = "Maximum"
      metrics = [["Offload", "JobsWaiting", "Cluster", local.c], ["Offload", "OldestWaitSeconds", "Cluster", local.c, { yAxis = "right" }]]
    },
    {
      title   = "Dead-letter queue depth"
      stat    = "Maximum"
      metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.dlq_name]]
    },
    {
      title   = "Agents"
      stat    = "Maximum"
      metrics = [["Offload", "AgentsConnected", "Cluster", local.c], ["Offload", "AgentsDisconnected", "Cluster", local.c]]
    },
    {
      title   = "Lambda errors"
      stat    = "Sum"
      metrics = [for f in var.function_names : ["AWS/Lambda", "Errors", "FunctionName", f]]
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name}-${local.region}" # dashboards are global per account: PutDashboard replaces one of the same name
  dashboard_body = jsonencode({
    widgets = [for i, w in local.widgets : {
      type   = "metric"
      x      = (i % 2) * 12
      y      = floor(i / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = w.title
        region  = local.region
        stat    = w.stat
        period  = var.period_seconds
        view    = "timeSeries"
        metrics = w.metrics
      }
    }]
  })
}
