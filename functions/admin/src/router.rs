//! Every route of the admin API, listed once: each `routes!` entry mounts its handlers
//! at the path their `#[utoipa::path]` names and adds their operations to the OpenAPI
//! document, so the document cannot drift from what is served.

use crate::openapi;
use crate::{
    Admin, campaigns, do_not_call, keys, knowledge, replays, reports, scenarios, settings, tenants,
};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::routing::get;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The admin routes and `GET /openapi.json`; wrap with `sva_kit::serve::app` (or serve
/// with `sva_kit::serve`) for health, limits, request ids and the error shape.
pub fn router(admin: Arc<Admin>) -> Router {
    let (router, mut document) = api(admin.max_module_bytes()).split_for_parts();
    openapi::finish(&mut document);
    let document = render(&document);
    router
        .route(
            "/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], document) }),
        )
        .with_state(admin)
}

/// The OpenAPI document of the admin API, as pretty JSON.
pub fn document() -> String {
    let (_, mut document) = api(usize::MAX).split_for_parts();
    openapi::finish(&mut document);
    render(&document)
}

/// The routes by resource; an upload may carry a module of `max_module_bytes`.
fn api(max_module_bytes: usize) -> OpenApiRouter<Arc<Admin>> {
    // An upload may be as large as the largest module, plus room for nothing else.
    let (schemas, paths, upload) = routes!(scenarios::scenarios, scenarios::upload);
    let upload = (
        schemas,
        paths,
        upload.layer(DefaultBodyLimit::max(max_module_bytes)),
    );
    let (schemas, paths, source) = routes!(knowledge::put_source, knowledge::delete_source);
    let source = (
        schemas,
        paths,
        source.layer(DefaultBodyLimit::max(
            sva_retrieval::source::MAX_SOURCE_BYTES,
        )),
    );
    let (schemas, paths, campaign_file) = routes!(campaigns::create_campaign, campaigns::campaigns);
    let campaign_file = (
        schemas,
        paths,
        campaign_file.layer(DefaultBodyLimit::max(campaigns::MAX_FILE_BYTES)),
    );
    OpenApiRouter::with_openapi(openapi::base())
        // Tenants and their settings.
        .routes(routes!(tenants::create_tenant, tenants::list_tenants))
        .routes(routes!(tenants::tenant, settings::change_settings))
        .routes(routes!(tenants::disable))
        .routes(routes!(tenants::enable))
        .routes(routes!(tenants::history))
        // The do-not-call list.
        .routes(routes!(
            do_not_call::list,
            do_not_call::add,
            do_not_call::remove
        ))
        // Credentials.
        .routes(routes!(keys::rotate_secret))
        .routes(routes!(keys::keys, keys::issue_key))
        .routes(routes!(keys::revoke_key))
        // Scenario modules.
        .routes(upload)
        .routes(routes!(scenarios::roll_back))
        .routes(routes!(scenarios::split, scenarios::end_split))
        .routes(routes!(scenarios::version))
        .routes(routes!(scenarios::activate))
        .routes(routes!(replays::replay))
        // Reports.
        .routes(routes!(reports::report))
        // The knowledge base.
        .routes(routes!(knowledge::sources))
        .routes(source)
        .routes(routes!(knowledge::search_knowledge))
        .routes(routes!(knowledge::knowledge_gaps))
        .routes(routes!(knowledge::reindex_knowledge))
        // Outbound campaigns.
        .routes(campaign_file)
        .routes(routes!(campaigns::create_campaign_from_crm))
        .routes(routes!(campaigns::campaign))
        .routes(routes!(campaigns::campaign_contacts))
        .routes(routes!(campaigns::change_run))
}

fn render(document: &utoipa::openapi::OpenApi) -> String {
    document
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
