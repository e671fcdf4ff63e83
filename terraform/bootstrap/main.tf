# Once per folder, before the environments: the bucket that holds their Terraform state,
# and a service account whose static key (in Lockbox) the s3 backend uses.
#
# This configuration keeps its own (small) state locally, in terraform.tfstate here: it
# holds no secret value (the key goes straight to Lockbox), and everything in it can be
# imported again. Keep it, or move it into the bucket afterwards (terraform/README.md).

terraform {
  required_version = ">= 1.10"

  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = "~> 0.222"
    }
  }
}

provider "yandex" {
  cloud_id  = var.cloud_id
  folder_id = var.folder_id
}

locals {
  name   = "${var.name}-tfstate"
  labels = { project = var.name, managed-by = "terraform" }
}

resource "yandex_kms_symmetric_key" "state" {
  name                = local.name
  description         = "Encrypts the Terraform state bucket and the state account's key."
  folder_id           = var.folder_id
  labels              = local.labels
  default_algorithm   = "AES_256"
  rotation_period     = "8760h"
  deletion_protection = true
}

# Versioned: every state ever written can be restored (old versions kept 90 days).
resource "yandex_storage_bucket" "state" {
  bucket    = "${local.name}-${var.folder_id}"
  folder_id = var.folder_id
  tags      = local.labels

  anonymous_access_flags {
    read        = false
    list        = false
    config_read = false
  }

  versioning {
    enabled = true
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        kms_master_key_id = yandex_kms_symmetric_key.state.id
        sse_algorithm     = "aws:kms"
      }
    }
  }

  lifecycle_rule {
    id                                     = "old-states"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 1
    noncurrent_version_expiration {
      days = 90
    }
  }
}

resource "yandex_iam_service_account" "state" {
  name        = local.name
  description = "Reads and writes the Terraform state bucket (the s3 backend's key)."
  folder_id   = var.folder_id
}

resource "yandex_storage_bucket_iam_binding" "state" {
  bucket  = yandex_storage_bucket.state.bucket
  role    = "storage.editor"
  members = ["serviceAccount:${yandex_iam_service_account.state.id}"]
}

resource "yandex_kms_symmetric_key_iam_member" "state" {
  symmetric_key_id = yandex_kms_symmetric_key.state.id
  role             = "kms.keys.encrypterDecrypter"
  member           = "serviceAccount:${yandex_iam_service_account.state.id}"
}

resource "yandex_lockbox_secret" "state_key" {
  name                = "${local.name}-key"
  description         = "S3 key of the state account: AWS_ACCESS_KEY_ID (access_key_id), AWS_SECRET_ACCESS_KEY (secret_access_key) for terraform init."
  folder_id           = var.folder_id
  labels              = local.labels
  kms_key_id          = yandex_kms_symmetric_key.state.id
  deletion_protection = true
}

resource "yandex_iam_service_account_static_access_key" "state" {
  service_account_id = yandex_iam_service_account.state.id
  description        = "Terraform s3 backend (stored in Lockbox ${yandex_lockbox_secret.state_key.name})."

  output_to_lockbox {
    secret_id            = yandex_lockbox_secret.state_key.id
    entry_for_access_key = "access_key_id"
    entry_for_secret_key = "secret_access_key"
  }
}
