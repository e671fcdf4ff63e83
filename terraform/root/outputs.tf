output "api_url" {
  description = "HTTPS URL of the API gateway: SVA_FUNCTION_URL for VoxEngine, --url for sva."
  value       = module.stack.api_url
}

output "registry_id" {
  description = "Push images to cr.yandex/<registry_id>/sva-<function>."
  value       = module.stack.registry_id
}

output "image_repositories" {
  description = "Repository of each function's image."
  value       = module.stack.image_repositories
}

output "bucket" {
  description = "The data bucket."
  value       = module.stack.bucket
}

output "container_ids" {
  description = "Serverless container ids by function."
  value       = module.stack.container_ids
}

output "container_revisions" {
  description = "Deployed revision of each container."
  value       = module.stack.container_revisions
}

output "operator_key_secret_id" {
  description = "Lockbox secret of the operator key: yc lockbox payload get --id <this> --key operator_key."
  value       = module.stack.operator_key_secret_id
}

output "secret_ids" {
  description = "Lockbox secrets by logical name."
  value       = module.stack.secret_ids
}

output "service_account_ids" {
  description = "Service accounts by job."
  value       = module.stack.service_account_ids
}

output "log_group_id" {
  description = "Log group of the containers and the gateway."
  value       = module.stack.log_group_id
}

output "qdrant" {
  description = "The Qdrant VM."
  value       = module.stack.qdrant
}

output "gateway_id" {
  description = "The API gateway."
  value       = module.stack.gateway_id
}
