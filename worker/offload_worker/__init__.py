"""offload worker: load one orders CSV from S3 into DynamoDB."""
