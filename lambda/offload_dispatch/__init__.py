"""offload dispatcher: S3 events from SQS -> one ECS Anywhere task per file."""
