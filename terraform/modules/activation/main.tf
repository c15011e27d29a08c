data "aws_partition" "current" {}

data "aws_iam_policy_document" "ssm_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ssm.amazonaws.com"]
    }
  }
}

# The role the SSM and ECS agents on an on-prem host run with.
resource "aws_iam_role" "this" {
  name               = "${var.name}-ecs-anywhere"
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

  lifecycle {
    # Fixed when created; `offload activation` mints a fresh one when it runs out.
    ignore_changes = [expiration_date]
  }

  depends_on = [aws_iam_role_policy_attachment.this]
}
