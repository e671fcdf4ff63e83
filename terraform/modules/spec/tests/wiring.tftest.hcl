# The spec module wired the way ../stack wires it (tests/wiring, terraform_data stand-ins):
# plans without images (first apply) and with them, then applies and checks that the ids
# made by the "resources" arrive where the containers, the gateway and the VM read them.

variables {
  images = {
    dialog = "cr.yandex/crptestregistry000000000/sva-dialog@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    admin  = "cr.yandex/crptestregistry000000000/sva-admin@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    crm    = "cr.yandex/crptestregistry000000000/sva-crm@sha256:3333333333333333333333333333333333333333333333333333333333333333"
  }
}

run "first_apply_without_images_plans" {
  command = plan

  module {
    source = "./tests/wiring"
  }

  variables {
    images = null
  }

  assert {
    condition     = length(terraform_data.container) == 0 && length(terraform_data.gateway) == 0 && length(terraform_data.trigger) == 0
    error_message = "no containers, gateway or triggers before images exist"
  }
}

run "with_images_plans_with_unknown_ids" {
  command = plan

  module {
    source = "./tests/wiring"
  }

  assert {
    condition     = length(terraform_data.container) == 3 && length(terraform_data.invoker) == 4 && length(terraform_data.gateway) == 1 && length(terraform_data.trigger) == 1
    error_message = "three containers, a gateway and the triggers, decided at plan time"
  }
}

run "applied_ids_reach_the_containers_gateway_and_vm" {
  command = apply

  module {
    source = "./tests/wiring"
  }

  variables {
    embeddings_folder_id        = "b1gembeddings0000000"
    llm_folder_id               = "b1gmodels00000000000"
    llm_gigachat_scope          = "GIGACHAT_API_PERS"
    voximplant_outbound_rule_id = 3141592
  }

  assert {
    condition     = yamldecode(output.gateway_spec).paths["/v1/turn"].post["x-yc-apigateway-integration"].container_id == output.containers.dialog.id
    error_message = "the gateway must call the dialog container that was made"
  }

  assert {
    condition     = yamldecode(output.gateway_spec).paths["/v1/turn"].post["x-yc-apigateway-integration"].service_account_id == output.service_accounts.gateway
    error_message = "the gateway must call with its own account"
  }

  assert {
    condition     = contains([for s in output.containers.dialog.secrets : s.id if s.environment_variable == "SVA_TOKEN_KEY"], output.generated_secrets.token_key)
    error_message = "SVA_TOKEN_KEY must come from the token secret that was made"
  }

  assert {
    condition = alltrue(flatten([
      for fn, c in output.containers : [for s in c.secrets : s.id != null && s.version_id != null]
    ]))
    error_message = "every secret reference must be resolved"
  }

  assert {
    condition     = contains([for s in output.containers.admin.secrets : s.version_id if s.environment_variable == "SVA_EMBEDDINGS_API_KEY"], "e6qemb-v1")
    error_message = "the embeddings key's version must reach admin"
  }

  assert {
    condition = alltrue([
      for path in ["/v1/crm/install/{tenant}/{key}", "/v1/crm/events/{tenant}", "/v1/crm/robot/{tenant}"] :
      yamldecode(output.gateway_spec).paths[path].post["x-yc-apigateway-integration"].container_id == output.containers.crm.id
    ])
    error_message = "the portals' routes must call the crm container that was made"
  }

  assert {
    condition     = output.invokers["crm:gateway"] == "${output.containers.crm.id} <- ${output.service_accounts.gateway}"
    error_message = "the gateway's account must be let invoke crm"
  }

  assert {
    condition = alltrue([
      for fn in ["admin", "crm"] :
      contains([for s in output.containers[fn].secrets : s.id if s.environment_variable == "SVA_VOXIMPLANT_KEY"], output.supplied_secrets.voximplant)
    ])
    error_message = "SVA_VOXIMPLANT_KEY must come from the supplied secret that was made"
  }

  assert {
    condition = (
      contains([for s in output.containers.dialog.secrets : s.version_id if s.environment_variable == "SVA_LLM_API_KEY"], "e6qllm-v1") &&
      contains([for s in output.containers.dialog.secrets : s.id if s.environment_variable == "SVA_LLM_GIGACHAT_KEY"], output.supplied_secrets.gigachat)
    )
    error_message = "the model keys' versions must reach dialog"
  }

  assert {
    condition     = strcontains(output.qdrant_user_data, "SECRET_ID = \"${output.generated_secrets.qdrant_api_key}\"")
    error_message = "the VM must read the Qdrant secret that was made"
  }
}
