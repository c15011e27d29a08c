data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.id # the region's name from provider 3.39 to 6.x (6.x deprecates `name`)
}

# Only Systems Manager, for this account and region (confused deputy): the trust policy of the
# Systems Manager user guide's "Create the IAM service role required for Systems Manager in hybrid
# and multicloud environments", which ECS Anywhere's instance role is.
data "aws_iam_policy_document" "ssm_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ssm.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:ssm:${local.region}:${local.account}:*"]
    }
  }
}

# The role the SSM and ECS agents on an on-prem host run with. IAM names are account-wide: the
# region keeps a second region's stack of the same name apart.
resource "aws_iam_role" "this" {
  name               = var.site == null ? "${var.name}-${local.region}-ecs-anywhere" : "${var.name}-${local.region}-${var.site}-onprem"
  assume_role_policy = data.aws_iam_policy_document.ssm_trust.json
}

# What the agents on an EXTERNAL instance call, for this cluster only, in place of the managed
# AmazonSSMManagedInstanceCore and AmazonEC2ContainerServiceforEC2Role (account-wide: any Parameter
# Store value, any cluster and its tasks' credentials, any image, any log group). Each action is
# from the agents' source (aws/amazon-ecs-agent ecs-agent/api/ecs/client/ecs_client.go,
# aws/amazon-ssm-agent agent/health/healthcheck.go); its resources are what the Service
# Authorization Reference allows for it. docs/instance-role.md says what is left out and why.
data "aws_arn" "cluster" {
  arn = var.cluster_arn
}

locals {
  # arn:<partition>:ecs:<region>:<account>:container-instance/<cluster>/<id>
  container_instances = "${replace(var.cluster_arn, ":cluster/", ":container-instance/")}/*"
  managed_instances   = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_arn.cluster.region}:${data.aws_arn.cluster.account}:managed-instance/*"
}

data "aws_iam_policy_document" "agents" {
  statement {
    sid = "JoinAndReportToThisCluster"
    actions = [
      "ecs:RegisterContainerInstance",   # the ECS agent joins (ECS_CLUSTER is set: no CreateCluster)
      "ecs:SubmitTaskStateChange",       # task RUNNING/STOPPED, which the task-state function reads
      "ecs:SubmitContainerStateChange",  # the worker's exit code
      "ecs:DeregisterContainerInstance", # register-instance.sh --deregister leaves with these credentials
    ]
    resources = [var.cluster_arn] # cluster* in the reference
  }
  statement {
    sid = "TakeWorkFromThisCluster"
    actions = [
      "ecs:Poll",                  # ACS: tasks to run and their roles' credentials
      "ecs:StartTelemetrySession", # TCS: the agent's metrics and health (agent connected)
    ]
    resources = [local.container_instances] # container-instance* in the reference
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "FindTheEndpoints"
    actions   = ["ecs:DiscoverPollEndpoint"] # where ACS/TCS are; no resource type nor condition key exists
    resources = ["*"]
  }
  statement {
    sid       = "StayOnline"
    actions   = ["ssm:UpdateInstanceInformation"] # the SSM agent's heartbeat (PingStatus Online)
    resources = [local.managed_instances]         # managed-instance in the reference
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "ecs-anywhere-agents"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.agents.json
}

resource "aws_ssm_activation" "this" {
  name               = var.site == null ? "${var.name}-on-prem" : "${var.name}-${var.site}-on-prem"
  description        = var.site == null ? "Registers on-prem hosts to the ${var.name} ECS cluster" : "Registers site ${var.site}'s on-prem hosts to the ${var.name} ECS cluster"
  iam_role           = aws_iam_role.this.name
  registration_limit = var.instance_count
  expiration_date    = timeadd(timestamp(), "${var.expiry_hours}h")
  tags               = var.tags

  lifecycle {
    # Fixed when created; `offload activation` mints a fresh one when it runs out.
    # Tags too: SSM sets an activation's tags only when it is created (AddTagsToResource takes no
    # activations), so the provider would replace it, with a new code, on any tag change, the
    # provider's default_tags included (hashicorp/terraform-provider-aws#23789). Machines keep the
    # tags they registered with; a new activation (`offload activation`) takes the new ones.
    ignore_changes = [expiration_date, tags, tags_all]
  }

  depends_on = [aws_iam_role_policy.this]
}
