data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # Object lock needs versioning (S3 keeps each locked version; it refuses to lock an unversioned bucket).
  # Access logs name the key and request but not the bytes: with versioning, an overwrite or delete an
  # audit finds in the log still has the version it replaced, so the log proves what was there.
  versioning = var.versioning || var.access_log_bucket != null || var.object_lock != null
}

resource "aws_s3_bucket" "this" {
  bucket        = var.bucket_name
  bucket_prefix = var.bucket_name == null ? "${var.name}-" : null
  force_destroy = var.force_destroy
  # S3 encrypts every object at rest by default (SSE-S3); nothing to add.
  # checkov:skip=CKV_AWS_18:access logging needs a second bucket: set access_log_bucket (off by default)
  # checkov:skip=CKV_AWS_144:cross-region replication is a cost/DR choice left to the user
  # checkov:skip=CKV_AWS_145:SSE-S3 (default) is used; a CMK needs key policy for S3 events to SQS
  # checkov:skip=CKV_AWS_21:inputs are immutable drops keyed by ETag; versioning is optional (on with the compliance options)
  # checkov:skip=CKV2_AWS_62:event notifications are configured in the dispatch module

  # twin: instead (provider 3.39 has no aws_s3_bucket_versioning: the bucket takes the block)
  # versioning {
  #   enabled = local.versioning
  # }
  # twin: end
}

# twin: skip (provider 5.x waits for 3 identical reads 10 s apart; the twin expires nothing anyway)
# A sharded job's parts are removed once assembled; these rules catch those of a job that never was,
# and uploads a killed worker left unfinished (invisible, but billed).
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "staged-shard-parts"
    status = "Enabled"
    filter {
      prefix = var.staged_parts_prefix
    }
    expiration {
      days = var.staged_parts_expire_days
    }
  }

  rule {
    id     = "unfinished-uploads"
    status = "Enabled"
    filter {
      prefix = ""
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = var.staged_parts_expire_days
    }
  }
}
# twin: end

# twin: omit
resource "aws_s3_bucket_versioning" "this" {
  count  = local.versioning ? 1 : 0
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}
# twin: end

# twin: omit (provider 3.39 has neither resource; the twin keeps no access logs and locks nothing)
# Server access logs (S3's own delivery) of this bucket, under a prefix of a bucket you keep for
# logs: it must grant the logging service principal s3:PutObject, and S3 refuses an object-lock
# bucket as a log target (AWS: "Logging requests with server access logging").
resource "aws_s3_bucket_logging" "this" {
  count         = var.access_log_bucket == null ? 0 : 1
  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = "${var.access_log_prefix}${aws_s3_bucket.this.bucket}/"

  lifecycle {
    precondition {
      condition     = var.access_log_bucket != aws_s3_bucket.this.bucket
      error_message = "access_log_bucket must be another bucket: logging a bucket into itself logs its own log writes."
    }
  }
}

# Write once, read many: every object version written is kept from deletion and overwrite for the
# retention. Put on an existing bucket once versioning is on (PutObjectLockConfiguration, no token
# since Nov 2023; terraform-aws-modules/terraform-aws-s3-bucket#403): no bucket replacement.
# Object lock cannot be turned off again, and in COMPLIANCE mode not even the root user can shorten it.
resource "aws_s3_bucket_object_lock_configuration" "this" {
  count  = var.object_lock == null ? 0 : 1
  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = var.object_lock.mode
      days = var.object_lock.days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
# twin: end

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_dynamodb_table" "orders" {
  name         = coalesce(var.orders_table_name, "${var.name}-orders")
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "OrderId"
  # checkov:skip=CKV_AWS_119:AWS-owned encryption at rest is always on; a CMK is the user's choice

  attribute {
    name = "OrderId"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }
}

resource "aws_dynamodb_table" "jobs" {
  name         = "${var.name}-jobs"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "JobId"
  # checkov:skip=CKV_AWS_119:AWS-owned encryption at rest is always on; a CMK is the user's choice
  # checkov:skip=CKV_AWS_28:job records are a short-lived ledger that expires by TTL

  attribute {
    name = "JobId"
    type = "S"
  }

  attribute {
    name = "Status"
    type = "S"
  }

  attribute {
    name = "UpdatedAt"
    type = "N"
  }

  attribute {
    name = "WaitingLine"
    type = "S"
  }

  attribute {
    name = "WaitingSince"
    type = "N"
  }

  # The watchdog finds open (QUEUED, RUNNING) jobs by status and age without a table scan
  # (STATUS_INDEX in contract/offload_contract/jobs.py). Few status values make few partitions,
  # ample for a ledger written a few times per job and per PROGRESS_SECONDS while it runs.
  global_secondary_index {
    name            = "ByStatus"
    hash_key        = "Status"
    range_key       = "UpdatedAt"
    projection_type = "ALL"
  }

  # The backlog, oldest first (BACKLOG_INDEX; docs/contract.md "The backlog"). Sparse: only a job
  # waiting for capacity carries WaitingLine/WaitingSince, so the index holds the line and no more,
  # and starting the next job reads its head, whatever the table's size.
  global_secondary_index {
    name            = "Backlog"
    hash_key        = "WaitingLine"
    range_key       = "WaitingSince"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "ExpiresAt"
    enabled        = true
  }
}

# --- schemas (issue 24) --------------------------------------------------------

locals {
  # Content-addressed, outside the input prefix (nothing starts a job): a task loads the version its job
  # was claimed with (SCHEMA_KEY), and a new file is a new key beside the old one.
  schema_objects = { for name, s in var.schemas : name => {
    key    = "schemas/${name}/${filesha256(s.file)}.yaml"
    digest = filesha256(s.file)
    table  = coalesce(s.table, "${var.name}-${name}")
  } }
  created_tables = { for name, s in var.schemas : name => s if s.table == null }
  table_arn      = "arn:${data.aws_partition.current.partition}:dynamodb:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:table"
}

# twin: omit
resource "aws_s3_object" "schema" {
  for_each = var.schemas

  bucket       = aws_s3_bucket.this.id
  key          = local.schema_objects[each.key].key
  source       = each.value.file
  etag         = filemd5(each.value.file)
  content_type = "application/yaml"
}
# twin: end
# twin: instead (provider 3.39 names it aws_s3_bucket_object)
# resource "aws_s3_bucket_object" "schema" {
#   for_each = var.schemas
#
#   bucket       = aws_s3_bucket.this.id
#   key          = local.schema_objects[each.key].key
#   source       = each.value.file
#   etag         = filemd5(each.value.file)
#   content_type = "application/yaml"
# }
# twin: end

# A schema's own table, when it names none: its keys from the schema's YAML, on demand, point-in-time
# recovery and encryption at rest as the orders table.
resource "aws_dynamodb_table" "schema" {
  for_each = local.created_tables

  name         = local.schema_objects[each.key].table
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = each.value.partition_key.attribute
  range_key    = try(each.value.sort_key.attribute, null)
  # checkov:skip=CKV_AWS_119:AWS-owned encryption at rest is always on; a CMK is the user's choice

  dynamic "attribute" {
    for_each = concat([each.value.partition_key], each.value.sort_key == null ? [] : [each.value.sort_key])
    content {
      name = attribute.value.attribute
      type = attribute.value.type
    }
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }
}
