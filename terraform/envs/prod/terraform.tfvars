# The prod environment. Ids: fill in once (not secret), or pass TF_VAR_cloud_id/TF_VAR_folder_id.
# A folder of its own is advised (IAM and quotas apart from dev).
# cloud_id  = "b1g..."   # yc config get cloud-id
# folder_id = "b1g..."   # yc resource-manager folder get <prod folder> --format json | jq -r .id

environment = "prod"
zone        = "ru-central1-d"

# Two warm dialog instances: calls never wait for a cold start, and one may be replaced
# while the other serves.
dialog_memory_mb     = 1024
dialog_min_instances = 2
admin_memory_mb      = 1024
crm_memory_mb        = 256

qdrant_cores         = 2
qdrant_memory_gb     = 8
qdrant_core_fraction = 100
qdrant_disk_gb       = 50

log_min_level        = "INFO"
log_retention_period = "720h"

# Deletion protection on the KMS keys and secrets; the bucket is never force-destroyed.
protect           = true
bucket_versioning = false # irreversible once on: see terraform/README.md

# embeddings_folder_id = ""
# crm_public_url = ""              # the api_url output: Bitrix24's events and robot handler
# voximplant_outbound_rule_id = 0  # sva deploy voximplant's last line; with TF_VAR_voximplant_key
# llm_folder_id = ""               # YandexGPT in this folder (an account and key are made)
# llm_gigachat_scope = ""          # GIGACHAT_API_PERS/_B2B/_CORP; with TF_VAR_llm_gigachat_key
