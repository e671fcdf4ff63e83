# Inputs of the deployment's pure logic. ../stack passes its own variables through and
# feeds back the ids of what it created (secret_refs, container_ids, ...).

variable "name" {
  description = "Project prefix of every resource name."
  type        = string
  default     = "sva"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.name))
    error_message = "name must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (dev, prod, ...): part of every name and the label environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.environment))
    error_message = "environment must be 2-8 lowercase letters or digits, starting with a letter."
  }
}

variable "folder_id" {
  description = "Yandex Cloud folder id (20 characters); part of the bucket name, which is global."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{20}$", var.folder_id))
    error_message = "folder_id must be a Yandex Cloud folder id: 20 lowercase letters or digits (yc resource-manager folder list)."
  }
}

variable "images" {
  description = "The functions' images pinned by digest: { dialog = \"cr.yandex/<registry>/sva-dialog@sha256:<64 hex>\", admin = ..., crm = ... } (a tag before the digest is allowed and ignored). null: no image pushed yet, so no containers, gateway or triggers (the first apply creates the registry to push to)."
  type        = map(string)
  default     = null

  validation {
    condition     = var.images == null || try(join(",", sort(keys(var.images))) == "admin,crm,dialog", false)
    error_message = "images must have exactly the keys dialog, admin and crm."
  }

  validation {
    condition = var.images == null || alltrue([
      for fn, ref in coalesce(var.images, {}) :
      can(regex("^cr\\.yandex/[a-z0-9]+/sva-${fn}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$", ref))
    ])
    error_message = "Each image must be cr.yandex/<registry id>/sva-<function>[:tag]@sha256:<64 hex digits> (pinned by digest, in Yandex Container Registry)."
  }
}

variable "qdrant_image" {
  description = "Qdrant's image for the VM: qdrant/qdrant:vX.Y.Z (Docker Hub) or a copy in the registry (cr.yandex/<registry>/qdrant:vX.Y.Z), optionally @sha256:<digest>. At least v1.15.2, the first release with server-side BM25."
  type        = string
  default     = "qdrant/qdrant:v1.19.0"

  validation {
    condition     = can(regex("^([a-z0-9.-]+(:[0-9]+)?/)*qdrant:v[0-9]+\\.[0-9]+\\.[0-9]+(@sha256:[0-9a-f]{64})?$", var.qdrant_image))
    error_message = "qdrant_image must name a release tag, e.g. qdrant/qdrant:v1.19.0 (not latest)."
  }

  validation {
    condition = try(
      (
        tonumber(regex(":v([0-9]+)\\.", var.qdrant_image)[0]) > 1 ||
        (tonumber(regex(":v([0-9]+)\\.", var.qdrant_image)[0]) == 1 && tonumber(regex(":v[0-9]+\\.([0-9]+)\\.", var.qdrant_image)[0]) > 15) ||
        (tonumber(regex(":v([0-9]+)\\.", var.qdrant_image)[0]) == 1 && tonumber(regex(":v[0-9]+\\.([0-9]+)\\.", var.qdrant_image)[0]) == 15 && tonumber(regex(":v[0-9]+\\.[0-9]+\\.([0-9]+)", var.qdrant_image)[0]) >= 2)
      ),
      false
    )
    error_message = "qdrant_image must be Qdrant v1.15.2 or later (server-side BM25, which the knowledge base uses)."
  }
}

variable "zones" {
  description = "Availability zones that get a subnet. Serverless Containers attached to a network expect a subnet in every zone of the region."
  type        = list(string)
  default     = ["ru-central1-a", "ru-central1-b", "ru-central1-d"]

  validation {
    condition     = length(var.zones) >= 1 && length(var.zones) <= 16 && length(distinct(var.zones)) == length(var.zones)
    error_message = "zones must list 1-16 distinct zones."
  }
}

variable "qdrant_zone" {
  description = "Zone of the Qdrant VM and its disk (one of zones)."
  type        = string
  default     = "ru-central1-d"

  validation {
    condition     = contains(var.zones, var.qdrant_zone)
    error_message = "qdrant_zone must be one of zones."
  }
}

variable "vpc_cidr" {
  description = "Address range split into one subnet per zone (the n-th zone gets the n-th sixteenth). Must not overlap 198.19.0.0/16, the range Serverless Containers use in an attached network."
  type        = string
  default     = "10.130.0.0/16"

  validation {
    condition = (
      can(cidrnetmask(var.vpc_cidr)) &&
      tonumber(split("/", var.vpc_cidr)[1]) >= 8 &&
      tonumber(split("/", var.vpc_cidr)[1]) <= 24 &&
      cidrhost(var.vpc_cidr, 0) == split("/", var.vpc_cidr)[0]
    )
    error_message = "vpc_cidr must be a network address with a prefix of /8 to /24 (each zone gets a subnet 4 bits longer, at least /28)."
  }

  validation {
    condition     = !startswith(var.vpc_cidr, "198.19.")
    error_message = "vpc_cidr must not be in 198.19.0.0/16: Serverless Containers take their addresses there."
  }
}

variable "serverless_cidr" {
  description = "Where attached Serverless Containers connect from: Yandex creates a service subnet per zone in 198.19.0.0/16 (docs: serverless-containers/concepts/networking). Only this range may reach Qdrant."
  type        = string
  default     = "198.19.0.0/16"
}

variable "dialog_memory_mb" {
  description = "Memory of one dialog container instance, MB (a multiple of 128). The sandbox pools scenario instances in it."
  type        = number
  default     = 512

  validation {
    condition     = var.dialog_memory_mb >= 128 && var.dialog_memory_mb % 128 == 0
    error_message = "dialog_memory_mb must be a positive multiple of 128."
  }
}

variable "dialog_min_instances" {
  description = "Dialog instances kept warm (provision_policy): a cold start, slower still in a VPC, would eat the 1.2 s turn deadline. 0 drops the policy."
  type        = number
  default     = 1

  validation {
    condition     = var.dialog_min_instances >= 0 && var.dialog_min_instances <= 20 && floor(var.dialog_min_instances) == var.dialog_min_instances
    error_message = "dialog_min_instances must be a whole number from 0 to 20."
  }
}

variable "admin_memory_mb" {
  description = "Memory of one admin container instance, MB (a multiple of 128): an upload compiles the module."
  type        = number
  default     = 1024

  validation {
    condition     = var.admin_memory_mb >= 128 && var.admin_memory_mb % 128 == 0
    error_message = "admin_memory_mb must be a positive multiple of 128."
  }
}

variable "crm_memory_mb" {
  description = "Memory of one CRM container instance, MB (a multiple of 128)."
  type        = number
  default     = 256

  validation {
    condition     = var.crm_memory_mb >= 128 && var.crm_memory_mb % 128 == 0
    error_message = "crm_memory_mb must be a positive multiple of 128."
  }
}

variable "turn_deadline_ms" {
  description = "Per-turn deadline after which the caller hears the fallback phrase (SVA_TURN_DEADLINE_MS)."
  type        = number
  default     = 1200

  validation {
    condition     = var.turn_deadline_ms >= 200 && var.turn_deadline_ms <= 2900
    error_message = "turn_deadline_ms must be 200-2900: VoxEngine gives a request 3 s."
  }
}

variable "warm_tenants" {
  description = "Tenants whose active scenarios the dialog function loads at start (SVA_WARM_TENANTS)."
  type        = list(string)
  default     = []
}

variable "crm_allowed_hosts" {
  description = "Hosts (host or host:port) a tenant's CRM portal may be on although not public (SVA_CRM_ALLOWED_HOSTS)."
  type        = list(string)
  default     = []
}

variable "bitrix_rate" {
  description = "Requests per second / burst per Bitrix24 portal (SVA_BITRIX_RATE): 2/50 for standard plans, 5/250 for Enterprise."
  type        = string
  default     = "2/50"

  validation {
    condition     = can(regex("^[1-9][0-9]*/[1-9][0-9]*$", var.bitrix_rate))
    error_message = "bitrix_rate must be <per second>/<burst>, e.g. 2/50."
  }
}

variable "embeddings_folder_id" {
  description = "Folder whose text-search-doc/query models give the knowledge bases dense vectors beside BM25. Empty: BM25 alone. When set, Terraform makes a service account with ai.languageModels.user there and its API key (into Lockbox); run `sva kb reindex` per tenant afterwards."
  type        = string
  default     = ""

  validation {
    condition     = var.embeddings_folder_id == "" || can(regex("^[a-z0-9]{20}$", var.embeddings_folder_id))
    error_message = "embeddings_folder_id must be empty or a folder id (20 lowercase letters or digits)."
  }
}

variable "voximplant_outbound_rule_id" {
  description = "Id of the Voximplant rule sva-outbound (the last line `sva deploy voximplant` prints): SVA_VOXIMPLANT_OUTBOUND_RULE_ID of admin (campaigns' call lists) and crm (the robot's StartScenarios). null: outbound calls are not set up. Set together with the stack's voximplant_key, which puts the service-account key in Lockbox."
  type        = number
  default     = null

  validation {
    condition     = var.voximplant_outbound_rule_id == null || try(var.voximplant_outbound_rule_id > 0 && floor(var.voximplant_outbound_rule_id) == var.voximplant_outbound_rule_id, false)
    error_message = "voximplant_outbound_rule_id must be null or the rule's id, a positive whole number (sva deploy voximplant prints it)."
  }
}

variable "crm_public_url" {
  description = "Where Bitrix24 portals reach the CRM function (SVA_CRM_PUBLIC_URL): the gateway's URL (the api_url output) or a domain of yours in front of it. The install binds ONAPPUNINSTALL and registers the robot there. Empty: neither is done."
  type        = string
  default     = ""

  validation {
    condition     = var.crm_public_url == "" || can(regex("^https://[a-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?$", var.crm_public_url))
    error_message = "crm_public_url must be empty or an https:// URL (the api_url output), without a query."
  }
}

variable "llm_folder_id" {
  description = "Folder whose YandexGPT Lite and Pro (Yandex AI Studio) the dialog function calls (SVA_LLM_FOLDER). When set, Terraform makes a service account with ai.languageModels.user there and its API key (into Lockbox, SVA_LLM_API_KEY). Empty: no Yandex model."
  type        = string
  default     = ""

  validation {
    condition     = var.llm_folder_id == "" || can(regex("^[a-z0-9]{20}$", var.llm_folder_id))
    error_message = "llm_folder_id must be empty or a folder id (20 lowercase letters or digits)."
  }
}

variable "llm_gigachat_scope" {
  description = "GigaChat's API scope (SVA_LLM_GIGACHAT_SCOPE): GIGACHAT_API_PERS, GIGACHAT_API_B2B or GIGACHAT_API_CORP. Set together with the stack's llm_gigachat_key (the authorization key, into Lockbox). Empty: no GigaChat."
  type        = string
  default     = ""

  validation {
    condition     = contains(["", "GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"], var.llm_gigachat_scope)
    error_message = "llm_gigachat_scope must be empty, GIGACHAT_API_PERS, GIGACHAT_API_B2B or GIGACHAT_API_CORP."
  }
}

variable "llm_provider" {
  description = "The default language model when both are set up (SVA_LLM_PROVIDER): yandex or gigachat. Empty: the functions' own rule (GigaChat when its key is set). Tenants may pick the other one by name."
  type        = string
  default     = ""

  validation {
    condition = (
      var.llm_provider == "" ||
      (var.llm_provider == "yandex" && var.llm_folder_id != "") ||
      (var.llm_provider == "gigachat" && var.llm_gigachat_scope != "")
    )
    error_message = "llm_provider must be empty, yandex (with llm_folder_id) or gigachat (with llm_gigachat_scope)."
  }
}

variable "log_min_level" {
  description = "Lowest level written to the log group by the containers and the gateway."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_min_level)
    error_message = "log_min_level must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
  }
}

# --- Fed back by ../stack once the resources exist (fake ids in the tests). ---

variable "secret_refs" {
  description = "Lockbox secrets by logical name (token_key, operator_key, qdrant_api_key, s3, embeddings, llm, voximplant, gigachat): their id and the version the containers read."
  type = map(object({
    id         = string
    version_id = string
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.secret_refs) : contains(["token_key", "operator_key", "qdrant_api_key", "s3", "embeddings", "llm", "voximplant", "gigachat"], k)])
    error_message = "secret_refs keys must be among token_key, operator_key, qdrant_api_key, s3, embeddings, llm, voximplant, gigachat."
  }
}

variable "container_ids" {
  description = "Ids of the dialog, admin and crm containers, for the API Gateway spec. Empty: no spec."
  type        = map(string)
  default     = {}
}

variable "gateway_service_account_id" {
  description = "Service account the gateway calls the containers with."
  type        = string
  default     = ""
}
