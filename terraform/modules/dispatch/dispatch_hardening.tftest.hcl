# Names across stacks and regions (issue 22, item 3).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                     = "second"
  bucket_id                = "orders"
  bucket_arn               = "arn:aws:s3:::orders"
  input_prefix             = "incoming/"
  environment              = { TABLE_NAME = "second-orders" }
  lambda_zip               = "dispatch.tftest.hcl" # any file: the mock never uploads it
  cluster_arn              = "arn:aws:ecs:eu-west-1:123456789012:cluster/second"
  task_definition_families = ["second-worker"]
  pass_role_arns           = ["arn:aws:iam::123456789012:role/second-eu-west-1-worker-task"]
  jobs_table_arn           = "arn:aws:dynamodb:eu-west-1:123456789012:table/second-jobs"
}

run "names_derive_from_name_and_region" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = { id = "eu-west-1", name = "eu-west-1" }
  }

  assert {
    condition     = aws_iam_role.this.name == "second-eu-west-1-dispatch"
    error_message = "IAM names are account-wide: the role's name carries the region"
  }

  assert {
    condition = (aws_sqs_queue.this.name == "second-events" && aws_sqs_queue.dlq.name == "second-events-dlq"
      && alltrue([for k, f in aws_lambda_function.this : f.function_name == "second-${k}"])
      && alltrue([for k, g in aws_cloudwatch_log_group.this : g.name == "/aws/lambda/second-${k}"])
    && alltrue([for k, r in aws_cloudwatch_event_rule.this : r.name == "second-${k}"]))
    error_message = "queues, functions, log groups and rules derive from var.name"
  }
}
