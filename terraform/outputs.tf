output "api_domain" {
  description = "Where VoxEngine posts turns: https://<domain>/v1/turn."
  value       = yandex_api_gateway.api.domain
}

output "bucket" {
  description = "The data bucket (tenants, scenario modules, call records, outbox)."
  value       = yandex_storage_bucket.data.bucket
}
