# Table names are unique per account and region: each stack's derive from var.name (issue 22, item 3).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "second"
}

run "tables_and_bucket_derive_from_name" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.orders.name == "second-orders" && aws_dynamodb_table.jobs.name == "second-jobs"
    error_message = "the orders and jobs tables are named after the stack"
  }

  assert {
    condition     = aws_s3_bucket.this.bucket_prefix == "second-"
    error_message = "the bucket's (globally unique) name is made by AWS from the stack's name"
  }
}

run "order_stays_an_explicit_choice" {
  command = plan

  variables {
    orders_table_name = "Order"
  }

  assert {
    condition     = aws_dynamodb_table.orders.name == "Order"
    error_message = "orders_table_name keeps the workshop's table reachable"
  }
}

run "an_invalid_table_name_is_refused" {
  command = plan

  variables {
    orders_table_name = "no spaces"
  }

  expect_failures = [var.orders_table_name]
}
