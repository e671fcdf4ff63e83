# The deployment's pure logic: names, labels, addresses, what each container gets in its
# environment and from Lockbox, who may read which secret, the API Gateway spec and the
# Qdrant VM's cloud-init. No provider: ../stack turns these values into resources, and
# tests/*.tftest.hcl check them offline.

locals {
  prefix = "${var.name}-${var.environment}"

  labels = {
    project     = var.name
    environment = var.environment
    managed-by  = "terraform"
  }

  functions = ["dialog", "admin", "crm"]

  # --- Lockbox -------------------------------------------------------------------------
  # Keys Lockbox generates itself (password_payload_specification): their values never
  # pass through Terraform, so they are in no state file. Letters and digits only, so a
  # key can be pasted into a shell or an HTTP header as is.
  generated_secrets = {
    token_key = {
      description = "SVA_TOKEN_KEY of the dialog function: signs the calls' state tokens. Rotating it ends calls in flight."
      length      = 48
    }
    operator_key = {
      description = "SVA_OPERATOR_KEY of the admin function: the operator's key for the admin API (sva --key)."
      length      = 48
    }
    qdrant_api_key = {
      description = "The Qdrant server's API key (QDRANT__SERVICE__API_KEY on the VM, SVA_QDRANT_API_KEY in the functions)."
      length      = 48
    }
  }

  embeddings_on = var.embeddings_folder_id != ""
  llm_yandex_on = var.llm_folder_id != ""
  gigachat_on   = var.llm_gigachat_scope != ""
  voximplant_on = var.voximplant_outbound_rule_id != null

  # Keys only the operator has (Voximplant's control panel, GigaChat's studio): Terraform
  # cannot make them, so ../stack takes them as sensitive variables and writes them with
  # yandex_lockbox_secret_version_hashed, which keeps only their hashes in the state.
  supplied_secrets = merge(
    local.voximplant_on ? {
      voximplant = {
        description = "SVA_VOXIMPLANT_KEY of admin and crm: the Voximplant service account's key (JSON), from the operator (voximplant_key)."
        key         = "key"
      }
    } : {},
    local.gigachat_on ? {
      gigachat = {
        description = "SVA_LLM_GIGACHAT_KEY of dialog: GigaChat's authorization key, from the operator (llm_gigachat_key)."
        key         = "key"
      }
    } : {},
  )

  # Every secret and the entries it holds. s3, embeddings and llm are written by the keys'
  # own output_to_lockbox (their values never reach the state either).
  secret_entries = merge(
    { for k, _ in local.generated_secrets : k => [k] },
    { s3 = ["access_key_id", "secret_access_key"] },
    local.embeddings_on ? { embeddings = ["api_key"] } : {},
    local.llm_yandex_on ? { llm = ["api_key"] } : {},
    { for k, s in local.supplied_secrets : k => [s.key] },
  )

  # Which function reads which Lockbox entry into which variable.
  s3_uses = [
    { secret = "s3", key = "access_key_id", env = "SVA_S3_ACCESS_KEY_ID" },
    { secret = "s3", key = "secret_access_key", env = "SVA_S3_SECRET_ACCESS_KEY" },
  ]
  knowledge_uses = concat(
    [{ secret = "qdrant_api_key", key = "qdrant_api_key", env = "SVA_QDRANT_API_KEY" }],
    local.embeddings_on ? [{ secret = "embeddings", key = "api_key", env = "SVA_EMBEDDINGS_API_KEY" }] : [],
  )
  # The Voximplant key: admin (campaigns' call lists) and crm (the robot's StartScenarios),
  # functions/voximplant/src/outbound.rs. The model's keys: dialog (functions/llm).
  voximplant_uses = local.voximplant_on ? [{ secret = "voximplant", key = "key", env = "SVA_VOXIMPLANT_KEY" }] : []
  llm_uses = concat(
    local.llm_yandex_on ? [{ secret = "llm", key = "api_key", env = "SVA_LLM_API_KEY" }] : [],
    local.gigachat_on ? [{ secret = "gigachat", key = "key", env = "SVA_LLM_GIGACHAT_KEY" }] : [],
  )
  secret_uses = {
    dialog = concat(local.s3_uses, [{ secret = "token_key", key = "token_key", env = "SVA_TOKEN_KEY" }], local.knowledge_uses, local.llm_uses)
    admin  = concat(local.s3_uses, [{ secret = "operator_key", key = "operator_key", env = "SVA_OPERATOR_KEY" }], local.knowledge_uses, local.voximplant_uses)
    crm    = concat(local.s3_uses, local.voximplant_uses)
  }

  # lockbox.payloadViewer grants, one per (secret, service account): the functions' own
  # secrets, and the Qdrant VM for its API key.
  secret_readers = merge(
    {
      for pair in distinct(flatten([
        for fn, uses in local.secret_uses : [for u in uses : { secret = u.secret, reader = fn }]
      ])) : "${pair.secret}:${pair.reader}" => pair
    },
    { "qdrant_api_key:qdrant" = { secret = "qdrant_api_key", reader = "qdrant" } },
  )

  # --- Service accounts: one per job, each with only its own grants (see ../stack). ------
  service_accounts = merge(
    {
      dialog  = "Runs the dialog container: pulls its image, reads its Lockbox entries."
      admin   = "Runs the admin container: pulls its image, reads its Lockbox entries."
      crm     = "Runs the CRM container: pulls its image, reads the S3 key from Lockbox."
      storage = "Owns the functions' S3 key: storage.editor on the data bucket and use of its KMS key, nothing else."
      gateway = "The API gateway calls the containers with it (dialog, admin, and crm for the routes Bitrix24 portals call)."
      trigger = "The CRM triggers (outbox object written, timer) call the CRM container with it."
      qdrant  = "The Qdrant VM: reads the Qdrant API key from Lockbox, may pull from the registry."
    },
    local.embeddings_on ? {
      embeddings = "Its API key (in Lockbox) calls the embedding models in the embeddings folder."
    } : {},
    local.llm_yandex_on ? {
      llm = "Its API key (in Lockbox) calls YandexGPT (text generation) in the model folder."
    } : {},
  )

  # serverless.containers.invoker grants, "<container>:<account>": the gateway calls every
  # container with a public route, the triggers call crm.
  invokers = {
    for pair in [
      { container = "dialog", account = "gateway" },
      { container = "admin", account = "gateway" },
      { container = "crm", account = "gateway" },
      { container = "crm", account = "trigger" },
    ] : "${pair.container}:${pair.account}" => pair
  }

  # --- Names -------------------------------------------------------------------------
  bucket = "${local.prefix}-data-${var.folder_id}" # bucket names are global

  names = {
    bucket            = local.bucket
    registry          = local.prefix
    log_group         = local.prefix
    network           = local.prefix
    nat_gateway       = "${local.prefix}-nat"
    route_table       = "${local.prefix}-egress"
    security_group    = "${local.prefix}-qdrant"
    gateway           = "${local.prefix}-api"
    kms_data          = "${local.prefix}-data"
    kms_secrets       = "${local.prefix}-secrets"
    qdrant_vm         = "${local.prefix}-qdrant"
    qdrant_disk       = "${local.prefix}-qdrant-data"
    snapshot_schedule = "${local.prefix}-qdrant-daily"
    trigger_outbox    = "${local.prefix}-crm-outbox"
    trigger_retry     = "${local.prefix}-crm-retry"
    containers        = { for fn in local.functions : fn => "${local.prefix}-${fn}" }
    secrets           = { for k, _ in local.secret_entries : k => "${local.prefix}-${replace(k, "_", "-")}" }
    service_accounts  = { for k, _ in local.service_accounts : k => "${local.prefix}-${k}" }
    subnets           = { for z in var.zones : z => "${local.prefix}-${z}" }
    repositories      = { for fn in local.functions : fn => "sva-${fn}" }
  }

  # --- Network -----------------------------------------------------------------------
  subnets    = { for i, z in var.zones : z => cidrsubnet(var.vpc_cidr, 4, i) }
  qdrant_ip  = cidrhost(local.subnets[var.qdrant_zone], 10)
  qdrant_url = "http://${local.qdrant_ip}:6334" # gRPC; plain HTTP inside the VPC, see README

  # --- Containers --------------------------------------------------------------------
  # The kit's storage settings (functions/kit/src/config.rs), the same for all three.
  # PORT is set by Serverless Containers itself (8080 is the kit's default too).
  storage_env = {
    SVA_STORAGE     = "s3"
    SVA_S3_BUCKET   = local.bucket
    SVA_S3_ENDPOINT = "https://storage.yandexcloud.net"
    SVA_S3_REGION   = "ru-central1"
    SVA_LOG_FORMAT  = "json"
  }
  # The outbound rule goes with the key (the functions refuse one without the other).
  voximplant_env = {
    SVA_VOXIMPLANT_OUTBOUND_RULE_ID = local.voximplant_on ? format("%d", var.voximplant_outbound_rule_id) : ""
  }
  knowledge_env = {
    SVA_QDRANT_URL        = local.qdrant_url
    SVA_EMBEDDINGS_FOLDER = var.embeddings_folder_id
  }

  function_settings = {
    dialog = {
      description       = "Turns and call ends from VoxEngine (POST /v1/turn, /v1/calls/{id}/end)."
      memory            = var.dialog_memory_mb
      cores             = 1
      core_fraction     = 100
      concurrency       = 16
      execution_timeout = "5s"
      min_instances     = var.dialog_min_instances
      connectivity      = true # Qdrant is on a private address
      environment = merge(local.storage_env, local.knowledge_env, {
        SVA_TURN_DEADLINE_MS = tostring(var.turn_deadline_ms)
        SVA_WARM_TENANTS     = join(",", var.warm_tenants)
        # What a call's compute is priced with: the container as deployed.
        SVA_MEMORY_MB = tostring(var.dialog_memory_mb)
        SVA_VCPU      = "1"
        # The caller is looked up in the tenant's Bitrix24 at the start of a call.
        SVA_CRM_ALLOWED_HOSTS = join(",", var.crm_allowed_hosts)
        SVA_BITRIX_RATE       = var.bitrix_rate
        # The language model (functions/llm/src/provider.rs); the keys come from Lockbox.
        SVA_LLM_PROVIDER       = var.llm_provider
        SVA_LLM_FOLDER         = var.llm_folder_id
        SVA_LLM_GIGACHAT_SCOPE = var.llm_gigachat_scope
        # GigaChat's root certificate, which deploy.sh puts into the dialog image
        # (GIGACHAT_CA → make image MODEL_CA=…; functions/image/rootfs.sh).
        SVA_LLM_CA_FILE = local.gigachat_on ? "/opt/sva/ca/model.pem" : ""
      })
    }
    admin = {
      description       = "The admin API: tenants, keys, settings, scenario and knowledge uploads (/v1/tenants...)."
      memory            = var.admin_memory_mb
      cores             = 1
      core_fraction     = 100
      concurrency       = 4
      execution_timeout = "60s"
      min_instances     = 0
      connectivity      = true
      environment = merge(local.storage_env, local.knowledge_env, local.voximplant_env, {
        SVA_CRM_ALLOWED_HOSTS = join(",", var.crm_allowed_hosts)
      })
    }
    crm = {
      description       = "Carries calls' outbox entries into Bitrix24 (POST /v1/crm/outbox, triggers); the Bitrix24 application's install, events and robot (gateway)."
      memory            = var.crm_memory_mb
      cores             = 1
      core_fraction     = 50
      concurrency       = 4
      execution_timeout = "300s"
      min_instances     = 0
      connectivity      = false # Bitrix24 and Object Storage are public endpoints
      environment = merge(local.storage_env, local.voximplant_env, {
        SVA_CRM_ALLOWED_HOSTS = join(",", var.crm_allowed_hosts)
        SVA_BITRIX_RATE       = var.bitrix_rate
        SVA_CRM_PUBLIC_URL    = var.crm_public_url
      })
    }
  }

  # "cr.yandex/<registry>/sva-dialog[:tag]@sha256:<hex>" -> the URL the revision pulls
  # (by digest; a tag is dropped so that a moved tag cannot change what runs) and the
  # digest the provider compares to redeploy.
  images = var.images == null ? {} : {
    for fn, ref in var.images : fn => {
      registry_id = split("/", ref)[1]
      digest      = regex("@(sha256:[0-9a-f]{64})$", ref)[0]
      url         = "${replace(split("@", ref)[0], "/:[^/]*$/", "")}@${regex("@(sha256:[0-9a-f]{64})$", ref)[0]}"
    }
  }

  containers = {
    for fn, s in local.function_settings : fn => {
      name              = local.names.containers[fn]
      description       = s.description
      service_account   = fn
      memory            = s.memory
      cores             = s.cores
      core_fraction     = s.core_fraction
      concurrency       = s.concurrency
      execution_timeout = s.execution_timeout
      min_instances     = s.min_instances
      connectivity      = s.connectivity
      image_url         = local.images[fn].url
      image_digest      = local.images[fn].digest
      # Empty values are left out: the kit treats them as unset anyway.
      environment = { for k, v in s.environment : k => v if v != "" }
      secrets = [
        for u in local.secret_uses[fn] : {
          id                   = try(var.secret_refs[u.secret].id, null)
          version_id           = try(var.secret_refs[u.secret].version_id, null)
          key                  = u.key
          environment_variable = u.env
        }
      ]
    }
    if var.images != null
  }

  # --- API Gateway -------------------------------------------------------------------
  openapi_spec = (
    alltrue([for fn in local.functions : contains(keys(var.container_ids), fn)])
    ? templatefile("${path.module}/templates/openapi.yaml.tftpl", {
      dialog_container_id = var.container_ids["dialog"]
      admin_container_id  = var.container_ids["admin"]
      crm_container_id    = var.container_ids["crm"]
      service_account_id  = var.gateway_service_account_id
    })
    : null
  )

  # --- Qdrant VM ---------------------------------------------------------------------
  qdrant_disk_device = "qdrant-data"
  qdrant_cloud_init = templatefile("${path.module}/templates/qdrant-cloud-init.yaml.tftpl", {
    image          = var.qdrant_image
    registry_login = startswith(var.qdrant_image, "cr.yandex/")
    secret_id      = try(var.secret_refs["qdrant_api_key"].id, "")
    secret_key     = "qdrant_api_key"
    device_name    = local.qdrant_disk_device
  })
}
