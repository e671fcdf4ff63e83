# Names, labels, network layout: every name is a valid Yandex Cloud resource name, each
# environment gets its own, the bucket name is global and carries the folder id.

variables {
  environment = "dev"
  folder_id   = "b1gtestfolder0000000"
}

run "names_are_per_environment_and_valid" {
  command = plan

  assert {
    condition     = output.prefix == "sva-dev"
    error_message = "prefix must be <name>-<environment>"
  }

  assert {
    condition     = output.names.bucket == "sva-dev-data-b1gtestfolder0000000"
    error_message = "the bucket name must carry the environment and the folder id (bucket names are global)"
  }

  assert {
    condition     = length(output.names.bucket) <= 63 && can(regex("^[a-z0-9][a-z0-9.-]+[a-z0-9]$", output.names.bucket))
    error_message = "the bucket name must be a valid S3 bucket name"
  }

  # Every other name, flattened: [a-z]([-a-z0-9]{0,61}[a-z0-9])? is what Yandex Cloud takes.
  assert {
    condition = alltrue([
      for n in concat(
        [for k, v in output.names : v if can(tostring(v)) && k != "bucket"],
        flatten([for k, v in output.names : values(v) if !can(tostring(v))]),
      ) : can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", n))
    ])
    error_message = "every resource name must match [a-z]([-a-z0-9]{0,61}[a-z0-9])?"
  }

  assert {
    condition     = output.names.containers == { dialog = "sva-dev-dialog", admin = "sva-dev-admin", crm = "sva-dev-crm" }
    error_message = "containers must be named <prefix>-<function>"
  }

  assert {
    condition     = output.names.repositories == { dialog = "sva-dialog", admin = "sva-admin", crm = "sva-crm" }
    error_message = "image repositories must be sva-<function> (what make image builds)"
  }

  assert {
    condition     = output.labels == { project = "sva", environment = "dev", managed-by = "terraform" }
    error_message = "labels must name project, environment and terraform"
  }
}

run "prod_gets_other_names" {
  command = plan

  variables {
    environment = "prod"
  }

  assert {
    condition     = output.names.containers.dialog == "sva-prod-dialog" && output.names.secrets.operator_key == "sva-prod-operator-key"
    error_message = "prod resources must not share names with dev"
  }
}

run "one_subnet_per_zone_and_a_fixed_qdrant_address" {
  command = plan

  assert {
    condition = output.subnets == {
      "ru-central1-a" = "10.130.0.0/20"
      "ru-central1-b" = "10.130.16.0/20"
      "ru-central1-d" = "10.130.32.0/20"
    }
    error_message = "each zone must get its sixteenth of vpc_cidr, in order"
  }

  assert {
    condition     = output.qdrant_ip == "10.130.32.10" && output.qdrant_url == "http://10.130.32.10:6334"
    error_message = "Qdrant must sit at the 10th address of its zone's subnet, gRPC on 6334"
  }
}

run "service_accounts_one_per_job" {
  command = plan

  assert {
    condition     = sort(keys(output.service_accounts)) == sort(["dialog", "admin", "crm", "storage", "gateway", "trigger", "qdrant"])
    error_message = "one service account per job, and no embeddings account unless embeddings are on"
  }
}
