output "state_bucket" {
  description = "terraform init -backend-config=\"bucket=<this>\" in terraform/envs/<env>."
  value       = yandex_storage_bucket.state.bucket
}

output "state_key_secret_id" {
  description = "Lockbox secret with the backend's key (access_key_id, secret_access_key)."
  value       = yandex_lockbox_secret.state_key.id
}

output "state_key_version_id" {
  description = "The Lockbox version the key was written to."
  value       = yandex_iam_service_account_static_access_key.state.output_to_lockbox_version_id
}
