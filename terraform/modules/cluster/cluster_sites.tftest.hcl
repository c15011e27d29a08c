# issue 25: each site is a trust domain: its own task role and task definition, and its role reads
# only its input sub-prefix and writes only its own results and staged shard parts.
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
  sites           = { dc1 = { prefix = "dc1/" }, dc2 = { prefix = "dc2/" } }
}

run "each_site_has_its_own_role_and_task_definition" {
  command = apply # mocked

  assert {
    condition     = toset(keys(aws_iam_role.task)) == toset(["dc1", "dc2"]) && aws_iam_role.task["dc1"].name == "offload-us-east-1-dc1-task"
    error_message = "one task role per site, named after it"
  }
  assert {
    condition     = aws_ecs_task_definition.this["dc2"].family == "offload-dc2-worker" && contains(jsondecode(aws_ecs_task_definition.this["dc2"].container_definitions)[0].environment, { name = "SITE_PREFIX", value = "dc2/" })
    error_message = "one task definition per site, telling its worker the site's prefix"
  }
}

run "a_sites_role_reaches_only_its_own_prefixes" {
  command = plan

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.task["dc1"].statement : [for r in s.resources : r if startswith(r, "arn:aws:s3:::orders/")]])) == toset([
      "arn:aws:s3:::orders/incoming/dc1/*",
      "arn:aws:s3:::orders/processed/dc1/*",
      "arn:aws:s3:::orders/rejected/dc1/*",
      "arn:aws:s3:::orders/processed/.offload-shards/dc1/*",
    ])
    error_message = "site dc1's role names only dc1's input, results, rejects and staged parts"
  }
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.task["dc1"].statement : toset(one(s.condition).values) == toset(["incoming/dc1/*", "processed/.offload-shards/dc1/*"])
    if contains(s.actions, "s3:ListBucket")])
    error_message = "site dc1 lists only its own inputs and staged parts"
  }
}

run "a_sites_role_touches_only_its_own_job_records" {
  command = plan

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.task["dc1"].statement : anytrue([for c in s.condition :
      c.test == "ForAllValues:StringLike" && c.variable == "dynamodb:LeadingKeys" && toset(c.values) == toset(["dc1-*"])])
    if contains(s.resources, "arn:aws:dynamodb:us-east-1:123456789012:table/offload-jobs")])
    error_message = "site dc1's role reads and reports only on job records whose JobId begins with dc1- (dynamodb:LeadingKeys)"
  }
}

run "the_site_taking_every_input_owns_every_job_record" {
  command = plan

  variables {
    sites = { default = { prefix = "" } }
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.task["default"].statement : alltrue([for c in s.condition : c.variable != "dynamodb:LeadingKeys"])])
    error_message = "the implicit site's job ids carry no site: its role is not held to a key prefix"
  }
}

run "overlapping_prefixes_are_refused" {
  command = plan

  variables {
    sites = { dc1 = { prefix = "dc1/" }, sub = { prefix = "dc1/sub/" } }
  }

  expect_failures = [var.sites]
}

run "a_bad_site_name_is_refused" {
  command = plan

  variables {
    sites = { "Site_1" = { prefix = "dc1/" } }
  }

  expect_failures = [var.sites]
}
