# provider: >= 5 (aws_s3_bucket_versioning; the twin's 3.39 copy sets the bucket's block instead)
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "offload"
}

run "versioning_is_off_unless_asked_for" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_versioning.this) == 0
    error_message = "versioning is off unless asked for"
  }
}

run "versioning_when_asked_for" {
  command = plan

  variables {
    versioning = true
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this[0].versioning_configuration).status == "Enabled"
    error_message = "versioning = true keeps every upload's version"
  }
}
