# The HTTPS entry point: https://<domain>/v1/turn for VoxEngine, /v1/crm/... for Bitrix24
# portals, /v1/tenants... for the operator's sva CLI. The spec is rendered and tested in module.spec.

resource "yandex_api_gateway" "main" {
  count = module.spec.deploy_functions ? 1 : 0

  name        = local.names.gateway
  description = "VoxEngine turns, the admin API and the Bitrix24 application of ${module.spec.prefix}."
  folder_id   = var.folder_id
  labels      = local.labels
  spec        = module.spec.openapi_spec

  log_options {
    log_group_id = yandex_logging_group.main.id
    min_level    = var.log_min_level
  }

  depends_on = [yandex_serverless_container_iam_member.invoker]
}
