# terraform test, offline: the aws provider is mocked (no credentials, no AWS).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name        = "offload"
  cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/offload"
}

run "limit_and_expiry_come_from_the_variables" {
  command = plan

  variables {
    instance_count = 7
    expiry_hours   = 48
  }

  assert {
    condition     = aws_ssm_activation.this.registration_limit == 7
    error_message = "the activation admits instance_count machines"
  }

  assert {
    condition     = aws_ssm_activation.this.iam_role == "offload-us-east-1-ecs-anywhere"
    error_message = "machines join with the module's own instance role"
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.ssm_trust.statement : alltrue([for a in s.actions : !strcontains(a, "*")])])
    error_message = "the trust policy names no wildcard action"
  }
}

run "expiry_beyond_thirty_days_is_refused" {
  command = plan

  variables {
    expiry_hours = 721
  }

  expect_failures = [var.expiry_hours]
}

run "no_machines_is_refused" {
  command = plan

  variables {
    instance_count = 0
  }

  expect_failures = [var.instance_count]
}
