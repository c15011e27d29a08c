# issue 24: every site's task role may load only the declared tables (and describe them: the worker
# checks the live table's keys first), and read the schema objects, never more.
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name            = "offload"
  bucket_arn      = "arn:aws:s3:::orders"
  input_prefix    = "incoming/"
  output_prefix   = "processed/"
  rejected_prefix = "rejected/"
  jobs_table_arn  = "arn:aws:dynamodb:us-east-1:123456789012:table/offload-jobs"
  sites           = { dc1 = { prefix = "dc1/" }, dc2 = { prefix = "dc2/" } }
  table_arns = [
    "arn:aws:dynamodb:us-east-1:123456789012:table/offload-events",
    "arn:aws:dynamodb:us-east-1:123456789012:table/LegacyItems",
  ]
  schemas_prefix = "schemas/"
}

run "each_sites_role_loads_only_the_declared_tables" {
  command = plan

  assert {
    condition = alltrue([for site in ["dc1", "dc2"] : toset(flatten([
      for s in data.aws_iam_policy_document.task[site].statement : tolist(s.resources) if anytrue([for a in s.actions : startswith(a, "dynamodb:") && a != "dynamodb:GetItem" && a != "dynamodb:UpdateItem"])
      ])) == toset([
      "arn:aws:dynamodb:us-east-1:123456789012:table/offload-events",
      "arn:aws:dynamodb:us-east-1:123456789012:table/LegacyItems",
    ])])
    error_message = "a site's role writes and describes the schemas' tables and no other"
  }

  assert {
    condition = alltrue([for site in ["dc1", "dc2"] : one([
      for s in data.aws_iam_policy_document.task[site].statement : s.actions if s.sid == "LoadTables"
    ]) == toset(["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:DescribeTable"])])
    error_message = "BatchWriteItem and PutItem to load, DescribeTable to check the keys: nothing else on the tables"
  }
}

run "each_sites_role_reads_the_schema_objects" {
  command = plan

  assert {
    condition = alltrue([for site in ["dc1", "dc2"] : one([
      for s in data.aws_iam_policy_document.task[site].statement : s.resources if s.sid == "ReadSchemas"
    ]) == toset(["arn:aws:s3:::orders/schemas/*"])])
    error_message = "s3:GetObject on schemas/* only"
  }

  assert {
    condition = contains(one([
      for s in data.aws_iam_policy_document.task["dc1"].statement : one(s.condition).values if contains(s.actions, "s3:ListBucket")
    ]), "schemas/*")
    error_message = "a missing schema object answers 404 (s3:ListBucket under schemas/), not 403"
  }
}

run "without_schemas_no_schema_objects_and_the_one_table" {
  command = plan

  variables {
    table_arns     = ["arn:aws:dynamodb:us-east-1:123456789012:table/offload-orders"]
    schemas_prefix = null
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.task["dc1"].statement : s if s.sid == "ReadSchemas"]) == 0
    error_message = "schemas = {}: the role reads no schema object"
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.task["dc1"].statement : s.resources if s.sid == "LoadTables"]) == toset(["arn:aws:dynamodb:us-east-1:123456789012:table/offload-orders"])
    error_message = "schemas = {}: the orders table only"
  }
}

run "a_table_is_named_by_its_arn" {
  command = plan

  variables {
    table_arns = ["offload-events"]
  }

  expect_failures = [var.table_arns]
}
