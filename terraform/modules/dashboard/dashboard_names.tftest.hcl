# Dashboards are global per account: a second stack's PutDashboard must not replace the first's (issue 22, item 3).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name           = "offload"
  cluster_name   = "offload"
  dlq_name       = "offload-events-dlq"
  function_names = ["offload-dispatch"]
  table_names    = ["offload-orders"]
}

run "the_dashboard_name_carries_the_region" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = { id = "eu-west-1", name = "eu-west-1" }
  }

  assert {
    condition     = aws_cloudwatch_dashboard.this.dashboard_name == "offload-eu-west-1"
    error_message = "the same stack name in two regions makes two dashboards"
  }

  assert {
    condition     = alltrue([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.region == "eu-west-1"])
    error_message = "the widgets show the stack's own region"
  }
}
