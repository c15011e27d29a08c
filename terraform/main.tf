locals {
  # issue 25: sites are trust domains. No `sites`: one implicit site "default" taking every input,
  # placed by placement_constraint, with today's names (a stack applied before sites keeps its resources).
  sites = length(var.sites) > 0 ? var.sites : { default = { attributes = {}, prefix = "" } }
  # A site's placement: memberOf its attributes (and placement_constraint, if set). Attributes are
  # self-declared by a host: scheduling, not a security boundary (README "Security").
  site_placement = { for site, s in local.sites : site => join(" and ", concat(
    [for k in sort(keys(s.attributes)) : "attribute:${k} == ${s.attributes[k]}"],
    var.placement_constraint == null ? [] : ["(${var.placement_constraint})"],
  )) }
  lambda_zip = coalesce(var.lambda_zip, "${path.root}/../build/dispatcher.zip")
  # issue 24: each schema's YAML, read for its keys (the table the stack creates) and its duplicates rule
  schema_files = { for name, s in var.schemas : name => yamldecode(file(s.file)) }
  # yamldecode reads YAML 1.1, where a bare N is the boolean false: `type: N` is DynamoDB's number type.
  schema_keys = { for name, doc in local.schema_files : name => {
    for role, k in try(doc.table, {}) : role => {
      attribute = tostring(k.attribute)
      type      = k.type == false ? "N" : tostring(k.type)
    } if contains(["partition_key", "sort_key"], role)
  } }
  schemas = { for name, s in var.schemas : name => {
    prefix   = s.prefix
    key      = module.storage.schemas[name].key
    digest   = module.storage.schemas[name].digest
    table    = module.storage.schemas[name].table
    suffixes = coalesce(s.suffixes, var.input_suffixes)
    # Only `last` wins shard by shard; `first` and `reject` need every row of the file in one task.
    whole_file = try(local.schema_files[name].duplicates, "last") != "last"
  } }
  # Names from docs/contract.md, shared by the dispatcher and the worker.
  shared_environment = {
    TABLE_NAME      = module.storage.orders_table_name
    JOBS_TABLE      = module.storage.jobs_table_name
    INPUT_PREFIX    = var.input_prefix
    OUTPUT_PREFIX   = var.output_prefix
    REJECTED_PREFIX = var.rejected_prefix
  }
}

module "storage" {
  source = "./modules/storage"

  name                = var.name
  bucket_name         = var.bucket_name
  orders_table_name   = var.orders_table_name
  force_destroy       = var.force_destroy
  versioning          = var.versioning
  access_log_bucket   = var.access_log_bucket
  access_log_prefix   = var.access_log_prefix
  object_lock         = var.object_lock
  staged_parts_prefix = "${var.output_prefix}.offload-shards/" # SHARD_PARTS in contract/offload_contract/layout.py
  schemas = { for name, s in var.schemas : name => {
    file          = s.file
    table         = s.table
    partition_key = try(local.schema_keys[name].partition_key, null)
    sort_key      = try(local.schema_keys[name].sort_key, null)
  } }
}

module "cluster" {
  source = "./modules/cluster"

  name               = var.name
  bucket_arn         = module.storage.bucket_arn
  input_prefix       = var.input_prefix
  output_prefix      = var.output_prefix
  rejected_prefix    = var.rejected_prefix
  table_arns         = length(var.schemas) > 0 ? [for s in module.storage.schemas : s.table_arn] : [module.storage.orders_table_arn]
  schemas_prefix     = length(var.schemas) > 0 ? "schemas/" : null
  jobs_table_arn     = module.storage.jobs_table_arn
  worker_image       = var.worker_image
  worker_image_tag   = var.worker_image_tag
  worker_cpu         = var.worker_cpu
  worker_memory      = var.worker_memory
  worker_gpus        = var.worker_gpus
  log_retention_days = var.log_retention_days
  sites              = { for site, s in local.sites : site => { prefix = s.prefix } }
  environment = merge(
    local.shared_environment,
    { WRITE_CONCURRENCY = tostring(var.write_concurrency) },
    { for k, v in { WORKER_PROCESSES = var.worker_processes } : k => tostring(v) if v != null },
  )
}

module "dispatch" {
  source = "./modules/dispatch"

  name                     = var.name
  bucket_id                = module.storage.bucket_id
  bucket_arn               = module.storage.bucket_arn
  input_prefix             = var.input_prefix
  lambda_zip               = local.lambda_zip
  lambda_runtime           = var.lambda_runtime
  max_concurrency          = var.dispatcher_max_concurrency
  max_shards               = var.max_shards
  cluster_arn              = module.cluster.cluster_arn
  task_definition_families = values(module.cluster.task_definition_families)
  pass_role_arns           = concat(values(module.cluster.task_role_arns), [module.cluster.execution_role_arn])
  jobs_table_arn           = module.storage.jobs_table_arn
  log_retention_days       = var.log_retention_days
  environment              = local.dispatch_environment
}

locals {
  # The dispatcher's settings (docs/contract.md); a local, so the root's terraform test can read them.
  dispatch_environment = merge(local.shared_environment, {
    CLUSTER_NAME    = module.cluster.cluster_name
    TASK_DEFINITION = module.cluster.task_definition_families[keys(local.sites)[0]]
    SITES = jsonencode({ for site, s in local.sites : site => {
      prefix               = s.prefix
      task_definition      = module.cluster.task_definition_families[site]
      placement_constraint = local.site_placement[site]
    } })
    CONTAINER_NAME          = module.cluster.container_name
    INPUT_SUFFIXES          = join(",", var.input_suffixes)
    STUCK_AFTER_SECONDS     = tostring(var.stuck_after_minutes * 60)
    RECONCILE_AFTER_SECONDS = tostring(var.reconcile_after_seconds)
    SHARD_BYTES             = tostring(var.shard_bytes)
    MAX_SHARDS              = tostring(var.max_shards)
    }, { for k, v in {
      PLACEMENT_CONSTRAINT = var.placement_constraint
      SCHEMAS              = length(var.schemas) > 0 ? jsonencode(local.schemas) : null
  } : k => v if v != null })
}

module "alarms" {
  source = "./modules/alarms"
  count  = var.alarms_enabled ? 1 : 0
  # issue 23: the backlog-too-old alarm's threshold
  backlog_alarm_minutes = var.backlog_alarm_minutes

  name                 = var.name
  dlq_name             = module.dispatch.dlq_name
  task_events_dlq_name = module.dispatch.events_dlq_name
  function_names       = values(module.dispatch.function_names)
  cluster_name         = module.cluster.cluster_name
  email                = var.alarm_email
  notify_ok            = var.alarm_notify_ok
}

module "dashboard" {
  source = "./modules/dashboard"
  count  = var.dashboard_enabled ? 1 : 0

  name           = var.name
  cluster_name   = module.cluster.cluster_name
  dlq_name       = module.dispatch.dlq_name
  function_names = values(module.dispatch.function_names)
  table_names    = length(var.schemas) > 0 ? distinct([for s in module.storage.schemas : s.table]) : [module.storage.orders_table_name]
}

# One activation (and instance role) per site: its hosts join with that site's code.
module "activation" {
  source   = "./modules/activation"
  for_each = local.sites

  name           = var.name
  site           = each.key == "default" ? null : each.key
  cluster_arn    = module.cluster.cluster_arn
  instance_count = var.instance_count
  expiry_hours   = var.activation_expiry_hours
}

moved {
  from = module.activation
  to   = module.activation["default"]
}
