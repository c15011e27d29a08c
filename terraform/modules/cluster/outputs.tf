output "cluster_name" {
  description = "Name of the ECS cluster on-prem instances join."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "task_definition_families" {
  description = "Each site's worker task definition family (RunTask takes it as is: latest ACTIVE revision)."
  value       = { for site, definition in aws_ecs_task_definition.this : site => definition.family }
}

output "task_definition_arns" {
  description = "Each site's worker task definition revision."
  value       = { for site, definition in aws_ecs_task_definition.this : site => definition.arn }
}

output "container_name" {
  description = "Name of the worker container in the task definition."
  value       = local.container_name
}

output "task_role_arns" {
  description = "Each site's role its worker tasks run with."
  value       = { for site, role in aws_iam_role.task : site => role.arn }
}

output "execution_role_arn" {
  description = "Role the ECS agent uses to pull the image and ship logs."
  value       = aws_iam_role.execution.arn
}

output "ecr_repository_url" {
  description = "Where make image pushes the worker."
  value       = aws_ecr_repository.this.repository_url
}

output "log_group_name" {
  description = "CloudWatch log group of the worker."
  value       = aws_cloudwatch_log_group.this.name
}
