# The API Gateway spec: valid YAML, exactly the routes outside parties call (VoxEngine, the
# operator's sva, Bitrix24 portals), each integrated with the right container and the
# gateway's account. The list is the functions' routers (grep '.route(' functions/*/src)
# less /v1/crm/outbox, which only triggers call.

variables {
  environment                = "dev"
  folder_id                  = "b1gtestfolder0000000"
  container_ids              = { dialog = "bbadialog000000000000", admin = "bbaadmin0000000000000", crm = "bbacrm000000000000000" }
  gateway_service_account_id = "ajegateway0000000000"
}

run "spec_routes_turns_to_dialog_and_tenants_to_admin" {
  command = plan

  assert {
    condition     = yamldecode(output.openapi_spec).openapi == "3.0.0"
    error_message = "the spec must be OpenAPI 3.0 YAML"
  }

  assert {
    condition = sort(keys(yamldecode(output.openapi_spec).paths)) == sort([
      "/openapi.json", "/v1/tenants", "/v1/tenants/{proxy+}",
      "/v1/turn", "/v1/calls/{call_id}/end", "/v1/outbound/dial",
      "/v1/crm/install/{tenant}/{key}", "/v1/crm/events/{tenant}", "/v1/crm/robot/{tenant}",
    ])
    error_message = "exactly the public routes are published (no /v1/crm/outbox, no /healthz, no catch-all)"
  }

  # Each route answers exactly the method its handler serves (POST), the admin API any.
  assert {
    condition = alltrue([
      for path in ["/v1/turn", "/v1/calls/{call_id}/end", "/v1/outbound/dial", "/v1/crm/install/{tenant}/{key}", "/v1/crm/events/{tenant}", "/v1/crm/robot/{tenant}"] :
      keys(yamldecode(output.openapi_spec).paths[path]) == ["post"]
    ])
    error_message = "the dialog and CRM routes are POST only"
  }

  assert {
    condition     = yamldecode(output.openapi_spec).paths["/v1/outbound/dial"].post["x-yc-apigateway-integration"].container_id == "bbadialog000000000000"
    error_message = "the pre-dial check of campaign calls goes to the dialog container"
  }

  assert {
    condition = alltrue([
      for path in ["/v1/crm/install/{tenant}/{key}", "/v1/crm/events/{tenant}", "/v1/crm/robot/{tenant}"] :
      yamldecode(output.openapi_spec).paths[path].post["x-yc-apigateway-integration"].container_id == "bbacrm000000000000000"
    ])
    error_message = "what Bitrix24 portals call goes to the crm container"
  }

  assert {
    condition = (
      [for p in yamldecode(output.openapi_spec).paths["/v1/crm/install/{tenant}/{key}"].post.parameters : p.name] == ["tenant", "key"] &&
      [for p in yamldecode(output.openapi_spec).paths["/v1/crm/events/{tenant}"].post.parameters : p.name] == ["tenant"] &&
      [for p in yamldecode(output.openapi_spec).paths["/v1/crm/robot/{tenant}"].post.parameters : p.name] == ["tenant"]
    )
    error_message = "the CRM routes' path parameters must be declared"
  }

  assert {
    condition = (
      yamldecode(output.openapi_spec).paths["/v1/turn"].post["x-yc-apigateway-integration"].container_id == "bbadialog000000000000" &&
      yamldecode(output.openapi_spec).paths["/v1/calls/{call_id}/end"].post["x-yc-apigateway-integration"].container_id == "bbadialog000000000000"
    )
    error_message = "turns and call ends go to the dialog container"
  }

  assert {
    condition = (
      yamldecode(output.openapi_spec).paths["/v1/tenants"]["x-yc-apigateway-any-method"]["x-yc-apigateway-integration"].container_id == "bbaadmin0000000000000" &&
      yamldecode(output.openapi_spec).paths["/v1/tenants/{proxy+}"]["x-yc-apigateway-any-method"]["x-yc-apigateway-integration"].container_id == "bbaadmin0000000000000" &&
      yamldecode(output.openapi_spec).paths["/openapi.json"].get["x-yc-apigateway-integration"].container_id == "bbaadmin0000000000000"
    )
    error_message = "the admin API goes to the admin container"
  }

  # Every integration: a serverless container called with the gateway's account.
  assert {
    condition = alltrue(flatten([
      for path, item in yamldecode(output.openapi_spec).paths : [
        for method, op in item : [
          op["x-yc-apigateway-integration"].type == "serverless_containers" &&
          op["x-yc-apigateway-integration"].service_account_id == "ajegateway0000000000"
        ] if can(op["x-yc-apigateway-integration"])
      ]
    ]))
    error_message = "every route must call a container with the gateway's service account"
  }

  assert {
    condition = (
      yamldecode(output.openapi_spec).paths["/v1/tenants/{proxy+}"]["x-yc-apigateway-any-method"].parameters[0].name == "proxy" &&
      yamldecode(output.openapi_spec).paths["/v1/calls/{call_id}/end"].post.parameters[0].name == "call_id"
    )
    error_message = "path parameters must be declared"
  }
}

run "no_spec_before_the_containers_exist" {
  command = plan

  variables {
    container_ids = {}
  }

  assert {
    condition     = output.openapi_spec == null
    error_message = "no spec without container ids"
  }
}

run "no_spec_without_the_crm_container" {
  command = plan

  variables {
    container_ids = { dialog = "bbadialog000000000000", admin = "bbaadmin0000000000000" }
  }

  assert {
    condition     = output.openapi_spec == null
    error_message = "the spec needs all three containers (the CRM routes are public too)"
  }
}
