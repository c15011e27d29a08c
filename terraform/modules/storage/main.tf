resource "aws_s3_bucket" "this" {
  bucket        = var.bucket_name
  bucket_prefix = var.bucket_name == null ? "${var.name}-" : null
  force_destroy = var.force_destroy
  # S3 encrypts every object at rest by default (SSE-S3); nothing to add.
  # checkov:skip=CKV_AWS_18:access logging needs a second bucket; enable it in your account baseline
  # checkov:skip=CKV_AWS_144:cross-region replication is a cost/DR choice left to the user
  # checkov:skip=CKV_AWS_145:SSE-S3 (default) is used; a CMK needs key policy for S3 events to SQS
  # checkov:skip=CKV_AWS_21:inputs are immutable drops keyed by ETag; versioning is optional
  # checkov:skip=CKV2_AWS_62:event notifications are configured in the dispatch module

  # twin: instead (provider 3.39 has no aws_s3_bucket_versioning: the bucket takes the block)
  # versioning {
  #   enabled = var.versioning
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
  count  = var.versioning ? 1 : 0
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
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
