# Two keys: one for the data bucket's objects, one for the Lockbox secrets, so that the
# functions' service accounts (which decrypt secrets) cannot decrypt the bucket and the
# storage account (which reads the bucket) cannot decrypt the secrets. Destroying the data
# key destroys the bucket's data (envelope encryption): var.protect turns on deletion
# protection.

resource "yandex_kms_symmetric_key" "data" {
  name                = local.names.kms_data
  description         = "Server-side encryption of the data bucket ${local.names.bucket}."
  folder_id           = var.folder_id
  labels              = local.labels
  default_algorithm   = "AES_256"
  rotation_period     = "8760h"
  deletion_protection = var.protect
}

resource "yandex_kms_symmetric_key" "secrets" {
  name                = local.names.kms_secrets
  description         = "Encryption of the ${local.names.registry} Lockbox secrets."
  folder_id           = var.folder_id
  labels              = local.labels
  default_algorithm   = "AES_256"
  rotation_period     = "8760h"
  deletion_protection = var.protect
}

# The S3 key's account writes and reads encrypted objects.
resource "yandex_kms_symmetric_key_iam_member" "data" {
  symmetric_key_id = yandex_kms_symmetric_key.data.id
  role             = "kms.keys.encrypterDecrypter"
  member           = local.sa["storage"]
}

# Every account that reads a secret decrypts it.
resource "yandex_kms_symmetric_key_iam_member" "secrets" {
  for_each = toset(distinct([for r in module.spec.secret_readers : r.reader]))

  symmetric_key_id = yandex_kms_symmetric_key.secrets.id
  role             = "kms.keys.decrypter"
  member           = local.sa[each.key]
}
