output "prefix" {
  description = "<name>-<environment>, the start of every resource name."
  value       = local.prefix
}

output "labels" {
  description = "Labels put on every resource that takes them."
  value       = local.labels
}

output "names" {
  description = "Every resource name, by kind (maps for the per-function, per-secret, per-account and per-zone ones)."
  value       = local.names
}

output "service_accounts" {
  description = "Service accounts by logical name => description."
  value       = local.service_accounts
}

output "generated_secrets" {
  description = "Lockbox secrets whose single entry Lockbox generates: name => { description, length } (the entry key is the name)."
  value       = local.generated_secrets
}

output "supplied_secrets" {
  description = "Lockbox secrets whose value the operator supplies (written hashed by ../stack): name => { description, key }."
  value       = local.supplied_secrets
}

output "invokers" {
  description = "serverless.containers.invoker grants: \"<container>:<account>\" => { container, account } (logical names)."
  value       = local.invokers
}

output "secret_entries" {
  description = "Every Lockbox secret by logical name => the entry keys it holds."
  value       = local.secret_entries
}

output "secret_readers" {
  description = "lockbox.payloadViewer grants: \"<secret>:<reader>\" => { secret, reader } (logical names)."
  value       = local.secret_readers
}

output "subnets" {
  description = "Zone => subnet CIDR."
  value       = local.subnets
}

output "qdrant_ip" {
  description = "The Qdrant VM's fixed private address."
  value       = local.qdrant_ip
}

output "qdrant_url" {
  description = "SVA_QDRANT_URL: Qdrant's gRPC endpoint."
  value       = local.qdrant_url
}

output "qdrant_disk_device" {
  description = "device_name of the Qdrant data disk (/dev/disk/by-id/virtio-<name> on the VM)."
  value       = local.qdrant_disk_device
}

output "qdrant_cloud_init" {
  description = "user-data of the Qdrant VM (cloud-config)."
  value       = local.qdrant_cloud_init
}

output "deploy_functions" {
  description = "Whether images were given, i.e. whether containers, gateway and triggers are made."
  value       = var.images != null
}

output "image_registry_ids" {
  description = "Registry ids the images name (the stack checks they are its own registry)."
  value       = toset([for i in local.images : i.registry_id])
}

output "containers" {
  description = "Per function: everything yandex_serverless_container needs (empty without images)."
  value       = local.containers
}

output "openapi_spec" {
  description = "The API Gateway's OpenAPI document (null until the container ids are known)."
  value       = local.openapi_spec
}
