mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "offload"
}

run "tables_on_demand_and_bucket_tls_only" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.orders.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.orders.hash_key == "OrderId"
    error_message = "the Order table is on demand, keyed by OrderId"
  }

  assert {
    condition     = one(data.aws_iam_policy_document.tls_only.statement).effect == "Deny"
    error_message = "the bucket policy denies insecure transport"
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets
    error_message = "public access is blocked"
  }
}

run "jobs_are_found_by_status_without_a_scan" {
  command = plan

  assert {
    condition = anytrue([for i in aws_dynamodb_table.jobs.global_secondary_index :
    i.name == "ByStatus" && i.hash_key == "Status" && i.range_key == "UpdatedAt" && i.projection_type == "ALL"])
    error_message = "the jobs table has the watchdog's ByStatus index (Status, UpdatedAt)"
  }

  assert {
    condition = anytrue([for i in aws_dynamodb_table.jobs.global_secondary_index :
    i.name == "Backlog" && i.hash_key == "WaitingLine" && i.range_key == "WaitingSince" && i.projection_type == "ALL"])
    error_message = "the jobs table has the sparse Backlog index (WaitingLine, WaitingSince)"
  }
}
