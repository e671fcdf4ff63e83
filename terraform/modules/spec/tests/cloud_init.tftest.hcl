# The Qdrant VM's cloud-init: valid cloud-config that mounts the data disk, reads the key
# from this environment's Lockbox secret and runs the pinned Qdrant image on 6333/6334.

variables {
  environment = "dev"
  folder_id   = "b1gtestfolder0000000"
  secret_refs = {
    qdrant_api_key = { id = "e6qqdrantsecret00000", version_id = "e6qv1" }
  }
}

run "cloud_config_runs_qdrant_with_the_key_from_lockbox" {
  command = plan

  assert {
    condition     = startswith(output.qdrant_cloud_init, "#cloud-config\n")
    error_message = "user-data must start with #cloud-config"
  }

  assert {
    condition = sort([for f in yamldecode(output.qdrant_cloud_init).write_files : f.path]) == sort([
      "/usr/local/sbin/sva-qdrant-secret", "/usr/local/sbin/sva-qdrant", "/etc/systemd/system/sva-qdrant.service",
    ])
    error_message = "the helper, the start script and the unit must be written"
  }

  assert {
    condition = strcontains(
      one([for f in yamldecode(output.qdrant_cloud_init).write_files : f.content if f.path == "/usr/local/sbin/sva-qdrant-secret"]),
      "SECRET_ID = \"e6qqdrantsecret00000\""
    )
    error_message = "the key must be read from this environment's Qdrant secret"
  }

  assert {
    condition = alltrue([
      for s in [
        "DEVICE=/dev/disk/by-id/virtio-qdrant-data",
        "-p 6333:6333 -p 6334:6334",
        "-v \"$DATA/storage:/qdrant/storage\"",
        "-v \"$DATA/snapshots:/qdrant/snapshots\"",
        "--env-file /run/sva-qdrant.env",
        "qdrant/qdrant:v1.19.0\n",
      ] : strcontains(one([for f in yamldecode(output.qdrant_cloud_init).write_files : f.content if f.path == "/usr/local/sbin/sva-qdrant"]), s)
    ])
    error_message = "the start script must mount the data disk and run the pinned image on Qdrant's ports"
  }

  assert {
    condition     = !strcontains(output.qdrant_cloud_init, "docker login")
    error_message = "a Docker Hub image needs no registry login"
  }

  assert {
    condition     = yamldecode(output.qdrant_cloud_init).runcmd[1] == ["systemctl", "enable", "--now", "sva-qdrant.service"]
    error_message = "the service must be enabled and started"
  }

  assert {
    condition     = output.qdrant_disk_device == "qdrant-data"
    error_message = "the disk's device_name and the script's path must agree"
  }
}

run "a_registry_copy_of_qdrant_logs_in_with_the_vm_account" {
  command = plan

  variables {
    qdrant_image = "cr.yandex/crptestregistry000000000/qdrant:v1.16.0"
  }

  assert {
    condition     = strcontains(output.qdrant_cloud_init, "sva-qdrant-secret token | docker login --username iam --password-stdin cr.yandex")
    error_message = "pulling from Container Registry needs a login with the VM's IAM token"
  }

  assert {
    condition     = can(yamldecode(output.qdrant_cloud_init))
    error_message = "the directive must not break the YAML"
  }
}
