# Qdrant (the tenants' knowledge bases) on a VM from the Container Optimized Image: the
# provider has no Qdrant resource. Private address only, data on its own disk with daily
# snapshots, the API key read from Lockbox at boot (module.spec.qdrant_cloud_init).
#
# What is on the disk can be rebuilt from the bucket (`sva kb reindex` per tenant), so a
# snapshot is a shortcut, not the only copy.

data "yandex_compute_image" "coi" {
  family    = "container-optimized-image"
  folder_id = "standard-images"
}

resource "yandex_compute_disk" "qdrant" {
  name        = local.names.qdrant_disk
  description = "Qdrant's storage and snapshots (/var/lib/qdrant on ${local.names.qdrant_vm})."
  folder_id   = var.folder_id
  labels      = local.labels
  zone        = var.qdrant_zone
  type        = "network-ssd"
  size        = var.qdrant_disk_gb
}

resource "yandex_compute_snapshot_schedule" "qdrant" {
  name        = local.names.snapshot_schedule
  description = "Daily snapshot of ${local.names.qdrant_disk}."
  folder_id   = var.folder_id
  labels      = local.labels

  schedule_policy {
    expression = "0 2 * * *"
  }
  snapshot_count = var.qdrant_snapshot_count

  snapshot_spec {
    description = "Qdrant data of ${module.spec.prefix}"
    labels      = local.labels
  }

  disk_ids = [yandex_compute_disk.qdrant.id]
}

# cloud-init runs once per VM: a change of it (Qdrant's version, the secret) replaces the
# VM; the data disk is not the VM's and stays.
resource "terraform_data" "qdrant_config" {
  input = sha256(module.spec.qdrant_cloud_init)
}

resource "yandex_compute_instance" "qdrant" {
  name                      = local.names.qdrant_vm
  hostname                  = local.names.qdrant_vm
  description               = "Qdrant ${var.qdrant_image}, knowledge bases of ${module.spec.prefix}."
  folder_id                 = var.folder_id
  labels                    = local.labels
  zone                      = var.qdrant_zone
  platform_id               = var.qdrant_platform_id
  service_account_id        = yandex_iam_service_account.sa["qdrant"].id
  allow_stopping_for_update = true

  resources {
    cores         = var.qdrant_cores
    memory        = var.qdrant_memory_gb
    core_fraction = var.qdrant_core_fraction
  }

  boot_disk {
    initialize_params {
      image_id = data.yandex_compute_image.coi.id
      type     = "network-ssd"
      size     = 30
    }
  }

  secondary_disk {
    disk_id     = yandex_compute_disk.qdrant.id
    device_name = module.spec.qdrant_disk_device
    auto_delete = false
  }

  network_interface {
    subnet_id          = yandex_vpc_subnet.zone[var.qdrant_zone].id
    ip_address         = module.spec.qdrant_ip
    nat                = false
    security_group_ids = [yandex_vpc_security_group.qdrant.id]
  }

  metadata = {
    user-data = module.spec.qdrant_cloud_init
  }

  scheduling_policy {
    preemptible = false
  }

  lifecycle {
    # A newer COI image must not replace the VM by itself.
    ignore_changes       = [boot_disk[0].initialize_params[0].image_id]
    replace_triggered_by = [terraform_data.qdrant_config]
  }

  # The VM reads its key and may pull at boot: the grants first.
  depends_on = [
    yandex_lockbox_secret_version.generated,
    yandex_lockbox_secret_iam_member.reader,
    yandex_kms_symmetric_key_iam_member.secrets,
    yandex_container_registry_iam_binding.puller,
  ]
}
