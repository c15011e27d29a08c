# The topic's key as AWS needs it for CloudWatch alarms to publish (issue 22, item 1).
mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                 = "offload"
  dlq_name             = "offload-events-dlq"
  task_events_dlq_name = "offload-task-events-dlq"
  function_names       = ["offload-dispatch", "offload-task-state"]
  cluster_name         = "offload"
}

run "topic_under_a_customer_key_cloudwatch_may_use" {
  command = apply # mocked: the topic names the key by its ARN, known after apply

  assert {
    condition     = aws_sns_topic.this.kms_master_key_id == aws_kms_key.this.arn && aws_sns_topic.this.kms_master_key_id != "alias/aws/sns"
    error_message = "the topic is encrypted with the module's own key, not the AWS-managed alias/aws/sns"
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_alias.this.name == "alias/offload-alarms" && aws_kms_alias.this.target_key_id == aws_kms_key.this.key_id
    error_message = "the key rotates and has the stack's alias"
  }

  assert {
    condition = length([for s in data.aws_iam_policy_document.key.statement : s if
      one(s.principals).type == "AWS" && one(s.principals).identifiers == toset(["arn:aws:iam::123456789012:root"]) && s.actions == toset(["kms:*"])
    ]) == 1
    error_message = "the account (root) administers the key, so IAM policies can grant its use"
  }

  assert {
    condition = length([for s in data.aws_iam_policy_document.key.statement : s if
      one(s.principals).type == "Service" && one(s.principals).identifiers == toset(["cloudwatch.amazonaws.com"])
      && s.actions == toset(["kms:Decrypt", "kms:GenerateDataKey*"])
      && tomap({ for c in s.condition : "${c.test} ${c.variable}" => join(",", c.values) }) == tomap({
        "StringEquals aws:SourceAccount" = "123456789012"
        "ArnLike aws:SourceArn"          = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:offload-*"
      })
    ]) == 1
    error_message = "CloudWatch may Decrypt and GenerateDataKey*, only for this account's alarms named offload-*"
  }

  assert {
    condition     = length(data.aws_iam_policy_document.key.statement) == 2
    error_message = "no other principal may use the key (nothing publishes through EventBridge)"
  }

  assert {
    condition     = alltrue([for a in keys(aws_cloudwatch_metric_alarm.this) : startswith(a, "offload-")])
    error_message = "every alarm's name falls under the key policy's aws:SourceArn pattern"
  }
}
