data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.id # the region's name from provider 3.39 to 6.x (6.x deprecates `name`)
  # IAM names are account-wide: the region keeps a second region's stack of the same name apart.
  role_prefix    = "${var.name}-${local.region}"
  container_name = "worker"
  image          = coalesce(var.worker_image, "${aws_ecr_repository.this.repository_url}:${var.worker_image_tag}")
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecr_repository" "this" {
  name                 = "${var.name}-worker"
  image_tag_mutability = "IMMUTABLE"
  # checkov:skip=CKV_AWS_136:AES256 at rest is the default; a CMK is the user's choice

  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the newest ${var.images_to_keep} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.images_to_keep
      }
      action = { type = "expire" }
    }]
  })
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}-worker"
  retention_in_days = var.log_retention_days
  # checkov:skip=CKV_AWS_158:log data is encrypted by CloudWatch; a CMK is the user's choice
  # checkov:skip=CKV_AWS_338:retention is a variable; 30 days by default
}

# Only ECS, for tasks of this account and region (confused deputy): the trust policy in the ECS
# developer guide's "Amazon ECS task IAM role". A cluster-scoped aws:SourceArn is not supported
# (awsdocs/amazon-ecs-developer-guide#208): the task ARN's region and account are what can be pinned.
data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:ecs:${local.region}:${local.account}:*"]
    }
  }
}

# The worker's own permissions, one role per site (issue 25): a site's tasks read only its own
# input sub-prefix and write only its own results and staged parts. The implicit site "default"
# keeps today's names, so a stack applied before sites existed keeps its role.
locals {
  site_suffix = { for site, _ in var.sites : site => site == "default" ? "" : "-${site}" }
  site_input  = { for site, s in var.sites : site => "${var.input_prefix}${s.prefix}" }
  # SHARD_PARTS in contract/offload_contract/layout.py, then the site's prefix (Layout.shard_part_key)
  site_staging = { for site, s in var.sites : site => "${var.output_prefix}.offload-shards/${s.prefix}" }
  # A site's job ids begin with "<site>-" (offload_contract.ids.job_site): its role may touch only those
  # records (dynamodb:LeadingKeys, the partition key JobId of the items a GetItem/UpdateItem names; it must
  # be used with ForAllValues: DynamoDB developer guide, "Using IAM policy conditions for fine-grained
  # access control"). A site taking every input (prefix "", the implicit one) owns every job: no condition.
  site_job_ids = { for site, s in var.sites : site => s.prefix == "" ? [] : ["${site}-*"] }
}

resource "aws_iam_role" "task" {
  for_each = var.sites

  name               = each.key == "default" ? "${local.role_prefix}-worker-task" : "${local.role_prefix}-${each.key}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "task" {
  for_each = var.sites

  statement {
    sid       = "ReadInputs"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/${local.site_input[each.key]}*"]
  }
  statement {
    sid     = "WriteResults"
    actions = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [
      "${var.bucket_arn}/${var.output_prefix}${each.value.prefix}*",
      "${var.bucket_arn}/${var.rejected_prefix}${each.value.prefix}*",
    ]
  }
  statement {
    sid       = "RemoveStaleRejects"
    actions   = ["s3:DeleteObject"]
    resources = ["${var.bucket_arn}/${var.rejected_prefix}${each.value.prefix}*"]
  }
  # S3 answers a missing key with 403 AccessDenied to a caller without s3:ListBucket, 404 to one
  # with it (S3 API reference, GetObject/HeadObject permissions): with this grant a deleted input
  # or staged part is "does not exist", and a 403 means a permission is really missing. A grant
  # scoped by s3:prefix suffices for keys under it (reported from testing in kopia/kopia#3072).
  statement {
    sid       = "MissingKeysAre404"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values = concat(
        ["${local.site_input[each.key]}*", "${local.site_staging[each.key]}*"],
        var.schemas_prefix == null ? [] : ["${var.schemas_prefix}*"],
      )
    }
  }
  statement {
    sid       = "StageShardParts" # shards stage their parts; the job's last shard reads and removes them
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject", "s3:DeleteObject"]
    resources = ["${var.bucket_arn}/${local.site_staging[each.key]}*"]
  }
  # Only the declared tables (the orders table, or each schema's); DescribeTable: the worker checks the
  # live table's key schema against its schema's keys before it reads the file's first byte.
  statement {
    sid       = "LoadTables"
    actions   = ["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:DescribeTable"]
    resources = var.table_arns
  }
  dynamic "statement" {
    for_each = var.schemas_prefix == null ? [] : [var.schemas_prefix]
    content {
      sid       = "ReadSchemas" # SCHEMA_KEY: content-addressed, uploaded by terraform outside the input prefix
      actions   = ["s3:GetObject"]
      resources = ["${var.bucket_arn}/${statement.value}*"]
    }
  }
  statement {
    sid       = "ReadJob" # shards read the boundaries they hand on, the last one the shards' counts
    actions   = ["dynamodb:GetItem"]
    resources = [var.jobs_table_arn]
    dynamic "condition" {
      for_each = length(local.site_job_ids[each.key]) > 0 ? [local.site_job_ids[each.key]] : []
      content {
        test     = "ForAllValues:StringLike"
        variable = "dynamodb:LeadingKeys"
        values   = condition.value
      }
    }
  }
  # The worker only reports (docs/contract.md "Who writes the record"): UpdateItem of exactly the
  # top-level attributes it reports (offload_contract.jobs.WORKER_FIELDS), the key included, never
  # Status; no PutItem or DeleteItem. ReturnValues ALL_OLD/ALL_NEW would return other attributes.
  # (DynamoDB developer guide, "Using IAM policy conditions for fine-grained access control":
  # dynamodb:Attributes, dynamodb:ReturnValues.)
  statement {
    sid       = "ReportJob"
    actions   = ["dynamodb:UpdateItem"]
    resources = [var.jobs_table_arn]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:Attributes"
      values = [
        "JobId", "Report", "RowsRead", "BytesRead", "SizeBytes", "RowsPerSecond", "ProgressAt",
        "LoadProcesses", "LoadProcessesReason", "Shards", "ShardsDone",
      ]
    }
    condition {
      test     = "StringEqualsIfExists"
      variable = "dynamodb:ReturnValues"
      values   = ["NONE", "UPDATED_OLD", "UPDATED_NEW"]
    }
    dynamic "condition" {
      for_each = length(local.site_job_ids[each.key]) > 0 ? [local.site_job_ids[each.key]] : []
      content {
        test     = "ForAllValues:StringLike"
        variable = "dynamodb:LeadingKeys"
        values   = condition.value
      }
    }
  }
}

resource "aws_iam_role_policy" "task" {
  for_each = var.sites

  name   = "worker"
  role   = aws_iam_role.task[each.key].id
  policy = data.aws_iam_policy_document.task[each.key].json
}

moved {
  from = aws_iam_role.task
  to   = aws_iam_role.task["default"]
}

moved {
  from = aws_iam_role_policy.task
  to   = aws_iam_role_policy.task["default"]
}

# What the ECS agent on the host needs to start the task: pull the image, ship logs.
resource "aws_iam_role" "execution" {
  name               = "${local.role_prefix}-worker-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid = "PullImage"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [aws_ecr_repository.this.arn]
  }
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this API has no resource-level permissions
  }
  statement {
    sid       = "ShipLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-and-log"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_ecs_task_definition" "this" {
  for_each = var.sites

  family                   = "${var.name}${local.site_suffix[each.key]}-worker"
  requires_compatibilities = ["EXTERNAL"]
  network_mode             = var.network_mode
  task_role_arn            = aws_iam_role.task[each.key].arn
  execution_role_arn       = aws_iam_role.execution.arn

  container_definitions = jsonencode([{
    name      = local.container_name
    image     = local.image
    essential = true
    cpu       = var.worker_cpu
    memory    = var.worker_memory
    # ECS places a GPU task only on an instance that registered enough GPUs
    resourceRequirements = var.worker_gpus > 0 ? [{ type = "GPU", value = tostring(var.worker_gpus) }] : null
    environment = [for k, v in merge({
      AWS_REGION         = local.region
      AWS_DEFAULT_REGION = local.region
      CLUSTER_NAME       = aws_ecs_cluster.this.name # the dimension of the worker's metrics
      # ECS enforces cpu only as shares: the container sees every host core, so the worker sizes itself from this
      WORKER_CPU_UNITS = tostring(var.worker_cpu)
      SITE_PREFIX      = each.value.prefix # where its shards stage their parts (the role allows only there)
      }, var.environment) : {
      name  = k
      value = v
    }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "worker"
      }
    }
  }])
}

moved {
  from = aws_ecs_task_definition.this
  to   = aws_ecs_task_definition.this["default"]
}
