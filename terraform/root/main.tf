# The root module every environment applies: the provider, the state's place and the stack.
# An environment is a folder of settings, not a copy of this: envs/<env>/backend.hcl (the
# state key), envs/<env>/terraform.tfvars (sizes, levels) and, after a push,
# envs/<env>/images.tfvars.json (the images' digests). `make deploy ENV=dev` runs it, with
# TF_DATA_DIR=.terraform-<env> so environments never share an init:
#
#   TF_DATA_DIR=.terraform-dev terraform -chdir=terraform/root init \
#     -backend-config=../envs/dev/backend.hcl -backend-config="bucket=<state bucket>"
#   TF_DATA_DIR=.terraform-dev terraform -chdir=terraform/root apply \
#     -var-file=../envs/dev/terraform.tfvars -var-file=../envs/dev/images.tfvars.json

terraform {
  required_version = ">= 1.10" # use_lockfile

  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = "~> 0.222"
    }
  }

  # State in Object Storage (the bucket made by terraform/bootstrap), locked with a lock
  # object (If-None-Match). Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of the
  # state account's key, from Lockbox (README).
  # The key (sva/<env>.tfstate) and the bucket come from -backend-config.
  backend "s3" {
    region = "ru-central1"
    endpoints = {
      s3 = "https://storage.yandexcloud.net"
    }
    use_lockfile                = true
    skip_region_validation      = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_s3_checksum            = true
  }
}

# Credentials: YC_TOKEN (yc iam create-token) or YC_SERVICE_ACCOUNT_KEY_FILE.
provider "yandex" {
  cloud_id  = var.cloud_id
  folder_id = var.folder_id
  zone      = var.zone
}

module "stack" {
  source = "../modules/stack"

  environment          = var.environment
  folder_id            = var.folder_id
  images               = var.images
  qdrant_image         = var.qdrant_image
  qdrant_zone          = var.zone
  dialog_memory_mb     = var.dialog_memory_mb
  dialog_min_instances = var.dialog_min_instances
  admin_memory_mb      = var.admin_memory_mb
  crm_memory_mb        = var.crm_memory_mb
  turn_deadline_ms     = var.turn_deadline_ms
  warm_tenants         = var.warm_tenants
  crm_allowed_hosts    = var.crm_allowed_hosts
  bitrix_rate          = var.bitrix_rate
  embeddings_folder_id = var.embeddings_folder_id
  crm_public_url       = var.crm_public_url
  llm_folder_id        = var.llm_folder_id
  llm_gigachat_scope   = var.llm_gigachat_scope
  llm_gigachat_key     = var.llm_gigachat_key
  llm_provider         = var.llm_provider

  voximplant_outbound_rule_id = var.voximplant_outbound_rule_id
  voximplant_key              = var.voximplant_key
  log_min_level               = var.log_min_level
  log_retention_period        = var.log_retention_period
  protect                     = var.protect
  bucket_versioning           = var.bucket_versioning
  qdrant_cores                = var.qdrant_cores
  qdrant_memory_gb            = var.qdrant_memory_gb
  qdrant_core_fraction        = var.qdrant_core_fraction
  qdrant_disk_gb              = var.qdrant_disk_gb
}
