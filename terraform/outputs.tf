output "region" {
  description = "Region of the stack."
  value       = var.region
}

output "bucket" {
  description = "Drop files under input_prefix here."
  value       = module.storage.bucket_id
}

output "input_prefix" {
  description = "Key prefix that starts jobs."
  value       = var.input_prefix
}

output "output_prefix" {
  description = "Key prefix of output files."
  value       = var.output_prefix
}

output "rejected_prefix" {
  description = "Key prefix of rejects reports."
  value       = var.rejected_prefix
}

output "orders_table" {
  description = "DynamoDB table of loaded orders."
  value       = module.storage.orders_table_name
}

output "jobs_table" {
  description = "DynamoDB table of job records."
  value       = module.storage.jobs_table_name
}

output "queue_url" {
  description = "Queue of S3 events."
  value       = module.dispatch.queue_url
}

output "dlq_url" {
  description = "Dead-letter queue of S3 events that could not be dispatched."
  value       = module.dispatch.dlq_url
}

output "dispatcher_functions" {
  description = "Lambda functions: dispatch (SQS) and task-state (EventBridge)."
  value       = module.dispatch.function_names
}

output "cluster_name" {
  description = "ECS cluster on-prem machines join."
  value       = module.cluster.cluster_name
}

output "task_definition_family" {
  description = "Worker task definition family."
  value       = module.cluster.task_definition_families[keys(local.sites)[0]]
}

output "sites" {
  description = "Each site: its input prefix, placement attributes and constraint, task definition family, activation id and instance role (offload activation --site)."
  value = { for site, s in local.sites : site => {
    input_prefix           = "${var.input_prefix}${s.prefix}"
    attributes             = s.attributes
    instance_role          = module.activation[site].instance_role_name
    task_definition_family = module.cluster.task_definition_families[site]
    placement_constraint   = local.site_placement[site] == "" ? null : local.site_placement[site]
    activation_id          = module.activation[site].activation_id
  } }
}

output "container_name" {
  description = "Worker container name."
  value       = module.cluster.container_name
}

output "ecr_repository_url" {
  description = "Where make image pushes the worker image."
  value       = module.cluster.ecr_repository_url
}

output "instance_role" {
  description = "IAM role of the on-prem agents."
  value       = module.activation[keys(local.sites)[0]].instance_role_name
}

output "activation_id" {
  description = "SSM activation id (vagrant up / register-instance.sh)."
  value       = module.activation[keys(local.sites)[0]].activation_id
}

output "activation_code" {
  description = "SSM activation code; sensitive: offload activation --env prints it on request."
  value       = module.activation[keys(local.sites)[0]].activation_code
  sensitive   = true
}

output "site_activation_codes" {
  description = "Each site's SSM activation code; sensitive: offload activation --site NAME --env prints it on request."
  value       = { for site, _ in local.sites : site => module.activation[site].activation_code }
  sensitive   = true
}

output "activation_expires" {
  description = "When the activation expires."
  value       = module.activation[keys(local.sites)[0]].activation_expires
}

output "registration_limit" {
  description = "Machines the activation admits."
  value       = module.activation[keys(local.sites)[0]].registration_limit
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (null when alarms_enabled is false)."
  value       = var.alarms_enabled ? module.alarms[0].topic_arn : null
}

output "dashboard_name" {
  description = "The pipeline's CloudWatch dashboard (null when dashboard_enabled is false)."
  value       = var.dashboard_enabled ? module.dashboard[0].dashboard_name : null
}

output "dashboard_url" {
  description = "The pipeline's CloudWatch dashboard (null when dashboard_enabled is false)."
  value       = var.dashboard_enabled ? module.dashboard[0].dashboard_url : null
}

output "placement_constraint" {
  description = "The expression every worker task must satisfy (null: any instance); offload rerun applies it too."
  value       = var.placement_constraint
}

output "schemas" {
  description = "Each declared schema: its input sub-prefix, its object (content-addressed key and sha256), its table, suffixes and whether its files run as one task ({} without schemas)."
  value       = local.schemas
}
