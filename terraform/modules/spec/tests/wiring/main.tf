# A stand-in of ../../../stack with terraform_data (built into Terraform, no provider) in
# place of the Yandex resources, wired to ../.. exactly as the stack is: ids that are only
# known after apply are fed back into the spec module (secret versions, container ids, the
# gateway's account). Planning and applying it shows the wiring has no cycle and that no
# count/for_each depends on a value unknown at plan time -- what `terraform validate` on
# the stack would catch first, had we the provider here.

terraform {
  required_version = ">= 1.9"
}

variable "images" {
  type    = map(string)
  default = null
}

variable "embeddings_folder_id" {
  type    = string
  default = ""
}

variable "llm_folder_id" {
  type    = string
  default = ""
}

variable "llm_gigachat_scope" {
  type    = string
  default = ""
}

variable "voximplant_outbound_rule_id" {
  type    = number
  default = null
}

module "spec" {
  source = "../.."

  environment          = "dev"
  folder_id            = "b1gtestfolder0000000"
  images               = var.images
  embeddings_folder_id = var.embeddings_folder_id

  llm_folder_id               = var.llm_folder_id
  llm_gigachat_scope          = var.llm_gigachat_scope
  voximplant_outbound_rule_id = var.voximplant_outbound_rule_id

  secret_refs = local.secret_refs
  container_ids = {
    for fn, c in terraform_data.container : fn => c.output.id
  }
  gateway_service_account_id = terraform_data.service_account["gateway"].output
}

# yandex_iam_service_account.sa
resource "terraform_data" "service_account" {
  for_each = module.spec.service_accounts
  input    = "aje${substr(sha256(each.key), 0, 17)}"
}

# yandex_lockbox_secret.generated + yandex_lockbox_secret_version.generated
resource "terraform_data" "generated_secret" {
  for_each = module.spec.generated_secrets
  input    = "e6q${substr(sha256(each.key), 0, 17)}"
}

resource "terraform_data" "generated_version" {
  for_each = terraform_data.generated_secret
  input    = "${each.value.output}-v1"
}

# yandex_lockbox_secret.s3 + the static key's output_to_lockbox_version_id
resource "terraform_data" "s3_secret" {
  input = "e6qs3"
}

resource "terraform_data" "s3_key" {
  input = "${terraform_data.s3_secret.output}-v1"
}

# yandex_lockbox_secret.embeddings + the API key's output_to_lockbox_version_id
resource "terraform_data" "embeddings_secret" {
  for_each = var.embeddings_folder_id == "" ? toset([]) : toset(["embeddings"])
  input    = "e6qemb"
}

resource "terraform_data" "embeddings_key" {
  for_each = terraform_data.embeddings_secret
  input    = "${each.value.output}-v1"
}

# yandex_lockbox_secret.llm + the API key's output_to_lockbox_version_id
resource "terraform_data" "llm_secret" {
  for_each = var.llm_folder_id == "" ? toset([]) : toset(["llm"])
  input    = "e6qllm"
}

resource "terraform_data" "llm_key" {
  for_each = terraform_data.llm_secret
  input    = "${each.value.output}-v1"
}

# yandex_lockbox_secret.supplied + yandex_lockbox_secret_version_hashed.supplied
resource "terraform_data" "supplied_secret" {
  for_each = module.spec.supplied_secrets
  input    = "e6q${substr(sha256(each.key), 0, 17)}"
}

resource "terraform_data" "supplied_version" {
  for_each = terraform_data.supplied_secret
  input    = "${each.value.output}-v1"
}

locals {
  secret_refs = merge(
    {
      for k, s in terraform_data.generated_secret : k => {
        id         = s.output
        version_id = terraform_data.generated_version[k].output
      }
    },
    { s3 = { id = terraform_data.s3_secret.output, version_id = terraform_data.s3_key.output } },
    {
      for k, key in terraform_data.embeddings_key : "embeddings" => {
        id         = terraform_data.embeddings_secret[k].output
        version_id = key.output
      }
    },
    {
      for k, key in terraform_data.llm_key : "llm" => {
        id         = terraform_data.llm_secret[k].output
        version_id = key.output
      }
    },
    {
      for k, s in terraform_data.supplied_secret : k => {
        id         = s.output
        version_id = terraform_data.supplied_version[k].output
      }
    },
  )
}

# yandex_lockbox_secret_iam_member.reader
resource "terraform_data" "reader" {
  for_each = module.spec.secret_readers
  input    = "${each.value.secret} <- ${terraform_data.service_account[each.value.reader].output}"
}

# yandex_serverless_container.fn
resource "terraform_data" "container" {
  for_each = module.spec.containers
  input = {
    id          = "bba${substr(sha256(each.key), 0, 17)}"
    image       = each.value.image_url
    environment = each.value.environment
    secrets     = each.value.secrets
    account     = terraform_data.service_account[each.value.service_account].output
  }
  depends_on = [terraform_data.reader, terraform_data.qdrant]
}

# yandex_serverless_container_iam_member.invoker
resource "terraform_data" "invoker" {
  for_each = module.spec.deploy_functions ? module.spec.invokers : {}
  input    = "${terraform_data.container[each.value.container].output.id} <- ${terraform_data.service_account[each.value.account].output}"
}

# yandex_api_gateway.main, yandex_function_trigger.*
resource "terraform_data" "gateway" {
  count = module.spec.deploy_functions ? 1 : 0
  input = module.spec.openapi_spec
}

resource "terraform_data" "trigger" {
  count = module.spec.deploy_functions ? 1 : 0
  input = terraform_data.container["crm"].output.id
}

# yandex_compute_instance.qdrant
resource "terraform_data" "qdrant" {
  input      = module.spec.qdrant_cloud_init
  depends_on = [terraform_data.reader]
}

output "gateway_spec" {
  value = one(terraform_data.gateway[*].output)
}

output "containers" {
  value = { for fn, c in terraform_data.container : fn => c.output }
}

output "qdrant_user_data" {
  value = terraform_data.qdrant.output
}

output "service_accounts" {
  value = { for k, a in terraform_data.service_account : k => a.output }
}

output "supplied_secrets" {
  value = { for k, s in terraform_data.supplied_secret : k => s.output }
}

output "invokers" {
  value = { for k, i in terraform_data.invoker : k => i.output }
}

output "generated_secrets" {
  value = { for k, s in terraform_data.generated_secret : k => s.output }
}
