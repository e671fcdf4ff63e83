# What each container gets: image by digest, environment (functions/kit/src/config.rs and
# each main.rs), Lockbox entries, warm instances, network. And who may read which secret.

variables {
  environment = "dev"
  folder_id   = "b1gtestfolder0000000"
  images = {
    dialog = "cr.yandex/crptestregistry000000000/sva-dialog:1.4.0@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    admin  = "cr.yandex/crptestregistry000000000/sva-admin@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    crm    = "cr.yandex/crptestregistry000000000/sva-crm@sha256:3333333333333333333333333333333333333333333333333333333333333333"
  }
  secret_refs = {
    token_key      = { id = "e6qtoken", version_id = "e6qtoken-v1" }
    operator_key   = { id = "e6qoperator", version_id = "e6qoperator-v1" }
    qdrant_api_key = { id = "e6qqdrant", version_id = "e6qqdrant-v1" }
    s3             = { id = "e6qs3", version_id = "e6qs3-v7" }
  }
}

run "no_images_no_containers" {
  command = plan

  variables {
    images = null
  }

  assert {
    condition     = length(output.containers) == 0 && output.deploy_functions == false
    error_message = "without images there must be no containers (the first apply only makes the registry)"
  }
}

run "images_pinned_by_digest" {
  command = plan

  assert {
    condition     = output.containers.dialog.image_url == "cr.yandex/crptestregistry000000000/sva-dialog@sha256:1111111111111111111111111111111111111111111111111111111111111111"
    error_message = "the image URL must be the digest reference, the tag dropped"
  }

  assert {
    condition     = output.containers.admin.image_digest == "sha256:2222222222222222222222222222222222222222222222222222222222222222"
    error_message = "the digest must be passed to the provider too"
  }

  assert {
    condition     = output.image_registry_ids == toset(["crptestregistry000000000"])
    error_message = "the registry id must be parsed from the references"
  }
}

run "storage_and_s3_keys_reach_all_three" {
  command = plan

  assert {
    condition = alltrue([
      for fn in ["dialog", "admin", "crm"] :
      output.containers[fn].environment.SVA_STORAGE == "s3" &&
      output.containers[fn].environment.SVA_S3_BUCKET == "sva-dev-data-b1gtestfolder0000000" &&
      output.containers[fn].environment.SVA_S3_ENDPOINT == "https://storage.yandexcloud.net" &&
      output.containers[fn].environment.SVA_S3_REGION == "ru-central1" &&
      output.containers[fn].environment.SVA_LOG_FORMAT == "json"
    ])
    error_message = "every function must use the S3 back end on the data bucket"
  }

  assert {
    condition = alltrue([
      for fn in ["dialog", "admin", "crm"] : contains(output.containers[fn].secrets, {
        id = "e6qs3", version_id = "e6qs3-v7", key = "access_key_id", environment_variable = "SVA_S3_ACCESS_KEY_ID"
        }) && contains(output.containers[fn].secrets, {
        id = "e6qs3", version_id = "e6qs3-v7", key = "secret_access_key", environment_variable = "SVA_S3_SECRET_ACCESS_KEY"
      })
    ])
    error_message = "every function must get both halves of the S3 key from the s3 secret's version"
  }

  assert {
    condition = alltrue([
      for fn in ["dialog", "admin", "crm"] : !contains(keys(output.containers[fn].environment), "PORT")
    ])
    error_message = "PORT is Serverless Containers' to set"
  }
}

run "each_function_gets_only_its_own_keys" {
  command = plan

  assert {
    condition = sort([for s in output.containers.dialog.secrets : s.environment_variable]) == sort([
      "SVA_S3_ACCESS_KEY_ID", "SVA_S3_SECRET_ACCESS_KEY", "SVA_TOKEN_KEY", "SVA_QDRANT_API_KEY"
    ])
    error_message = "dialog: S3 key, token key, Qdrant key"
  }

  assert {
    condition = sort([for s in output.containers.admin.secrets : s.environment_variable]) == sort([
      "SVA_S3_ACCESS_KEY_ID", "SVA_S3_SECRET_ACCESS_KEY", "SVA_OPERATOR_KEY", "SVA_QDRANT_API_KEY"
    ])
    error_message = "admin: S3 key, operator key, Qdrant key"
  }

  assert {
    condition     = sort([for s in output.containers.crm.secrets : s.environment_variable]) == sort(["SVA_S3_ACCESS_KEY_ID", "SVA_S3_SECRET_ACCESS_KEY"])
    error_message = "crm: the S3 key only"
  }

  assert {
    condition     = contains(output.containers.dialog.secrets, { id = "e6qtoken", version_id = "e6qtoken-v1", key = "token_key", environment_variable = "SVA_TOKEN_KEY" })
    error_message = "SVA_TOKEN_KEY must come from the token_key secret's version"
  }

  assert {
    condition = sort(keys(output.secret_readers)) == sort([
      "s3:dialog", "s3:admin", "s3:crm", "token_key:dialog", "operator_key:admin",
      "qdrant_api_key:dialog", "qdrant_api_key:admin", "qdrant_api_key:qdrant",
    ])
    error_message = "payloadViewer grants must be exactly the secrets each account reads"
  }
}

run "dialog_is_warm_and_in_the_network" {
  command = plan

  assert {
    condition     = output.containers.dialog.min_instances == 1 && output.containers.admin.min_instances == 0 && output.containers.crm.min_instances == 0
    error_message = "only the dialog function keeps warm instances by default"
  }

  assert {
    condition     = output.containers.dialog.connectivity && output.containers.admin.connectivity && !output.containers.crm.connectivity
    error_message = "dialog and admin reach Qdrant through the VPC; crm needs no network"
  }

  assert {
    condition = (
      output.containers.dialog.environment.SVA_QDRANT_URL == "http://10.130.32.10:6334" &&
      output.containers.admin.environment.SVA_QDRANT_URL == "http://10.130.32.10:6334" &&
      !contains(keys(output.containers.crm.environment), "SVA_QDRANT_URL")
    )
    error_message = "dialog and admin must point at the Qdrant VM"
  }

  assert {
    condition = (
      output.containers.dialog.environment.SVA_TURN_DEADLINE_MS == "1200" &&
      output.containers.dialog.environment.SVA_MEMORY_MB == "512" &&
      output.containers.dialog.environment.SVA_VCPU == "1" &&
      output.containers.dialog.memory == 512 &&
      output.containers.dialog.execution_timeout == "5s"
    )
    error_message = "dialog sizing and deadline"
  }
}

run "empty_settings_are_left_out" {
  command = plan

  assert {
    condition = alltrue([
      for fn in ["dialog", "admin", "crm"] : alltrue([for v in values(output.containers[fn].environment) : v != ""])
    ])
    error_message = "no empty environment variable may be set"
  }

  assert {
    condition     = !contains(keys(output.containers.dialog.environment), "SVA_EMBEDDINGS_FOLDER") && !contains(keys(output.containers.dialog.environment), "SVA_CRM_ALLOWED_HOSTS")
    error_message = "unset options must not appear"
  }
}

run "settings_reach_the_functions_that_read_them" {
  command = plan

  variables {
    crm_allowed_hosts    = ["crm.internal:8443", "bitrix.local"]
    bitrix_rate          = "5/250"
    warm_tenants         = ["acme", "demo"]
    dialog_min_instances = 3
  }

  assert {
    condition = alltrue([
      for fn in ["dialog", "admin", "crm"] : output.containers[fn].environment.SVA_CRM_ALLOWED_HOSTS == "crm.internal:8443,bitrix.local"
    ])
    error_message = "SVA_CRM_ALLOWED_HOSTS is read by all three"
  }

  assert {
    condition = (
      output.containers.dialog.environment.SVA_BITRIX_RATE == "5/250" &&
      output.containers.crm.environment.SVA_BITRIX_RATE == "5/250" &&
      !contains(keys(output.containers.admin.environment), "SVA_BITRIX_RATE")
    )
    error_message = "SVA_BITRIX_RATE is read by dialog and crm"
  }

  assert {
    condition     = output.containers.dialog.environment.SVA_WARM_TENANTS == "acme,demo" && output.containers.dialog.min_instances == 3
    error_message = "warm tenants and instances"
  }
}

run "embeddings_add_an_account_a_secret_and_a_variable" {
  command = plan

  variables {
    embeddings_folder_id = "b1gembeddings0000000"
    secret_refs = {
      token_key      = { id = "e6qtoken", version_id = "e6qtoken-v1" }
      operator_key   = { id = "e6qoperator", version_id = "e6qoperator-v1" }
      qdrant_api_key = { id = "e6qqdrant", version_id = "e6qqdrant-v1" }
      s3             = { id = "e6qs3", version_id = "e6qs3-v7" }
      embeddings     = { id = "e6qemb", version_id = "e6qemb-v1" }
    }
  }

  assert {
    condition     = contains(keys(output.service_accounts), "embeddings") && output.secret_entries.embeddings == ["api_key"]
    error_message = "embeddings need their account and secret"
  }

  assert {
    condition = alltrue([
      for fn in ["dialog", "admin"] :
      output.containers[fn].environment.SVA_EMBEDDINGS_FOLDER == "b1gembeddings0000000" &&
      contains(output.containers[fn].secrets, { id = "e6qemb", version_id = "e6qemb-v1", key = "api_key", environment_variable = "SVA_EMBEDDINGS_API_KEY" })
    ])
    error_message = "dialog and admin need folder and key together (the functions refuse one without the other)"
  }

  assert {
    condition     = length([for s in output.containers.crm.secrets : s if s.environment_variable == "SVA_EMBEDDINGS_API_KEY"]) == 0
    error_message = "crm does not embed"
  }
}

# --- Outbound calls (Voximplant) and the language model ---------------------------------

run "without_keys_nothing_new_appears" {
  command = plan

  assert {
    condition     = length(output.supplied_secrets) == 0 && !contains(keys(output.service_accounts), "llm")
    error_message = "no operator-supplied secret and no model account without their settings"
  }

  assert {
    condition     = sort(keys(output.secret_entries)) == sort(["token_key", "operator_key", "qdrant_api_key", "s3"])
    error_message = "the secrets are the four of every deployment"
  }

  assert {
    condition = alltrue(flatten([
      for fn in ["dialog", "admin", "crm"] : [
        for name in concat(keys(output.containers[fn].environment), [for s in output.containers[fn].secrets : s.environment_variable]) :
        !startswith(name, "SVA_VOXIMPLANT_") && !startswith(name, "SVA_LLM_") && name != "SVA_CRM_PUBLIC_URL"
      ]
    ]))
    error_message = "without the settings no function gets a Voximplant, model or public-URL variable (they run as before)"
  }
}

run "the_voximplant_key_reaches_admin_and_crm_only" {
  command = plan

  variables {
    voximplant_outbound_rule_id = 3141592
    secret_refs = {
      token_key      = { id = "e6qtoken", version_id = "e6qtoken-v1" }
      operator_key   = { id = "e6qoperator", version_id = "e6qoperator-v1" }
      qdrant_api_key = { id = "e6qqdrant", version_id = "e6qqdrant-v1" }
      s3             = { id = "e6qs3", version_id = "e6qs3-v7" }
      voximplant     = { id = "e6qvox", version_id = "e6qvox-v2" }
    }
  }

  assert {
    condition     = output.supplied_secrets.voximplant.key == "key" && output.secret_entries.voximplant == ["key"]
    error_message = "the operator's key gets a secret of its own with one entry"
  }

  assert {
    condition = alltrue([
      for fn in ["admin", "crm"] :
      contains(output.containers[fn].secrets, { id = "e6qvox", version_id = "e6qvox-v2", key = "key", environment_variable = "SVA_VOXIMPLANT_KEY" }) &&
      output.containers[fn].environment.SVA_VOXIMPLANT_OUTBOUND_RULE_ID == "3141592"
    ])
    error_message = "admin and crm read the key and get the rule id with it"
  }

  assert {
    condition = (
      length([for s in output.containers.dialog.secrets : s if s.environment_variable == "SVA_VOXIMPLANT_KEY"]) == 0 &&
      !contains(keys(output.containers.dialog.environment), "SVA_VOXIMPLANT_OUTBOUND_RULE_ID")
    )
    error_message = "dialog does not call Voximplant's API"
  }

  assert {
    condition     = [for k, r in output.secret_readers : r.reader if r.secret == "voximplant"] == ["admin", "crm"]
    error_message = "exactly admin and crm may read the Voximplant key"
  }
}

run "a_yandex_model_folder_gives_dialog_its_folder_and_key" {
  command = plan

  variables {
    llm_folder_id = "b1gmodels00000000000"
    secret_refs = {
      token_key      = { id = "e6qtoken", version_id = "e6qtoken-v1" }
      operator_key   = { id = "e6qoperator", version_id = "e6qoperator-v1" }
      qdrant_api_key = { id = "e6qqdrant", version_id = "e6qqdrant-v1" }
      s3             = { id = "e6qs3", version_id = "e6qs3-v7" }
      llm            = { id = "e6qllm", version_id = "e6qllm-v1" }
    }
  }

  assert {
    condition     = contains(keys(output.service_accounts), "llm") && output.secret_entries.llm == ["api_key"] && length(output.supplied_secrets) == 0
    error_message = "the model needs its account and a secret for its API key (made by Terraform, not supplied)"
  }

  assert {
    condition = (
      output.containers.dialog.environment.SVA_LLM_FOLDER == "b1gmodels00000000000" &&
      contains(output.containers.dialog.secrets, { id = "e6qllm", version_id = "e6qllm-v1", key = "api_key", environment_variable = "SVA_LLM_API_KEY" })
    )
    error_message = "dialog gets SVA_LLM_FOLDER and SVA_LLM_API_KEY together (the yandex provider needs both)"
  }

  assert {
    condition = alltrue([
      for fn in ["admin", "crm"] : alltrue([
        for name in concat(keys(output.containers[fn].environment), [for s in output.containers[fn].secrets : s.environment_variable]) :
        !startswith(name, "SVA_LLM_")
      ])
    ])
    error_message = "only dialog talks to the model"
  }

  assert {
    condition     = [for k, r in output.secret_readers : r.reader if r.secret == "llm"] == ["dialog"]
    error_message = "exactly dialog may read the model's key"
  }
}

run "gigachat_is_a_supplied_key_for_dialog" {
  command = plan

  variables {
    llm_gigachat_scope = "GIGACHAT_API_B2B"
    llm_folder_id      = "b1gmodels00000000000"
    llm_provider       = "gigachat"
  }

  assert {
    condition     = sort(keys(output.supplied_secrets)) == sort(["gigachat"]) && output.secret_entries.gigachat == ["key"]
    error_message = "GigaChat's authorization key is supplied by the operator"
  }

  assert {
    condition = (
      output.containers.dialog.environment.SVA_LLM_GIGACHAT_SCOPE == "GIGACHAT_API_B2B" &&
      output.containers.dialog.environment.SVA_LLM_PROVIDER == "gigachat" &&
      output.containers.dialog.environment.SVA_LLM_CA_FILE == "/opt/sva/ca/model.pem" &&
      contains([for s in output.containers.dialog.secrets : s.environment_variable], "SVA_LLM_GIGACHAT_KEY") &&
      contains([for s in output.containers.dialog.secrets : s.environment_variable], "SVA_LLM_API_KEY")
    )
    error_message = "dialog gets both models, GigaChat the default"
  }

  assert {
    condition     = [for k, r in output.secret_readers : r.reader if r.secret == "gigachat"] == ["dialog"]
    error_message = "exactly dialog may read GigaChat's key"
  }
}

run "readers_are_exactly_the_functions_that_use_each_secret" {
  command = plan

  variables {
    voximplant_outbound_rule_id = 7
    llm_folder_id               = "b1gmodels00000000000"
    llm_gigachat_scope          = "GIGACHAT_API_PERS"
    embeddings_folder_id        = "b1gembeddings0000000"
    secret_refs = {
      for k in ["token_key", "operator_key", "qdrant_api_key", "s3", "embeddings", "llm", "voximplant", "gigachat"] :
      k => { id = k, version_id = "${k}-v1" }
    }
  }

  # Each secret's id is its logical name here, so what the containers read names the
  # secret: the grants must be exactly those pairs, and the VM's.
  assert {
    condition = sort(keys(output.secret_readers)) == sort(concat(
      distinct(flatten([for fn, c in output.containers : [for s in c.secrets : "${s.id}:${fn}"]])),
      ["qdrant_api_key:qdrant"],
    ))
    error_message = "a payloadViewer grant for each (secret, function that reads it), nothing more"
  }

  assert {
    condition = sort(keys(output.secret_readers)) == sort([
      "s3:dialog", "s3:admin", "s3:crm", "token_key:dialog", "operator_key:admin",
      "qdrant_api_key:dialog", "qdrant_api_key:admin", "qdrant_api_key:qdrant",
      "embeddings:dialog", "embeddings:admin", "llm:dialog", "gigachat:dialog",
      "voximplant:admin", "voximplant:crm",
    ])
    error_message = "payloadViewer grants with every option on"
  }
}

run "the_public_url_reaches_crm" {
  command = plan

  variables {
    crm_public_url = "https://d5dabc.apigw.yandexcloud.net"
  }

  assert {
    condition     = output.containers.crm.environment.SVA_CRM_PUBLIC_URL == "https://d5dabc.apigw.yandexcloud.net"
    error_message = "crm binds the application's events and registers the robot at the public URL"
  }
}

run "invokers_are_the_gateway_and_the_triggers" {
  command = plan

  assert {
    condition     = sort(keys(output.invokers)) == sort(["dialog:gateway", "admin:gateway", "crm:gateway", "crm:trigger"])
    error_message = "the gateway invokes all three (crm for the portals' routes), the triggers crm only"
  }
}
