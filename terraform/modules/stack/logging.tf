# The environment's log group: the three containers and the gateway write here (the
# functions log JSON, SVA_LOG_FORMAT=json), kept for var.log_retention_period.

resource "yandex_logging_group" "main" {
  name             = local.names.log_group
  description      = "Containers and API gateway of ${module.spec.prefix}."
  folder_id        = var.folder_id
  labels           = local.labels
  retention_period = var.log_retention_period
}
