# The API Gateway spec: valid YAML, exactly the functions' public routes, each integrated
# with the right container and the gateway's account.

variables {
  environment                = "dev"
  folder_id                  = "b1gtestfolder0000000"
  container_ids              = { dialog = "bbadialog000000000000", admin = "bbaadmin0000000000000" }
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
      "/openapi.json", "/v1/tenants", "/v1/tenants/{proxy+}", "/v1/turn", "/v1/calls/{call_id}/end",
    ])
    error_message = "exactly the served routes are published (no /v1/crm/outbox, no /healthz, no catch-all)"
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
