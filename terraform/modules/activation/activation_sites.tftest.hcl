# issue 25: a site's hosts join with its own activation, as its own instance role.
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name        = "offload"
  cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/offload"
}

run "a_site_has_its_own_activation_and_role" {
  command = plan

  variables {
    site = "dc1"
  }

  assert {
    condition     = aws_iam_role.this.name == "offload-us-east-1-dc1-onprem" && aws_ssm_activation.this.iam_role == "offload-us-east-1-dc1-onprem"
    error_message = "site dc1's activation registers its hosts as dc1's own instance role"
  }
  assert {
    condition     = aws_ssm_activation.this.name == "offload-dc1-on-prem"
    error_message = "the activation is named after its site"
  }
}

run "no_site_keeps_the_stacks_names" {
  command = plan

  assert {
    condition     = aws_iam_role.this.name == "offload-us-east-1-ecs-anywhere" && aws_ssm_activation.this.name == "offload-on-prem"
    error_message = "a stack without sites keeps its role and activation"
  }
}

run "a_bad_site_name_is_refused" {
  command = plan

  variables {
    site = "DC_1"
  }

  expect_failures = [var.site]
}
