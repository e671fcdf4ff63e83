# The data bucket: tenants, scenario modules, call records, the CRM outbox.
#
# Created with the deployer's IAM token (folder_id set, no access_key/secret_key): the
# old configuration created it with the functions' storage.editor key and a versioning
# block, which fails with AccessDenied (provider issue #315; versioning needs
# storage.admin). The functions reach it with a static key of their own account, which
# holds storage.editor on this bucket only.

resource "yandex_storage_bucket" "data" {
  bucket                = local.names.bucket
  folder_id             = var.folder_id
  default_storage_class = "STANDARD"
  force_destroy         = !var.protect
  tags                  = local.labels

  anonymous_access_flags {
    read        = false
    list        = false
    config_read = false
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        kms_master_key_id = yandex_kms_symmetric_key.data.id
        sse_algorithm     = "aws:kms"
      }
    }
  }

  dynamic "versioning" {
    for_each = var.bucket_versioning ? [true] : []
    content {
      enabled = true
    }
  }

  lifecycle_rule {
    id                                     = "abort-incomplete-uploads"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 7
  }

  dynamic "lifecycle_rule" {
    for_each = var.bucket_versioning ? [30] : []
    content {
      id      = "expire-old-versions"
      enabled = true
      noncurrent_version_expiration {
        days = lifecycle_rule.value
      }
    }
  }
}

# Authoritative for storage.editor on this bucket: the storage account and nobody else.
resource "yandex_storage_bucket_iam_binding" "editor" {
  bucket  = yandex_storage_bucket.data.bucket
  role    = "storage.editor"
  members = [local.sa["storage"]]
}

# The functions' S3 key (SVA_S3_ACCESS_KEY_ID / SVA_S3_SECRET_ACCESS_KEY). Both halves go
# straight into the s3 Lockbox secret; with output_to_lockbox the provider keeps neither
# in the state.
resource "yandex_iam_service_account_static_access_key" "storage" {
  service_account_id = yandex_iam_service_account.sa["storage"].id
  description        = "S3 key of the ${local.names.registry} functions (aws-sdk-s3), stored in Lockbox ${local.names.secrets["s3"]}."

  output_to_lockbox {
    secret_id            = yandex_lockbox_secret.s3.id
    entry_for_access_key = "access_key_id"
    entry_for_secret_key = "secret_access_key"
  }

  # Rotation (-replace): the new key and its Lockbox version exist, and the containers are
  # redeployed with them, before the old key is deleted.
  lifecycle {
    create_before_destroy = true
  }
}
