variable "cloud_id" {
  description = "Yandex Cloud id."
  type        = string
}

variable "folder_id" {
  description = "Folder the assistant is deployed into."
  type        = string
}

variable "zone" {
  description = "Default availability zone."
  type        = string
  default     = "ru-central1-a"
}

variable "name" {
  description = "Prefix for every resource name."
  type        = string
  default     = "sva"
}

variable "dialog_image" {
  description = "Container image of the dialog function (cr.yandex/<registry>/sva-dialog:<tag>)."
  type        = string
}

variable "dialog_memory_mb" {
  description = "Memory of one dialog container instance, MB. The sandbox pools scenario instances in it."
  type        = number
  default     = 512
}

variable "turn_deadline_ms" {
  description = "Per-turn deadline after which the caller hears the fallback phrase."
  type        = number
  default     = 1200
}

variable "admin_image" {
  description = "Container image of the admin function (cr.yandex/<registry>/sva-admin:<tag>)."
  type        = string
}

variable "admin_memory_mb" {
  description = "Memory of one admin container instance, MB: an upload compiles the module."
  type        = number
  default     = 1024
}

variable "crm_allowed_hosts" {
  description = "Hosts (host or host:port) a tenant's CRM portal may be on although not public."
  type        = list(string)
  default     = []
}

variable "crm_image" {
  description = "The CRM function's container image (cargo build -p sva-crm, see docs/runbook.md)."
  type        = string
}

variable "bitrix_rate" {
  description = "Requests per second / burst per Bitrix24 portal: 2/50 for standard plans, 5/250 for Enterprise."
  type        = string
  default     = "2/50"
}

variable "qdrant_url" {
  description = "The Qdrant server's gRPC address for the knowledge bases (Yandex Managed Service for Qdrant or self-hosted), e.g. https://qdrant.example:6334. Empty: no knowledge base; the assistant promises a manager's follow-up for product questions."
  type        = string
  default     = ""
}

variable "qdrant_api_key_in_lockbox" {
  description = "Pass the key qdrant_api_key of the service Lockbox secret to the functions as SVA_QDRANT_API_KEY."
  type        = bool
  default     = false
}

variable "embeddings_folder_id" {
  description = "The Yandex Cloud folder whose text-search-doc/query embedding models give the knowledge bases dense vectors beside BM25. Empty (the default): BM25 alone. When set, the service Lockbox secret must hold embeddings_api_key, an API key of a service account with the ai.languageModels.user role in that folder; then run `sva kb reindex` for each tenant (dense indexes are collections of their own)."
  type        = string
  default     = ""
}
