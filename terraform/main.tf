# The assistant on Yandex Cloud: an Object Storage bucket for tenants, scenario modules,
# call records and the CRM outbox; a service account the functions run as; the dialog
# function as a Serverless Container (Rust has no Cloud Functions runtime); an API
# gateway in front of it; a Lockbox secret for the service's signing key; the CRM
# function behind an Object Storage trigger and a timer.

resource "yandex_iam_service_account" "functions" {
  name        = "${var.name}-functions"
  description = "Runs the assistant's serverless containers."
}

resource "yandex_resourcemanager_folder_iam_member" "storage" {
  folder_id = var.folder_id
  role      = "storage.editor"
  member    = "serviceAccount:${yandex_iam_service_account.functions.id}"
}

resource "yandex_resourcemanager_folder_iam_member" "lockbox" {
  folder_id = var.folder_id
  role      = "lockbox.payloadViewer"
  member    = "serviceAccount:${yandex_iam_service_account.functions.id}"
}

resource "yandex_resourcemanager_folder_iam_member" "invoker" {
  folder_id = var.folder_id
  role      = "serverless.containers.invoker"
  member    = "serviceAccount:${yandex_iam_service_account.functions.id}"
}

resource "yandex_iam_service_account_static_access_key" "storage" {
  service_account_id = yandex_iam_service_account.functions.id
  description        = "S3 access for the functions (aws-sdk-s3)."
}

resource "yandex_storage_bucket" "data" {
  bucket     = "${var.name}-data-${var.folder_id}"
  access_key = yandex_iam_service_account_static_access_key.storage.access_key
  secret_key = yandex_iam_service_account_static_access_key.storage.secret_key
  max_size   = 0

  versioning {
    enabled = false
  }
}

resource "yandex_lockbox_secret" "service" {
  name        = "${var.name}-service"
  description = "The service's state-token signing key (token_key), the admin operator key (operator_key), the Qdrant API key (qdrant_api_key, optional), the embeddings API key (embeddings_api_key, when embeddings_folder_id is set) and the S3 credentials."
}

# Every function reads the same bucket through the same variables.
locals {
  storage_env = {
    SVA_STORAGE     = "s3"
    SVA_S3_BUCKET   = yandex_storage_bucket.data.bucket
    SVA_S3_ENDPOINT = "https://storage.yandexcloud.net"
    SVA_S3_REGION   = "ru-central1"
  }
  # The knowledge base: the Qdrant server, and Yandex Cloud embeddings for dense vectors
  # (on when a folder is given; its API key comes from Lockbox).
  knowledge_env = {
    SVA_QDRANT_URL        = var.qdrant_url
    SVA_EMBEDDINGS_FOLDER = var.embeddings_folder_id
  }
  knowledge_secrets = {
    for key, env in {
      qdrant_api_key     = "SVA_QDRANT_API_KEY"
      embeddings_api_key = "SVA_EMBEDDINGS_API_KEY"
    } : key => env
    if key == "qdrant_api_key" ? var.qdrant_api_key_in_lockbox : var.embeddings_folder_id != ""
  }
}

resource "yandex_serverless_container" "dialog" {
  name               = "${var.name}-dialog"
  memory             = var.dialog_memory_mb
  cores              = 1
  core_fraction      = 100
  concurrency        = 16
  execution_timeout  = "5s"
  service_account_id = yandex_iam_service_account.functions.id

  image {
    url = var.dialog_image
    environment = merge(local.storage_env, {
      SVA_TURN_DEADLINE_MS = tostring(var.turn_deadline_ms)
      # What a call's compute is priced with: the container as deployed.
      SVA_MEMORY_MB = tostring(var.dialog_memory_mb)
      SVA_VCPU      = "1"
      # The caller is looked up in the tenant's Bitrix24 at the start of a call.
      SVA_CRM_ALLOWED_HOSTS = join(",", var.crm_allowed_hosts)
      SVA_BITRIX_RATE       = var.bitrix_rate
    }, local.knowledge_env)
  }

  secrets {
    id                   = yandex_lockbox_secret.service.id
    version_id           = yandex_lockbox_secret.service.current_version[0].id
    key                  = "token_key"
    environment_variable = "SVA_TOKEN_KEY"
  }

  # The knowledge base's optional keys: Lockbox key => environment variable.
  dynamic "secrets" {
    for_each = local.knowledge_secrets
    content {
      id                   = yandex_lockbox_secret.service.id
      version_id           = yandex_lockbox_secret.service.current_version[0].id
      key                  = secrets.key
      environment_variable = secrets.value
    }
  }
}

# The admin function: tenants, keys, settings, scenario uploads. Uploads compile modules,
# so it gets more memory and time than a turn; it is called rarely.
resource "yandex_serverless_container" "admin" {
  name               = "${var.name}-admin"
  memory             = var.admin_memory_mb
  cores              = 1
  core_fraction      = 100
  concurrency        = 4
  execution_timeout  = "60s"
  service_account_id = yandex_iam_service_account.functions.id

  image {
    url = var.admin_image
    environment = merge(local.storage_env, {
      SVA_CRM_ALLOWED_HOSTS = join(",", var.crm_allowed_hosts)
    }, local.knowledge_env)
  }

  secrets {
    id                   = yandex_lockbox_secret.service.id
    version_id           = yandex_lockbox_secret.service.current_version[0].id
    key                  = "operator_key"
    environment_variable = "SVA_OPERATOR_KEY"
  }

  # The knowledge base's optional keys: Lockbox key => environment variable.
  dynamic "secrets" {
    for_each = local.knowledge_secrets
    content {
      id                   = yandex_lockbox_secret.service.id
      version_id           = yandex_lockbox_secret.service.current_version[0].id
      key                  = secrets.key
      environment_variable = secrets.value
    }
  }
}

resource "yandex_api_gateway" "api" {
  name = "${var.name}-api"
  spec = templatefile("${path.module}/openapi.yaml.tpl", {
    admin_container_id  = yandex_serverless_container.admin.id
    dialog_container_id = yandex_serverless_container.dialog.id
    service_account_id  = yandex_iam_service_account.functions.id
  })
}

# The CRM function: carries each call's outbox entry into the tenant's Bitrix24. Called
# by triggers only (no gateway route): an Object Storage trigger when an entry is
# written, and a timer every minute for entries backing off after a failure.
resource "yandex_serverless_container" "crm" {
  name               = "${var.name}-crm"
  memory             = 256
  cores              = 1
  core_fraction      = 50
  concurrency        = 4
  execution_timeout  = "300s"
  service_account_id = yandex_iam_service_account.functions.id

  image {
    url = var.crm_image
    environment = merge(local.storage_env, {
      SVA_CRM_ALLOWED_HOSTS = join(",", var.crm_allowed_hosts)
      SVA_BITRIX_RATE       = var.bitrix_rate
    })
  }
}

resource "yandex_function_trigger" "crm_outbox" {
  name        = "${var.name}-crm-outbox"
  description = "A call's CRM work was written: carry it into Bitrix24."

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
    id                 = yandex_serverless_container.crm.id
    service_account_id = yandex_iam_service_account.functions.id
    path               = "/v1/crm/outbox"
  }
}

resource "yandex_function_trigger" "crm_retry" {
  name        = "${var.name}-crm-retry"
  description = "Every minute: CRM work that is due again after a failure."

  timer {
    cron_expression = "* * * * ? *"
  }

  container {
    id                 = yandex_serverless_container.crm.id
    service_account_id = yandex_iam_service_account.functions.id
    path               = "/v1/crm/outbox"
  }
}
