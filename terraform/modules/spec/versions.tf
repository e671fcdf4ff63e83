# Provider-free on purpose: everything here is plain Terraform (names, maps, validations,
# templates), so `terraform init -backend=false && terraform test` runs with no network and
# no provider (terraform/check.sh). The resources live in ../stack.
terraform {
  required_version = ">= 1.9" # validations that refer to other variables
}
