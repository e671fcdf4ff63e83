openapi: 3.0.0
info:
  title: Sales Voice Assistant
  version: 1.0.0
paths:
  # The admin API (its own OpenAPI document: docs/admin-api.openapi.json).
  /openapi.json:
    get:
      x-yc-apigateway-integration:
        type: serverless_containers
        container_id: ${admin_container_id}
        service_account_id: ${service_account_id}
  /v1/tenants:
    x-yc-apigateway-any-method:
      x-yc-apigateway-integration:
        type: serverless_containers
        container_id: ${admin_container_id}
        service_account_id: ${service_account_id}
  /v1/tenants/{proxy+}:
    x-yc-apigateway-any-method:
      parameters:
        - name: proxy
          in: path
          required: true
          schema:
            type: string
      x-yc-apigateway-integration:
        type: serverless_containers
        container_id: ${admin_container_id}
        service_account_id: ${service_account_id}
  # Everything else under /v1: the dialog function (turns, call ends).
  /v1/{proxy+}:
    x-yc-apigateway-any-method:
      parameters:
        - name: proxy
          in: path
          required: true
          schema:
            type: string
      x-yc-apigateway-integration:
        type: serverless_containers
        container_id: ${dialog_container_id}
        service_account_id: ${service_account_id}
