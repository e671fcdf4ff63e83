# Inputs that must be refused before anything is planned.

variables {
  environment = "dev"
  folder_id   = "b1gtestfolder0000000"
}

run "image_by_tag_only_is_refused" {
  command = plan

  variables {
    images = {
      dialog = "cr.yandex/crptestregistry000000000/sva-dialog:latest"
      admin  = "cr.yandex/crptestregistry000000000/sva-admin@sha256:2222222222222222222222222222222222222222222222222222222222222222"
      crm    = "cr.yandex/crptestregistry000000000/sva-crm@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    }
  }

  expect_failures = [var.images]
}

run "image_outside_container_registry_is_refused" {
  command = plan

  variables {
    images = {
      dialog = "docker.io/someone/sva-dialog@sha256:1111111111111111111111111111111111111111111111111111111111111111"
      admin  = "cr.yandex/crptestregistry000000000/sva-admin@sha256:2222222222222222222222222222222222222222222222222222222222222222"
      crm    = "cr.yandex/crptestregistry000000000/sva-crm@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    }
  }

  expect_failures = [var.images]
}

run "images_swapped_between_functions_are_refused" {
  command = plan

  variables {
    images = {
      dialog = "cr.yandex/crptestregistry000000000/sva-admin@sha256:2222222222222222222222222222222222222222222222222222222222222222"
      admin  = "cr.yandex/crptestregistry000000000/sva-dialog@sha256:1111111111111111111111111111111111111111111111111111111111111111"
      crm    = "cr.yandex/crptestregistry000000000/sva-crm@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    }
  }

  expect_failures = [var.images]
}

run "a_missing_function_is_refused" {
  command = plan

  variables {
    images = {
      dialog = "cr.yandex/crptestregistry000000000/sva-dialog@sha256:1111111111111111111111111111111111111111111111111111111111111111"
      admin  = "cr.yandex/crptestregistry000000000/sva-admin@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    }
  }

  expect_failures = [var.images]
}

run "qdrant_without_bm25_is_refused" {
  command = plan

  variables {
    qdrant_image = "qdrant/qdrant:v1.15.1"
  }

  expect_failures = [var.qdrant_image]
}

run "qdrant_latest_is_refused" {
  command = plan

  variables {
    qdrant_image = "qdrant/qdrant:latest"
  }

  expect_failures = [var.qdrant_image]
}

run "qdrant_1_15_2_and_later_are_taken" {
  command = plan

  variables {
    qdrant_image = "qdrant/qdrant:v1.15.2@sha256:4444444444444444444444444444444444444444444444444444444444444444"
  }

  assert {
    condition     = strcontains(output.qdrant_cloud_init, "qdrant/qdrant:v1.15.2@sha256:4444")
    error_message = "v1.15.2 pinned by digest must be accepted"
  }
}

run "qdrant_2_0_0_is_taken" {
  command = plan

  variables {
    qdrant_image = "qdrant/qdrant:v2.0.0"
  }

  assert {
    condition     = strcontains(output.qdrant_cloud_init, "qdrant/qdrant:v2.0.0")
    error_message = "a later major version must be accepted"
  }
}

run "bad_folder_id_is_refused" {
  command = plan

  variables {
    folder_id = "my-folder"
  }

  expect_failures = [var.folder_id]
}

run "vpc_in_the_serverless_range_is_refused" {
  command = plan

  variables {
    vpc_cidr = "198.19.0.0/16"
  }

  expect_failures = [var.vpc_cidr]
}

run "qdrant_outside_the_zones_is_refused" {
  command = plan

  variables {
    zones       = ["ru-central1-a", "ru-central1-b"]
    qdrant_zone = "ru-central1-d"
  }

  expect_failures = [var.qdrant_zone]
}

run "memory_not_aligned_to_128_is_refused" {
  command = plan

  variables {
    dialog_memory_mb = 500
  }

  expect_failures = [var.dialog_memory_mb]
}

run "a_deadline_past_voxengine_timeout_is_refused" {
  command = plan

  variables {
    turn_deadline_ms = 3000
  }

  expect_failures = [var.turn_deadline_ms]
}

run "a_rule_id_that_is_not_a_whole_number_is_refused" {
  command = plan

  variables {
    voximplant_outbound_rule_id = 12.5
  }

  expect_failures = [var.voximplant_outbound_rule_id]
}

run "a_default_model_that_is_not_set_up_is_refused" {
  command = plan

  variables {
    llm_provider = "yandex"
  }

  expect_failures = [var.llm_provider]
}

run "an_unknown_gigachat_scope_is_refused" {
  command = plan

  variables {
    llm_gigachat_scope = "GIGACHAT_API_FREE"
  }

  expect_failures = [var.llm_gigachat_scope]
}

run "a_plain_http_public_url_is_refused" {
  command = plan

  variables {
    crm_public_url = "http://d5dabc.apigw.yandexcloud.net"
  }

  expect_failures = [var.crm_public_url]
}
