# The stack's settings. Most are passed to ../spec, which validates them (its error
# messages name the variable); the rest size the VM and protect data.

variable "folder_id" {
  description = "Folder everything is created in."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, prod): part of every name."
  type        = string
}

variable "name" {
  description = "Project prefix of every resource name."
  type        = string
  default     = "sva"
}

variable "images" {
  description = "The functions' images pinned by digest, { dialog, admin, crm } => cr.yandex/<registry>/sva-<fn>[:tag]@sha256:<digest>, in this stack's registry. null (the first apply): no containers, gateway or triggers yet."
  type        = map(string)
  default     = null
}

variable "qdrant_image" {
  description = "Qdrant's image, v1.15.2 or later (server-side BM25)."
  type        = string
  default     = "qdrant/qdrant:v1.19.0"
}

variable "zones" {
  description = "Zones with a subnet (all of the region's: Serverless Containers in a network expect that)."
  type        = list(string)
  default     = ["ru-central1-a", "ru-central1-b", "ru-central1-d"]
}

variable "qdrant_zone" {
  description = "Zone of the Qdrant VM and its disk."
  type        = string
  default     = "ru-central1-d"
}

variable "vpc_cidr" {
  description = "Address range of the VPC, one sixteenth per zone."
  type        = string
  default     = "10.130.0.0/16"
}

variable "serverless_cidr" {
  description = "Source range of Serverless Containers attached to the network (Yandex's service subnets), the only one let in to Qdrant."
  type        = string
  default     = "198.19.0.0/16"
}

variable "dialog_memory_mb" {
  description = "Memory of a dialog instance, MB."
  type        = number
  default     = 512
}

variable "dialog_min_instances" {
  description = "Dialog instances kept warm (provision_policy)."
  type        = number
  default     = 1
}

variable "admin_memory_mb" {
  description = "Memory of an admin instance, MB."
  type        = number
  default     = 1024
}

variable "crm_memory_mb" {
  description = "Memory of a CRM instance, MB."
  type        = number
  default     = 256
}

variable "turn_deadline_ms" {
  description = "SVA_TURN_DEADLINE_MS."
  type        = number
  default     = 1200
}

variable "warm_tenants" {
  description = "SVA_WARM_TENANTS: tenants whose scenarios load at start."
  type        = list(string)
  default     = []
}

variable "crm_allowed_hosts" {
  description = "SVA_CRM_ALLOWED_HOSTS: non-public hosts a CRM portal may be on."
  type        = list(string)
  default     = []
}

variable "bitrix_rate" {
  description = "SVA_BITRIX_RATE: requests per second / burst per Bitrix24 portal."
  type        = string
  default     = "2/50"
}

variable "embeddings_folder_id" {
  description = "Folder of the embedding models; empty for BM25 alone."
  type        = string
  default     = ""
}

variable "crm_public_url" {
  description = "SVA_CRM_PUBLIC_URL: where Bitrix24 portals reach the CRM function, the api_url output once the gateway exists (a second apply: the gateway needs the containers first)."
  type        = string
  default     = ""
}

variable "voximplant_outbound_rule_id" {
  description = "SVA_VOXIMPLANT_OUTBOUND_RULE_ID of admin and crm (sva deploy voximplant prints it); null: no outbound calls. Needs voximplant_key."
  type        = number
  default     = null
}

variable "voximplant_key" {
  description = "The Voximplant service account's key, the JSON file's text (export TF_VAR_voximplant_key=\"$(cat key.json)\"). Written to Lockbox hashed: only its hash is in the state. Given with voximplant_outbound_rule_id, or neither."
  type        = string
  default     = ""
  sensitive   = true
  nullable    = false

  # Both or neither (the functions refuse one without the other); on every apply, so
  # that an apply without the key is refused instead of removing it.
  validation {
    condition     = (var.voximplant_key == "") == (var.voximplant_outbound_rule_id == null)
    error_message = "Give voximplant_key (TF_VAR_voximplant_key) and voximplant_outbound_rule_id together, or neither."
  }

  validation {
    condition     = var.voximplant_key == "" || can(jsondecode(var.voximplant_key).private_key)
    error_message = "voximplant_key must be the text of the service account's JSON key file (with private_key), not its path."
  }
}

variable "llm_folder_id" {
  description = "Folder of YandexGPT (SVA_LLM_FOLDER); Terraform makes an account with ai.languageModels.user there and its API key. Empty: no Yandex model."
  type        = string
  default     = ""
}

variable "llm_gigachat_scope" {
  description = "SVA_LLM_GIGACHAT_SCOPE (GIGACHAT_API_PERS, _B2B, _CORP); empty: no GigaChat. Needs llm_gigachat_key."
  type        = string
  default     = ""
}

variable "llm_gigachat_key" {
  description = "GigaChat's authorization key (export TF_VAR_llm_gigachat_key=...). Written to Lockbox hashed: only its hash is in the state. Given with llm_gigachat_scope, or neither."
  type        = string
  default     = ""
  sensitive   = true
  nullable    = false

  validation {
    condition     = (var.llm_gigachat_key == "") == (var.llm_gigachat_scope == "")
    error_message = "Give llm_gigachat_key (TF_VAR_llm_gigachat_key) and llm_gigachat_scope together, or neither."
  }
}

variable "llm_provider" {
  description = "SVA_LLM_PROVIDER, the default model when both are set up: yandex or gigachat; empty: the functions' rule."
  type        = string
  default     = ""
}

variable "log_min_level" {
  description = "Lowest level written to the log group."
  type        = string
  default     = "INFO"
}

variable "log_retention_period" {
  description = "How long the log group keeps entries (a duration, e.g. 72h)."
  type        = string
  default     = "72h"
}

variable "protect" {
  description = "Deletion protection on the KMS keys and Lockbox secrets, and no force_destroy of a non-empty bucket. true for prod: destroying the data key destroys the bucket's data."
  type        = bool
  default     = true
}

variable "bucket_versioning" {
  description = "Keep old versions of the data bucket's objects (for 30 days). Once on it can only be suspended, never turned off."
  type        = bool
  default     = false
}

variable "qdrant_platform_id" {
  description = "Compute platform of the Qdrant VM."
  type        = string
  default     = "standard-v3"
}

variable "qdrant_cores" {
  description = "vCPUs of the Qdrant VM."
  type        = number
  default     = 2
}

variable "qdrant_memory_gb" {
  description = "Memory of the Qdrant VM, GB (Qdrant keeps the indexes in memory)."
  type        = number
  default     = 4
}

variable "qdrant_core_fraction" {
  description = "Guaranteed share of each vCPU, percent (20, 50 or 100 on standard-v3)."
  type        = number
  default     = 100
}

variable "qdrant_disk_gb" {
  description = "Size of Qdrant's data disk, GB."
  type        = number
  default     = 20
}

variable "qdrant_snapshot_count" {
  description = "Daily snapshots of Qdrant's data disk kept."
  type        = number
  default     = 7
}
