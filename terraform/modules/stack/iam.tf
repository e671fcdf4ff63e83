# One service account per job (module.spec.service_accounts). Every grant is on the one
# resource it is needed for; the only folder-level grants are ai.languageModels.user in the
# embeddings folder and in the language model's folder, a role that has no narrower scope. Grants on the KMS keys, the
# registry and the bucket are in kms.tf, registry.tf and storage.tf; invoker grants on
# the containers in containers.tf.

resource "yandex_iam_service_account" "sa" {
  for_each = module.spec.service_accounts

  name        = local.names.service_accounts[each.key]
  description = each.value
  folder_id   = var.folder_id
}

# Who may read which secret (module.spec.secret_readers): each function its own keys, the
# Qdrant VM the Qdrant key.
resource "yandex_lockbox_secret_iam_member" "reader" {
  for_each = module.spec.secret_readers

  secret_id = local.secret_ids[each.value.secret]
  role      = "lockbox.payloadViewer"
  member    = local.sa[each.value.reader]
}

resource "yandex_resourcemanager_folder_iam_member" "embeddings" {
  for_each = var.embeddings_folder_id == "" ? toset([]) : toset(["embeddings"])

  folder_id = var.embeddings_folder_id
  role      = "ai.languageModels.user"
  member    = local.sa["embeddings"]
}

# Text generation (YandexGPT): ai.languageModels.user, the role Yandex's docs name for text
# generation models (https://yandex.cloud/en-ru/docs/yandexgpt/api-ref/authentication).
resource "yandex_resourcemanager_folder_iam_member" "llm" {
  for_each = var.llm_folder_id == "" ? toset([]) : toset(["llm"])

  folder_id = var.llm_folder_id
  role      = "ai.languageModels.user"
  member    = local.sa["llm"]
}
