variable "cloud_id" {
  description = "Yandex Cloud id (yc config get cloud-id)."
  type        = string
}

variable "folder_id" {
  description = "Folder of the state bucket (yc config get folder-id)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{20}$", var.folder_id))
    error_message = "folder_id must be a folder id: 20 lowercase letters or digits."
  }
}

variable "name" {
  description = "Project prefix."
  type        = string
  default     = "sva"
}
