# provider: >= 5 (aws_s3_bucket_lifecycle_configuration; the twin's 3.39 copy sets the bucket's lifecycle_rule blocks)
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                = "offload"
  staged_parts_prefix = "done/.offload-shards/"
}

run "staged_shard_parts_and_unfinished_uploads_expire" {
  command = plan

  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "staged-shard-parts"]).filter[0].prefix == "done/.offload-shards/"
    error_message = "staged parts expire under the prefix the worker stages them at"
  }

  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r if r.id == "unfinished-uploads"]).abort_incomplete_multipart_upload[0].days_after_initiation == 7
    error_message = "unfinished multipart uploads are aborted after a week"
  }
}

run "expiry_days_are_whole_and_positive" {
  command = plan

  variables {
    staged_parts_expire_days = 0
  }

  expect_failures = [var.staged_parts_expire_days]
}
