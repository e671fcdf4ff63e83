//! A tenant's settings: one change at a time, checked whole by
//! [`TenantSettings::apply`](sva_tenants::TenantSettings::apply) before anything is
//! written, recorded in the history with who made it. The CRM secrets change here too,
//! and are dropped when the portal they belong to changes.

use crate::openapi::ErrorBody;
use crate::tenants::TenantView;
use crate::{Admin, AdminError, Caller};
use axum::extract::{Path, State};
use std::sync::Arc;
use sva_kit::Json;
use sva_tenants::{CrmSecrets, SettingsChange, TenantSettings};

impl Admin {
    /// Changes the tenant's settings.
    pub async fn change_settings(
        &self,
        caller: &Caller,
        id: &str,
        change: SettingsChange,
    ) -> Result<TenantView, AdminError> {
        self.visible(caller, id).await?;
        // Check everything before writing anything.
        TenantSettings::new(id, "-", "-").apply(&change, &self.allowed_hosts)?;
        let what = format!("settings: {}", change.fields().join(", "));
        let now = sva_abi::clock::rfc3339(crate::admin::now_secs(), 0);
        // CRM secrets belong to one portal: when the portal or the way in changes, the
        // old ones are dropped so they can never be sent anywhere else.
        let mut portal_moved = false;
        // A secret change shows in the history although the settings may not change.
        let always = change.crm_secrets.is_some();
        let settings = self
            .tenants
            .update_with(id, &caller.name(), &what, always, |s| {
                let before = s.crm.clone();
                s.apply(&change, &self.allowed_hosts)?;
                portal_moved = match (&before, &s.crm) {
                    (Some(a), Some(b)) => a.portal != b.portal || a.auth != b.auth,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                if portal_moved || change.crm_secrets.is_some() {
                    s.secrets_changed_at.insert("crm".into(), now.clone());
                }
                Ok::<_, AdminError>(())
            })
            .await?;
        if portal_moved || change.crm_secrets.is_some() {
            let kept = match portal_moved {
                true => CrmSecrets::default(),
                false => self.tenants.crm_secrets(id).await?,
            };
            let secrets = kept.merged(&change.crm_secrets.clone().unwrap_or_default());
            self.tenants.put_crm_secrets(id, &secrets).await?;
        }
        self.view(settings).await
    }
}

/// Changes the tenant's settings: only the fields present change.
#[utoipa::path(patch, path = "/v1/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body = SettingsChange,
    responses(
        (status = 200, description = "The settings after the change", body = TenantView),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 422, description = "A value is not acceptable", body = ErrorBody),
    ))]
pub async fn change_settings(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
    Json(change): Json<SettingsChange>,
) -> Result<Json<TenantView>, AdminError> {
    admin
        .change_settings(&caller, &tenant, change)
        .await
        .map(Json)
}
