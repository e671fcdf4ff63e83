//! Tenants: creation (with the signing secret, shown once), the list, one tenant's
//! settings, disabling and enabling, and the history of changes.

use crate::openapi::ErrorBody;
use crate::{Admin, AdminError, Caller};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use sva_kit::Json;
use sva_tenants::secret::random_hex;
use sva_tenants::{CrmStatus, HistoryEntry, SettingsChange, TenantSettings, validate_tenant_id};
use utoipa::ToSchema;

/// A new tenant, as the operator creates it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// `[a-z0-9-]{1,40}`, not starting with `-`.
    pub id: String,
    /// The company's name as callers should hear it.
    pub company: String,
    /// What it sells, as a short phrase.
    pub product: String,
    /// E.164 number hot leads are transferred to.
    #[serde(default)]
    pub manager_phone: Option<String>,
}

/// A created tenant and its VoxEngine signing secret (shown only here and on rotation).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedTenant {
    /// The tenant as stored.
    pub tenant: TenantView,
    /// The secret the tenant's VoxEngine application signs requests with.
    pub signing_secret: String,
}
crate::debug_without!(CreatedTenant, signing_secret, tenant);

/// A tenant's settings as the API shows them: no secret, only which ones are set.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantView {
    /// The settings.
    #[serde(flatten)]
    pub settings: TenantSettings,
    /// The names of the CRM secrets that are set (`webhook_code`, …).
    pub crm_secrets_set: Vec<String>,
    /// What the CRM portal showed: the installed application, when the settings were
    /// checked against it, what it lacks of them (a custom field deleted since…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_status: Option<CrmStatus>,
}

/// One line of the tenant list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantSummary {
    /// The id.
    pub id: String,
    /// The company.
    pub company: String,
    /// Whether its calls are refused.
    pub disabled: bool,
    /// The active scenario version.
    pub active_version: Option<String>,
    /// The settings' revision.
    pub revision: u64,
}

/// One change in a tenant's settings history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryLine {
    /// The revision it made.
    pub revision: u64,
    /// When.
    pub at: String,
    /// Who: `operator`, `key:{id}`, `seed`.
    pub by: String,
    /// What.
    pub change: String,
}

impl Admin {
    /// The settings as the API shows them: which CRM secrets are set, never their values.
    pub(crate) async fn view(&self, settings: TenantSettings) -> Result<TenantView, AdminError> {
        let secrets = self.tenants.crm_secrets(&settings.id).await?;
        let status = self.tenants.crm_status(&settings.id).await?;
        Ok(TenantView {
            crm_secrets_set: secrets.names().into_iter().map(String::from).collect(),
            crm_status: (status != CrmStatus::default()).then_some(status),
            settings,
        })
    }

    /// Creates a tenant with a fresh signing secret (operator only).
    pub async fn create_tenant(
        &self,
        caller: &Caller,
        new: NewTenant,
    ) -> Result<CreatedTenant, AdminError> {
        caller.operator_only()?;
        validate_tenant_id(&new.id).map_err(AdminError::Invalid)?;
        let mut settings = TenantSettings::new(&new.id, &new.company, &new.product);
        let change = SettingsChange {
            manager_phone: new.manager_phone,
            company: Some(new.company),
            product: Some(new.product),
            ..SettingsChange::default()
        };
        settings.apply(&change, &self.allowed_hosts)?;
        // Claim the id first (create-only), then give it its secret: two creations of
        // one id can never hand out a secret that is not the stored one.
        let settings = match self.tenants.create(&settings, &caller.name()).await {
            Err(sva_tenants::TenantStoreError::TenantExists(id)) => {
                return Err(AdminError::TenantExists(id));
            }
            other => other?,
        };
        let secret = random_hex(32);
        self.tenants.put_signing_secret(&new.id, &secret).await?;
        tracing::info!(tenant = %settings.id, "tenant created");
        Ok(CreatedTenant {
            tenant: self.view(settings).await?,
            signing_secret: secret,
        })
    }

    /// Every tenant (operator only).
    pub async fn list_tenants(&self, caller: &Caller) -> Result<Vec<TenantSummary>, AdminError> {
        caller.operator_only()?;
        Ok(self
            .tenants
            .list()
            .await?
            .into_iter()
            .map(|s| TenantSummary {
                id: s.id,
                company: s.company,
                disabled: s.disabled,
                active_version: s.scenario.active,
                revision: s.revision,
            })
            .collect())
    }

    /// The tenant's settings.
    pub async fn tenant(&self, caller: &Caller, id: &str) -> Result<TenantView, AdminError> {
        let settings = self.visible(caller, id).await?;
        self.view(settings).await
    }

    /// Disables or enables a tenant (operator only): a disabled tenant's calls are
    /// refused and its keys answer 403.
    pub async fn set_disabled(
        &self,
        caller: &Caller,
        id: &str,
        disabled: bool,
    ) -> Result<TenantView, AdminError> {
        // Visibility first: a tenant key learns nothing about another tenant, not even
        // that the operation exists for it.
        self.visible(caller, id).await?;
        caller.operator_only()?;
        let what = if disabled { "disabled" } else { "enabled" };
        let settings = self
            .tenants
            .update_settings(id, &caller.name(), what, |s| {
                s.disabled = disabled;
                Ok::<_, AdminError>(())
            })
            .await?;
        tracing::info!(tenant = %id, "tenant {what}");
        self.view(settings).await
    }

    /// The tenant's settings history, oldest first.
    pub async fn history(&self, caller: &Caller, id: &str) -> Result<Vec<HistoryLine>, AdminError> {
        self.visible(caller, id).await?;
        Ok(self
            .tenants
            .history(id)
            .await?
            .into_iter()
            .map(
                |HistoryEntry {
                     revision,
                     at,
                     by,
                     change,
                     ..
                 }| HistoryLine {
                    revision,
                    at,
                    by,
                    change,
                },
            )
            .collect())
    }
}

type Answer<T> = Result<Json<T>, AdminError>;

/// Creates a tenant; the answer carries its signing secret, shown only here.
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants",
    request_body = NewTenant,
    responses(
        (status = 201, description = "Created", body = CreatedTenant),
        (status = 403, description = "Not the operator", body = ErrorBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 422, description = "A value is not acceptable", body = ErrorBody),
    ))]
pub async fn create_tenant(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Json(new): Json<NewTenant>,
) -> Result<(StatusCode, Json<CreatedTenant>), AdminError> {
    let created = admin.create_tenant(&caller, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Lists every tenant (operator only).
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants",
    responses(
        (status = 200, description = "The tenants", body = Vec<TenantSummary>),
        (status = 403, description = "Not the operator", body = ErrorBody),
    ))]
pub async fn list_tenants(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
) -> Answer<Vec<TenantSummary>> {
    admin.list_tenants(&caller).await.map(Json)
}

/// The tenant's settings (no secrets).
#[utoipa::path(get, path = "/v1/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The settings", body = TenantView),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn tenant(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<TenantView> {
    admin.tenant(&caller, &tenant).await.map(Json)
}

/// Disables a tenant: its calls are refused, its keys answer 403 (operator only).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/disable", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The settings", body = TenantView),
        (status = 403, description = "Not the operator", body = ErrorBody),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn disable(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<TenantView> {
    admin.set_disabled(&caller, &tenant, true).await.map(Json)
}

/// Enables a disabled tenant (operator only).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/enable", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The settings", body = TenantView),
        (status = 403, description = "Not the operator", body = ErrorBody),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn enable(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<TenantView> {
    admin.set_disabled(&caller, &tenant, false).await.map(Json)
}

/// Every change of the tenant's settings: who, when, what.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/history", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    responses(
        (status = 200, description = "The changes, oldest first", body = Vec<HistoryLine>),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
    ))]
pub async fn history(
    State(admin): State<Arc<Admin>>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Answer<Vec<HistoryLine>> {
    admin.history(&caller, &tenant).await.map(Json)
}
