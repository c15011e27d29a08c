# The job's fate is decided in the cloud (docs/contract.md "Who writes the record"): the task role
# may UpdateItem the jobs table only on the attributes a worker reports, never Status.
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name            = "offload"
  bucket_arn      = "arn:aws:s3:::orders"
  input_prefix    = "incoming/"
  output_prefix   = "processed/"
  rejected_prefix = "rejected/"
  table_arns      = ["arn:aws:dynamodb:us-east-1:123456789012:table/Order"]
  jobs_table_arn  = "arn:aws:dynamodb:us-east-1:123456789012:table/offload-jobs"
}

run "the_task_role_updates_only_the_fields_a_worker_reports" {
  command = plan

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.task["default"].statement : (
        toset(s.actions) == toset(["dynamodb:UpdateItem"]) && length([
          for c in s.condition : c if c.test == "ForAllValues:StringEquals" && c.variable == "dynamodb:Attributes" && toset(c.values) == toset([
            "JobId", "Report", "RowsRead", "BytesRead", "SizeBytes", "RowsPerSecond", "ProgressAt",
            "LoadProcesses", "LoadProcessesReason", "Shards", "ShardsDone",
          ])
          ]) == 1 && length([
          for c in s.condition : c if c.test == "StringEqualsIfExists" && c.variable == "dynamodb:ReturnValues" && !contains(c.values, "ALL_NEW") && !contains(c.values, "ALL_OLD")
        ]) == 1
      ) if contains(s.resources, var.jobs_table_arn) && contains(s.actions, "dynamodb:UpdateItem")
    ]) && length([for s in data.aws_iam_policy_document.task["default"].statement : s if contains(s.actions, "dynamodb:UpdateItem")]) == 1
    error_message = "the task role's only UpdateItem is on the jobs table, limited by dynamodb:Attributes to the worker's fields (JobId, Report, progress, load processes, Shards, ShardsDone) and no ALL_* ReturnValues"
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.task["default"].statement : !contains(s.actions, "dynamodb:PutItem") && !contains(s.actions, "dynamodb:DeleteItem") if contains(s.resources, var.jobs_table_arn)
    ])
    error_message = "no PutItem or DeleteItem on the jobs table for the task role"
  }
}
