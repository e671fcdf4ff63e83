terraform {
  required_version = ">= 1.9"
  required_providers {
    yandex = {
      source = "yandex-cloud/yandex"
      # Exact version: the lock file of the root module (envs/<env>). The attributes used
      # here need 0.222 (see terraform/README.md, "Provider documentation").
      version = ">= 0.222.0"
    }
    # terraform_data (replace the Qdrant VM when its cloud-init changes) is built in.
  }
}
