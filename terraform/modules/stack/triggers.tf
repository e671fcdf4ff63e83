# The CRM function is called by triggers only: when the dialog function writes a call's
# outbox entry, and every minute for entries due again after a failure
# (docs/bitrix24.md, functions/crm).

resource "yandex_function_trigger" "crm_outbox" {
  count = module.spec.deploy_functions ? 1 : 0

  name        = local.names.trigger_outbox
  description = "A call's CRM work was written: carry it into Bitrix24."
  folder_id   = var.folder_id
  labels      = local.labels

  object_storage {
    bucket_id    = yandex_storage_bucket.data.id
    prefix       = "outbox/crm/"
    create       = true
    update       = false
    delete       = false
    batch_cutoff = 1
    batch_size   = 1
  }

  container {
    id                 = yandex_serverless_container.fn["crm"].id
    service_account_id = yandex_iam_service_account.sa["trigger"].id
    path               = "/v1/crm/outbox"
  }

  depends_on = [yandex_serverless_container_iam_member.invoker]
}

resource "yandex_function_trigger" "crm_retry" {
  count = module.spec.deploy_functions ? 1 : 0

  name        = local.names.trigger_retry
  description = "Every minute: CRM work that is due again after a failure."
  folder_id   = var.folder_id
  labels      = local.labels

  timer {
    cron_expression = "* * * * ? *"
  }

  container {
    id                 = yandex_serverless_container.fn["crm"].id
    service_account_id = yandex_iam_service_account.sa["trigger"].id
    path               = "/v1/crm/outbox"
  }

  depends_on = [yandex_serverless_container_iam_member.invoker]
}
