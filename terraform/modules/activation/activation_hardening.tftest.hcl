# Names across stacks and regions, the instance role's trust, tags that cannot replace the
# activation (issue 22, items 3 and 13).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name        = "offload"
  cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/offload"
}

run "instance_role_trusts_only_ssm_of_this_account_and_region" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = { id = "eu-west-1", name = "eu-west-1" }
  }

  assert {
    condition     = aws_iam_role.this.name == "offload-eu-west-1-ecs-anywhere"
    error_message = "IAM names are account-wide: the role's name carries the region"
  }

  assert {
    condition = tomap({ for c in one(data.aws_iam_policy_document.ssm_trust.statement).condition : "${c.test} ${c.variable}" => join(",", c.values) }) == tomap({
      "StringEquals aws:SourceAccount" = "123456789012"
      "ArnLike aws:SourceArn"          = "arn:aws:ssm:eu-west-1:123456789012:*"
    })
    error_message = "only Systems Manager acting for this account and region may assume the role (confused deputy)"
  }
}

run "activation_with_tags" {
  variables {
    tags = { Owner = "ops" }
  }

  assert {
    condition     = aws_ssm_activation.this.tags == tomap({ Owner = "ops" })
    error_message = "the activation carries the tags it was created with"
  }
}

run "a_tag_change_does_not_replace_the_activation" {
  command = plan

  variables {
    tags = { Owner = "platform" }
  }

  assert {
    condition     = aws_ssm_activation.this.tags == tomap({ Owner = "ops" })
    error_message = "tags are ignored after creation: SSM cannot change them, so the provider would replace the activation (and its code)"
  }
}
