openapi: 3.0.0
info:
  title: Sales Voice Assistant
  version: 1.0.0
paths:
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
