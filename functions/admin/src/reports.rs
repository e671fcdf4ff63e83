//! What a tenant's calls cost and brought over a period, streamed over its call records:
//! JSON, CSV or a self-contained HTML page with charts.

use crate::openapi::ErrorBody;
use crate::{Admin, AdminError, Caller};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::Arc;
use sva_kit::Json;

/// The longest period one report request may cover.
pub const MAX_REPORT_DAYS: usize = 366;

impl Admin {
    /// The tenant's report over `from..=to` (`YYYY-MM-DD`), streamed over its call
    /// records. At most [`MAX_REPORT_DAYS`] days per request.
    pub async fn report(
        &self,
        caller: &Caller,
        id: &str,
        from: &str,
        to: &str,
    ) -> Result<sva_costs::report::Report, AdminError> {
        self.visible(caller, id).await?;
        let days = sva_costs::scan::days(from, to);
        if days.is_empty() || days.len() > MAX_REPORT_DAYS {
            return Err(AdminError::Invalid(format!(
                "`from` and `to` must be YYYY-MM-DD days, `from` not after `to`, at most {MAX_REPORT_DAYS} days apart"
            )));
        }
        let scope = sva_costs::scan::Scope {
            tenants: vec![id.to_owned()],
            from: from.to_owned(),
            to: to.to_owned(),
        };
        let mut report = sva_costs::report::Report::new();
        sva_costs::scan::scan(self.tenants.store(), &scope, &mut report, |_, _| {})
            .await
            .map_err(sva_tenants::TenantStoreError::from)?;
        Ok(report)
    }
}

/// A report's period and format.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The first day, YYYY-MM-DD.
    pub from: String,
    /// The last day, YYYY-MM-DD (at most 366 days after `from`).
    pub to: String,
    /// `json` (default), `csv` or `html` (a self-contained page with charts).
    #[serde(default)]
    pub format: Option<String>,
}

/// What the tenant's calls cost and brought over a period: totals, by day, by scenario
/// version and A/B variant (with a two-proportion test on conversion), by outcome.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/report", tag = "reports",
    params(("tenant" = String, Path, description = "The tenant id"), ReportParams),
    responses(
        (status = 200, description = "The report (JSON; or CSV, HTML with `format`)", body = Object),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 422, description = "The period or format is not acceptable", body = ErrorBody),
    ))]
pub async fn report(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Query(params): Query<ReportParams>,
) -> Result<axum::response::Response, AdminError> {
    let format = params.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv" | "html") {
        return Err(AdminError::Invalid(format!(
            "`format` must be json, csv or html, not {format:?}"
        )));
    }
    let report = admin
        .report(&caller, &tenant, &params.from, &params.to)
        .await?;
    let (from, to) = (params.from.as_str(), params.to.as_str());
    Ok(match format {
        "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            sva_costs::render::csv(&report),
        )
            .into_response(),
        "html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            sva_costs::render::html(&report, from, to),
        )
            .into_response(),
        _ => Json(sva_costs::render::json(&report, from, to)).into_response(),
    })
}
