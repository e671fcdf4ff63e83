# The dev environment. Ids: fill in once (not secret), or pass TF_VAR_cloud_id/TF_VAR_folder_id.
# cloud_id  = "b1g..."   # yc config get cloud-id
# folder_id = "b1g..."   # yc config get folder-id

environment = "dev"
zone        = "ru-central1-d"

# Small and cheap, one warm dialog instance (a cold start would miss the turn deadline).
dialog_memory_mb     = 512
dialog_min_instances = 1
admin_memory_mb      = 1024
crm_memory_mb        = 256

qdrant_cores         = 2
qdrant_memory_gb     = 2
qdrant_core_fraction = 50
qdrant_disk_gb       = 10

log_min_level        = "DEBUG"
log_retention_period = "72h"

# dev may be torn down: no deletion protection, a non-empty bucket may be destroyed.
protect           = false
bucket_versioning = false

# embeddings_folder_id = ""   # a folder id turns on dense vectors (then sva kb reindex)
# crm_public_url = ""              # the api_url output: Bitrix24's events and robot handler
# voximplant_outbound_rule_id = 0  # sva deploy voximplant's last line; with TF_VAR_voximplant_key
# llm_folder_id = ""               # YandexGPT in this folder (an account and key are made)
# llm_gigachat_scope = ""          # GIGACHAT_API_PERS/_B2B/_CORP; with TF_VAR_llm_gigachat_key
