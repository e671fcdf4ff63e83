# One environment of the assistant on Yandex Cloud:
#
#   VoxEngine / sva CLI --HTTPS--> API Gateway --> dialog, admin (Serverless Containers)
#                                                     |  connectivity (VPC)
#   Object Storage trigger, timer ------------> crm   +--> Qdrant VM (private, 6333/6334)
#   Bitrix24 portals --HTTPS--> API Gateway --> crm (install, events, robot)
#   all three: the data bucket (S3 key from Lockbox), images from the Container Registry
#
# Names, environment variables, secret wiring, the gateway spec and the VM's cloud-init
# come from ../spec (provider-free, tested offline); this module only makes resources.
# Provider documentation for every resource and attribute: terraform/README.md.

module "spec" {
  source = "../spec"

  name                 = var.name
  environment          = var.environment
  folder_id            = var.folder_id
  images               = var.images
  qdrant_image         = var.qdrant_image
  zones                = var.zones
  qdrant_zone          = var.qdrant_zone
  vpc_cidr             = var.vpc_cidr
  serverless_cidr      = var.serverless_cidr
  dialog_memory_mb     = var.dialog_memory_mb
  dialog_min_instances = var.dialog_min_instances
  admin_memory_mb      = var.admin_memory_mb
  crm_memory_mb        = var.crm_memory_mb
  turn_deadline_ms     = var.turn_deadline_ms
  warm_tenants         = var.warm_tenants
  crm_allowed_hosts    = var.crm_allowed_hosts
  bitrix_rate          = var.bitrix_rate
  embeddings_folder_id = var.embeddings_folder_id
  log_min_level        = var.log_min_level

  crm_public_url              = var.crm_public_url
  voximplant_outbound_rule_id = var.voximplant_outbound_rule_id
  llm_folder_id               = var.llm_folder_id
  llm_gigachat_scope          = var.llm_gigachat_scope
  llm_provider                = var.llm_provider

  # What was created, fed back for the containers' secrets, the spec and the VM.
  secret_refs                = local.secret_refs
  container_ids              = { for fn, c in yandex_serverless_container.fn : fn => c.id }
  gateway_service_account_id = yandex_iam_service_account.sa["gateway"].id
}

locals {
  names  = module.spec.names
  labels = module.spec.labels
  sa     = { for k, a in yandex_iam_service_account.sa : k => "serviceAccount:${a.id}" }

  # Lockbox secret => the version the containers read: Lockbox's own generated versions,
  # and the versions the keys' output_to_lockbox wrote.
  secret_refs = merge(
    {
      for k, s in yandex_lockbox_secret.generated : k => {
        id         = s.id
        version_id = yandex_lockbox_secret_version.generated[k].id
      }
    },
    {
      s3 = {
        id         = yandex_lockbox_secret.s3.id
        version_id = yandex_iam_service_account_static_access_key.storage.output_to_lockbox_version_id
      }
    },
    {
      for k, key in yandex_iam_service_account_api_key.embeddings : "embeddings" => {
        id         = yandex_lockbox_secret.embeddings[k].id
        version_id = key.output_to_lockbox_version_id
      }
    },
    {
      for k, key in yandex_iam_service_account_api_key.llm : "llm" => {
        id         = yandex_lockbox_secret.llm[k].id
        version_id = key.output_to_lockbox_version_id
      }
    },
    {
      for k, s in yandex_lockbox_secret.supplied : k => {
        id         = s.id
        version_id = yandex_lockbox_secret_version_hashed.supplied[k].id
      }
    },
  )
}
