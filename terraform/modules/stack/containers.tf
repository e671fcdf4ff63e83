# The three functions as Serverless Containers, made once images are given
# (module.spec.containers is empty before: the first apply creates the registry to push
# to). Everything per function -- size, environment, Lockbox entries, warm instances,
# network -- comes from module.spec.

resource "yandex_serverless_container" "fn" {
  for_each = module.spec.containers

  name               = each.value.name
  description        = each.value.description
  folder_id          = var.folder_id
  labels             = local.labels
  memory             = each.value.memory
  cores              = each.value.cores
  core_fraction      = each.value.core_fraction
  concurrency        = each.value.concurrency
  execution_timeout  = each.value.execution_timeout
  service_account_id = yandex_iam_service_account.sa[each.value.service_account].id

  runtime {
    type = "http" # the kit's HTTP server on $PORT
  }

  image {
    url         = each.value.image_url
    digest      = each.value.image_digest
    environment = each.value.environment
  }

  dynamic "secrets" {
    for_each = each.value.secrets
    content {
      id                   = secrets.value.id
      version_id           = secrets.value.version_id
      key                  = secrets.value.key
      environment_variable = secrets.value.environment_variable
    }
  }

  # Warm instances for the dialog function: a cold start (slower still with a network
  # attached) would not fit in the 1.2 s turn deadline.
  dynamic "provision_policy" {
    for_each = each.value.min_instances > 0 ? [each.value.min_instances] : []
    content {
      min_instances = provision_policy.value
    }
  }

  # dialog and admin reach Qdrant's private address.
  dynamic "connectivity" {
    for_each = each.value.connectivity ? [yandex_vpc_network.main.id] : []
    content {
      network_id = connectivity.value
    }
  }

  log_options {
    log_group_id = yandex_logging_group.main.id
    min_level    = var.log_min_level
  }

  # Tenants' CRM URLs are fetched by these functions: no metadata endpoint to steal the
  # account's IAM token from (SSRF). Lockbox secrets are injected without it.
  metadata_options {
    gce_http_endpoint    = 2
    aws_v1_http_endpoint = 2
  }

  lifecycle {
    precondition {
      condition     = module.spec.image_registry_ids == toset([yandex_container_registry.main.id])
      error_message = "The images must be in this environment's registry, cr.yandex/${yandex_container_registry.main.id}/ (make push)."
    }
  }

  # A revision is checked against these when it is made: image pull, secrets, network
  # (which must have subnets in every zone and at least one address in use: the VM).
  depends_on = [
    yandex_container_registry_iam_binding.puller,
    yandex_lockbox_secret_iam_member.reader,
    yandex_kms_symmetric_key_iam_member.secrets,
    yandex_storage_bucket_iam_binding.editor,
    yandex_kms_symmetric_key_iam_member.data,
    yandex_vpc_subnet.zone,
    yandex_compute_instance.qdrant,
  ]
}

# Who may call which container (module.spec.invokers): the gateway's account all three
# (crm for the routes Bitrix24 portals call), the triggers' account crm.
resource "yandex_serverless_container_iam_member" "invoker" {
  for_each = module.spec.deploy_functions ? module.spec.invokers : {}

  container_id = yandex_serverless_container.fn[each.value.container].id
  role         = "serverless.containers.invoker"
  member       = local.sa[each.value.account]
}

# The grants were keyed by function before crm had two callers.
moved {
  from = yandex_serverless_container_iam_member.invoker["dialog"]
  to   = yandex_serverless_container_iam_member.invoker["dialog:gateway"]
}

moved {
  from = yandex_serverless_container_iam_member.invoker["admin"]
  to   = yandex_serverless_container_iam_member.invoker["admin:gateway"]
}

moved {
  from = yandex_serverless_container_iam_member.invoker["crm"]
  to   = yandex_serverless_container_iam_member.invoker["crm:trigger"]
}
