# provider: >= 5 (the storage module's aws_s3_object)
# issue 24: the root reads each schema's YAML (yamldecode) for its keys and duplicates rule, and tells the
# dispatcher (SCHEMAS), the task roles (the declared tables) and the storage (uploads, tables) about it.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  lambda_zip = "versions.tf" # any file: the mock never uploads it
  schemas = {
    events = { file = "testdata/events.yaml", prefix = "events/", suffixes = [".jsonl", ".jsonl.gz"] }
    orders = { file = "testdata/orders-v2.yaml", prefix = "orders/", table = "Order" }
  }
}

run "the_dispatcher_is_told_each_schemas_prefix_object_table_and_rule" {
  command = plan

  assert {
    condition = jsondecode(local.dispatch_environment.SCHEMAS) == {
      events = {
        prefix     = "events/"
        key        = "schemas/events/${filesha256("testdata/events.yaml")}.yaml"
        digest     = filesha256("testdata/events.yaml")
        table      = "offload-events"
        suffixes   = [".jsonl", ".jsonl.gz"]
        whole_file = true # duplicates: first
      }
      orders = {
        prefix     = "orders/"
        key        = "schemas/orders/${filesha256("testdata/orders-v2.yaml")}.yaml"
        digest     = filesha256("testdata/orders-v2.yaml")
        table      = "Order"
        suffixes   = [".csv"]
        whole_file = false # no duplicates rule: last
      }
    }
    error_message = "SCHEMAS names each schema's prefix, content-addressed key, digest, table, suffixes and whole_file"
  }
}

run "no_schemas_keeps_todays_stack" {
  command = plan

  variables {
    schemas = {}
  }

  assert {
    condition     = !contains(keys(local.dispatch_environment), "SCHEMAS")
    error_message = "schemas = {}: no SCHEMAS, so the built-in orders schema into the orders table"
  }
}

run "overlapping_prefixes_are_refused" {
  command = plan

  variables {
    schemas = {
      events = { file = "testdata/events.yaml", prefix = "events/" }
      eu     = { file = "testdata/events.yaml", prefix = "events/eu/" }
    }
  }

  expect_failures = [var.schemas]
}

run "a_missing_file_is_refused" {
  command = plan

  variables {
    schemas = { events = { file = "testdata/nothing.yaml", prefix = "events/" } }
  }

  expect_failures = [var.schemas]
}

run "a_schema_prefix_is_a_relative_sub_prefix" {
  command = plan

  variables {
    schemas = { events = { file = "testdata/events.yaml", prefix = "/events" } }
  }

  expect_failures = [var.schemas]
}

run "the_schemas_are_an_output" {
  command = plan

  assert {
    condition     = output.schemas["orders"].table == "Order" && output.schemas["events"].key == "schemas/events/${filesha256("testdata/events.yaml")}.yaml"
    error_message = "`offload output` shows each schema's table and object"
  }
}
