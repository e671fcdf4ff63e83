# The Container Registry the images are pushed to (make push): cr.yandex/<id>/sva-<fn>.
# Private: only the functions' accounts (and the Qdrant VM's, for a copy of the Qdrant
# image) may pull.

resource "yandex_container_registry" "main" {
  name      = local.names.registry
  folder_id = var.folder_id
  labels    = local.labels
}

# Authoritative for the puller role on this registry. The people who push need
# container-registry.images.pusher (or more) on the folder: not managed here.
resource "yandex_container_registry_iam_binding" "puller" {
  registry_id = yandex_container_registry.main.id
  role        = "container-registry.images.puller"
  members     = [for k in ["dialog", "admin", "crm", "qdrant"] : local.sa[k]]
}
