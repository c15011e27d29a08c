# The on-prem instance role: only what the ECS and SSM agents call, on this cluster's ARNs (issue 25, item 1).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name        = "offload"
  cluster_arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/offload"
}

override_data {
  target = data.aws_arn.cluster
  values = { partition = "aws", service = "ecs", region = "eu-west-1", account = "123456789012", resource = "cluster/offload" }
}

run "the_agents_may_act_only_on_this_cluster" {
  command = plan

  assert {
    condition = jsonencode({ for s in data.aws_iam_policy_document.agents.statement : s.sid => sort(s.resources) }) == jsonencode({
      JoinAndReportToThisCluster = ["arn:aws:ecs:eu-west-1:123456789012:cluster/offload"]
      TakeWorkFromThisCluster    = ["arn:aws:ecs:eu-west-1:123456789012:container-instance/offload/*"]
      FindTheEndpoints           = ["*"]
      StayOnline                 = ["arn:aws:ssm:eu-west-1:123456789012:managed-instance/*"]
    })
    error_message = "each statement names this cluster's (or this account and region's managed instances') ARNs; * only for DiscoverPollEndpoint"
  }

  assert {
    condition = sort(flatten([for s in data.aws_iam_policy_document.agents.statement : tolist(s.actions)])) == sort([
      "ecs:RegisterContainerInstance", "ecs:SubmitTaskStateChange", "ecs:SubmitContainerStateChange",
      "ecs:DeregisterContainerInstance", "ecs:Poll", "ecs:StartTelemetrySession", "ecs:DiscoverPollEndpoint",
      "ssm:UpdateInstanceInformation",
    ])
    error_message = "only the agents' calls: no ECR, no Logs, no ssm:GetParameter*, no CreateCluster or UpdateContainerInstancesState"
  }

  assert {
    condition = jsonencode([for c in one([for s in data.aws_iam_policy_document.agents.statement : s if s.sid == "TakeWorkFromThisCluster"]).condition : [c.test, c.variable, c.values]]) == jsonencode([
      ["ArnEquals", "ecs:cluster", [var.cluster_arn]],
    ])
    error_message = "Poll and StartTelemetrySession carry the ecs:cluster condition of this cluster"
  }

  assert {
    condition     = aws_iam_role_policy.this.policy == data.aws_iam_policy_document.agents.json
    error_message = "the instance role's one policy is this document"
  }
}

run "a_cluster_arn_that_is_not_one_is_refused" {
  command = plan

  variables {
    cluster_arn = "offload"
  }

  expect_failures = [var.cluster_arn]
}
