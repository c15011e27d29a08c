# provider: >= 5 (aws_s3_object; the twin's 3.39 uploads with aws_s3_bucket_object instead)
# issue 24: each schema is uploaded content-addressed (schemas/<name>/<sha256>.yaml, outside any input
# prefix) and gets its own table from its keys unless it names an existing one.
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name = "offload"
  schemas = {
    events = {
      file          = "testdata/events.yaml"
      partition_key = { attribute = "PK", type = "S" }
      sort_key      = { attribute = "SK", type = "N" }
    }
    legacy = {
      file          = "testdata/legacy.yaml"
      table         = "LegacyItems"
      partition_key = { attribute = "Id", type = "S" }
    }
  }
}

run "each_schema_is_uploaded_under_its_content_address" {
  command = plan

  assert {
    condition     = aws_s3_object.schema["events"].key == "schemas/events/${filesha256("testdata/events.yaml")}.yaml" && aws_s3_object.schema["legacy"].key == "schemas/legacy/${filesha256("testdata/legacy.yaml")}.yaml"
    error_message = "a schema's object is schemas/<name>/<sha256 of its file>.yaml"
  }

  assert {
    condition     = output.schemas["events"].digest == filesha256("testdata/events.yaml") && output.schemas["events"].key == aws_s3_object.schema["events"].key
    error_message = "the output gives the dispatcher each schema's key and digest"
  }
}

run "a_schema_without_a_table_gets_one_from_its_keys" {
  command = plan

  assert {
    condition     = keys(aws_dynamodb_table.schema) == ["events"]
    error_message = "only the schema that names no table gets one"
  }

  assert {
    condition = (aws_dynamodb_table.schema["events"].name == "offload-events" && aws_dynamodb_table.schema["events"].hash_key == "PK"
      && aws_dynamodb_table.schema["events"].range_key == "SK" && aws_dynamodb_table.schema["events"].billing_mode == "PAY_PER_REQUEST"
    && aws_dynamodb_table.schema["events"].attribute == toset([{ name = "PK", type = "S" }, { name = "SK", type = "N" }]))
    error_message = "the events table is <name>-<schema>, on demand, keyed PK (S) + SK (N) as its schema declares"
  }

  assert {
    condition     = one(aws_dynamodb_table.schema["events"].point_in_time_recovery).enabled
    error_message = "a schema's table has point-in-time recovery, as the orders table"
  }

  assert {
    condition     = output.schemas["legacy"].table == "LegacyItems" && output.schemas["legacy"].table_arn == "arn:aws:dynamodb:us-east-1:123456789012:table/LegacyItems"
    error_message = "a named table is the schema's table, by its ARN"
  }
}

run "no_schemas_no_objects_and_no_tables" {
  command = plan

  variables {
    schemas = {}
  }

  assert {
    condition     = length(aws_s3_object.schema) == 0 && length(aws_dynamodb_table.schema) == 0 && output.schemas == {}
    error_message = "schemas = {} keeps today's stack: the orders table only"
  }
}

run "a_key_type_dynamodb_lacks_is_refused" {
  command = plan

  variables {
    schemas = {
      events = {
        file          = "testdata/events.yaml"
        partition_key = { attribute = "PK", type = "STRING" }
      }
    }
  }

  expect_failures = [var.schemas]
}
