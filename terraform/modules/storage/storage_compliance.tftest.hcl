# provider: >= 5 (aws_s3_bucket_logging, aws_s3_bucket_object_lock_configuration; the twin's 3.39 copy omits both)
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name        = "offload"
  bucket_name = "offload-data"
}

run "no_access_logs_or_lock_unless_asked_for" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0 && length(aws_s3_bucket_object_lock_configuration.this) == 0
    error_message = "access logs and object lock are off by default"
  }
}

run "access_logs_go_to_the_log_bucket_under_a_prefix_and_force_versioning" {
  command = plan

  variables {
    access_log_bucket = "audit-logs"
  }

  assert {
    condition     = aws_s3_bucket_logging.this[0].target_bucket == "audit-logs" && aws_s3_bucket_logging.this[0].target_prefix == "s3-access-logs/offload-data/"
    error_message = "the bucket's access logs go to access_log_bucket under <access_log_prefix><bucket>/"
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this[0].versioning_configuration).status == "Enabled"
    error_message = "access logs turn versioning on, versioning = false notwithstanding"
  }
}

run "object_lock_sets_the_default_retention_and_forces_versioning" {
  command = plan

  variables {
    object_lock = { mode = "COMPLIANCE", days = 30 }
  }

  assert {
    condition     = one(one(aws_s3_bucket_object_lock_configuration.this[0].rule).default_retention).mode == "COMPLIANCE" && one(one(aws_s3_bucket_object_lock_configuration.this[0].rule).default_retention).days == 30
    error_message = "object_lock's mode and days are the bucket's default retention"
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this[0].versioning_configuration).status == "Enabled"
    error_message = "object lock needs versioning: it is turned on"
  }
}

run "object_lock_mode_is_validated" {
  command = plan

  variables {
    object_lock = { mode = "STRICT", days = 30 }
  }

  expect_failures = [var.object_lock]
}

run "object_lock_days_are_validated" {
  command = plan

  variables {
    object_lock = { mode = "GOVERNANCE", days = 0.5 }
  }

  expect_failures = [var.object_lock]
}

run "access_log_bucket_is_a_bucket_name" {
  command = plan

  variables {
    access_log_bucket = "Not_A_Bucket"
  }

  expect_failures = [var.access_log_bucket]
}

run "access_logs_never_go_into_the_bucket_itself" {
  command = plan

  variables {
    access_log_bucket = "offload-data"
  }

  expect_failures = [aws_s3_bucket_logging.this]
}
