# Names across regions and the roles' trust (issue 22, items 3 and 13).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name            = "offload"
  bucket_arn      = "arn:aws:s3:::orders"
  input_prefix    = "incoming/"
  output_prefix   = "processed/"
  rejected_prefix = "rejected/"
  table_arns      = ["arn:aws:dynamodb:eu-west-1:123456789012:table/offload-orders"]
  jobs_table_arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/offload-jobs"
}

run "roles_trust_only_ecs_tasks_of_this_account_and_region" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = { id = "eu-west-1", name = "eu-west-1" }
  }

  assert {
    condition     = aws_iam_role.task["default"].name == "offload-eu-west-1-worker-task" && aws_iam_role.execution.name == "offload-eu-west-1-worker-execution"
    error_message = "IAM names are account-wide: the roles' names carry the region"
  }

  assert {
    condition = tomap({ for c in one(data.aws_iam_policy_document.ecs_tasks_trust.statement).condition : "${c.test} ${c.variable}" => join(",", c.values) }) == tomap({
      "StringEquals aws:SourceAccount" = "123456789012"
      "ArnLike aws:SourceArn"          = "arn:aws:ecs:eu-west-1:123456789012:*"
    })
    error_message = "only ECS tasks of this account and region may assume the task and execution roles (confused deputy)"
  }

  assert {
    condition     = aws_ecs_cluster.this.name == "offload" && aws_ecr_repository.this.name == "offload-worker" && aws_cloudwatch_log_group.this.name == "/ecs/offload-worker"
    error_message = "the regional names derive from var.name"
  }
}
