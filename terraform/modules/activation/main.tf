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
  name               = "${var.name}-${local.region}-ecs-anywhere"
  assume_role_policy = data.aws_iam_policy_document.ssm_trust.json
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = toset(["AmazonSSMManagedInstanceCore", "service-role/AmazonEC2ContainerServiceforEC2Role"])

  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/${each.value}"
}

resource "aws_ssm_activation" "this" {
  name               = "${var.name}-on-prem"
  description        = "Registers on-prem hosts to the ${var.name} ECS cluster"
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

  depends_on = [aws_iam_role_policy_attachment.this]
}
