mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name            = "offload"
  bucket_arn      = "arn:aws:s3:::orders"
  input_prefix    = "incoming/"
  output_prefix   = "processed/"
  rejected_prefix = "rejected/"
  table_arns      = ["arn:aws:dynamodb:us-east-1:123456789012:table/Order"]
  jobs_table_arn  = "arn:aws:dynamodb:us-east-1:123456789012:table/offload-jobs"
}

run "task_definition_is_external_with_awslogs" {
  command = apply # mocked: the container definitions need the (mock) log group and repository

  assert {
    condition     = aws_ecs_task_definition.this["default"].requires_compatibilities == toset(["EXTERNAL"]) && aws_ecs_task_definition.this["default"].network_mode == "bridge"
    error_message = "the worker runs on ECS Anywhere: EXTERNAL, bridge"
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this["default"].container_definitions)[0].logConfiguration.logDriver == "awslogs"
    error_message = "the worker's output (and its EMF metrics) goes to CloudWatch Logs"
  }

  assert {
    condition = alltrue([for d in [data.aws_iam_policy_document.task["default"], data.aws_iam_policy_document.execution, data.aws_iam_policy_document.ecs_tasks_trust] : alltrue([
      for s in d.statement : alltrue([for a in s.actions : !strcontains(a, "*")])
    ])])
    error_message = "the task and execution policies name no wildcard action"
  }
}

run "the_task_role_may_list_only_its_inputs_and_staged_parts" {
  command = plan

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.task["default"].statement : (
        s.resources == toset(["arn:aws:s3:::orders"]) && one(s.condition).test == "StringLike" && one(s.condition).variable == "s3:prefix"
        && toset(one(s.condition).values) == toset(["incoming/*", "processed/.offload-shards/*"])
      ) if contains(s.actions, "s3:ListBucket")
    ]) && length([for s in data.aws_iam_policy_document.task["default"].statement : s if contains(s.actions, "s3:ListBucket")]) == 1
    error_message = "s3:ListBucket on the bucket, only for the input prefix and the staged shard parts (a missing key is then 404)"
  }
}

run "gpus_become_a_resource_requirement" {
  command = apply # mocked

  variables {
    worker_gpus = 2
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this["default"].container_definitions)[0].resourceRequirements == [{ type = "GPU", value = "2" }]
    error_message = "worker_gpus asks ECS for that many GPUs"
  }
}

run "awsvpc_is_refused" {
  command = plan

  variables {
    network_mode = "awsvpc"
  }

  expect_failures = [var.network_mode]
}

run "tiny_cpu_is_refused" {
  command = plan

  variables {
    worker_cpu = 64
  }

  expect_failures = [var.worker_cpu]
}

run "the_worker_is_told_its_cpu_units" {
  command = apply # mocked

  variables {
    worker_cpu = 2048
  }

  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.this["default"].container_definitions)[0].environment, { name = "WORKER_CPU_UNITS", value = "2048" })
    error_message = "ECS enforces cpu only as shares: the worker sizes its load processes from WORKER_CPU_UNITS"
  }
}
