//! What the OpenAPI document has besides its operations: the API's description and
//! tags, the bearer scheme and the 401 every operation answers, and the schemas of the
//! error shape and of a module's bytes. The operations come from the handlers as the
//! router lists them; the whole document is served at
//! `GET /openapi.json` and kept in `docs/admin-api.openapi.json` (a test fails when the
//! two differ).

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

/// The error shape of every answer that is not a success.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The code and the sentence of an error.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable: `not_found`, `missing_export`, `out_of_fuel`, …
    pub code: String,
    /// A sentence for the person reading it.
    pub message: String,
}

/// A WebAssembly module's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct WasmModule(pub Vec<u8>);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sales Voice Assistant — admin API",
        version = "1.0.0",
        description = "Tenants, API keys, settings, scenario uploads, activation, rollback and A/B splits. Every request carries `Authorization: Bearer <key>`: the operator key (from configuration) or a tenant's API key. A tenant key sees only its tenant: anything else answers 404, exactly like a tenant that does not exist. Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    security(("bearer" = [])),
    tags(
        (name = "tenants", description = "Tenants and their settings"),
        (name = "keys", description = "Tenant API keys"),
        (name = "scenarios", description = "Scenario modules: upload, versions, activation, rollback, A/B split"),
        (name = "reports", description = "Cost per call and what calls brought"),
        (name = "knowledge", description = "The knowledge base: sources, search, unanswered questions"),
        (name = "campaigns", description = "Outbound campaigns: built from a contact file, run, paused, cancelled"),
        (name = "do-not-call", description = "Numbers the assistant never dials"),
    )
)]
struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // Every operation answers 401 to a missing, wrong or revoked key.
        let unauthorized = ResponseBuilder::new()
            .description("No valid API key")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                operation
                    .responses
                    .responses
                    .insert("401".into(), unauthorized.clone().into());
            }
        }
    }
}

/// The document's description, tags and security, without operations.
pub(crate) fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Completes a document whose operations are in: the bearer scheme, and the 401 on
/// every operation.
pub(crate) fn finish(openapi: &mut utoipa::openapi::OpenApi) {
    Bearer.modify(openapi);
}
