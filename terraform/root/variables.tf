# Set in terraform.tfvars (this environment's settings) and images.auto.tfvars.json
# (written by the deploy step after make push). Descriptions of the rest:
# ../modules/stack/variables.tf.

variable "cloud_id" {
  description = "Yandex Cloud id (yc config get cloud-id)."
  type        = string
}

variable "folder_id" {
  description = "Folder of this environment (yc config get folder-id)."
  type        = string
}

variable "environment" {
  description = "Environment name, part of every resource name."
  type        = string
}

variable "zone" {
  description = "Default zone, and the Qdrant VM's."
  type        = string
  default     = "ru-central1-d"
}

variable "images" {
  description = "{ dialog, admin, crm } => cr.yandex/<registry>/sva-<fn>@sha256:<digest>; null before the first push."
  type        = map(string)
  default     = null
}

variable "qdrant_image" {
  type    = string
  default = "qdrant/qdrant:v1.19.0"
}

variable "dialog_memory_mb" {
  type    = number
  default = 512
}

variable "dialog_min_instances" {
  type    = number
  default = 1
}

variable "admin_memory_mb" {
  type    = number
  default = 1024
}

variable "crm_memory_mb" {
  type    = number
  default = 256
}

variable "turn_deadline_ms" {
  type    = number
  default = 1200
}

variable "warm_tenants" {
  type    = list(string)
  default = []
}

variable "crm_allowed_hosts" {
  type    = list(string)
  default = []
}

variable "bitrix_rate" {
  type    = string
  default = "2/50"
}

variable "embeddings_folder_id" {
  type    = string
  default = ""
}

variable "crm_public_url" {
  type    = string
  default = ""
}

variable "voximplant_outbound_rule_id" {
  type    = number
  default = null
}

# From the environment only (TF_VAR_voximplant_key): never in a tfvars file.
variable "voximplant_key" {
  type      = string
  default   = ""
  sensitive = true
  nullable  = false
}

variable "llm_folder_id" {
  type    = string
  default = ""
}

variable "llm_gigachat_scope" {
  type    = string
  default = ""
}

# From the environment only (TF_VAR_llm_gigachat_key): never in a tfvars file.
variable "llm_gigachat_key" {
  type      = string
  default   = ""
  sensitive = true
  nullable  = false
}

variable "llm_provider" {
  type    = string
  default = ""
}

variable "log_min_level" {
  type    = string
  default = "INFO"
}

variable "log_retention_period" {
  type    = string
  default = "72h"
}

variable "protect" {
  type    = bool
  default = true
}

variable "bucket_versioning" {
  type    = bool
  default = false
}

variable "qdrant_cores" {
  type    = number
  default = 2
}

variable "qdrant_memory_gb" {
  type    = number
  default = 4
}

variable "qdrant_core_fraction" {
  type    = number
  default = 100
}

variable "qdrant_disk_gb" {
  type    = number
  default = 20
}
