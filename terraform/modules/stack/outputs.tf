# What a person (and make push / make deploy) needs. No secret value is an output: the
# keys are in Lockbox, read them with `yc lockbox payload get` (terraform/README.md).

output "api_url" {
  description = "The API gateway's HTTPS URL: SVA_FUNCTION_URL of the VoxEngine application, --url of the sva CLI. null before the first deploy with images."
  value       = one([for g in yandex_api_gateway.main : "https://${g.domain}"])
}

output "registry_id" {
  description = "Container Registry to push to: cr.yandex/<registry_id>/sva-<function>."
  value       = yandex_container_registry.main.id
}

output "image_repositories" {
  description = "Where make push puts each function's image (pin the pushed digest in images)."
  value = {
    for fn, repo in local.names.repositories : fn => "cr.yandex/${yandex_container_registry.main.id}/${repo}"
  }
}

output "bucket" {
  description = "The data bucket (tenants, scenario modules, call records, CRM outbox)."
  value       = yandex_storage_bucket.data.bucket
}

output "container_ids" {
  description = "Serverless container ids by function."
  value       = { for fn, c in yandex_serverless_container.fn : fn => c.id }
}

output "container_revisions" {
  description = "The deployed revision of each container."
  value       = { for fn, c in yandex_serverless_container.fn : fn => c.revision_id }
}

output "operator_key_secret_id" {
  description = "Lockbox secret holding the admin API's operator key (entry operator_key): yc lockbox payload get --id <this> --key operator_key."
  value       = yandex_lockbox_secret.generated["operator_key"].id
}

output "secret_ids" {
  description = "Every Lockbox secret by logical name (values never leave Lockbox)."
  value       = local.secret_ids
}

output "service_account_ids" {
  description = "Service accounts by job."
  value       = { for k, a in yandex_iam_service_account.sa : k => a.id }
}

output "log_group_id" {
  description = "The log group of the containers and the gateway: yc logging read --group-id <this>."
  value       = yandex_logging_group.main.id
}

output "network_id" {
  description = "The VPC."
  value       = yandex_vpc_network.main.id
}

output "qdrant" {
  description = "The Qdrant VM: id, private address, SVA_QDRANT_URL, data disk."
  value = {
    instance_id = yandex_compute_instance.qdrant.id
    ip          = module.spec.qdrant_ip
    url         = module.spec.qdrant_url
    disk_id     = yandex_compute_disk.qdrant.id
  }
}

output "gateway_id" {
  description = "The API gateway's id (null before the first deploy with images)."
  value       = one(yandex_api_gateway.main[*].id)
}
