//! A tenant's settings: one change at a time, checked whole by
//! [`TenantSettings::apply`](sva_tenants::TenantSettings::apply) before anything is
//! written, recorded in the history with who made it. The CRM secrets change here too,
//! and are dropped when the portal they belong to changes. A CRM connection is also
//! checked against its portal ([`sva_tenants::CrmCheck`], given by the wiring): what the
//! portal lacks (a custom field, a stage, a user) refuses the change with 422.

use crate::openapi::ErrorBody;
use crate::tenants::TenantView;
use crate::{Admin, AdminError, Caller};
use axum::extract::{Path, State};
use std::sync::Arc;
use std::time::Duration;
use sva_kit::Json;
use sva_tenants::{CrmCheckError, CrmConnection, CrmSecrets, SettingsChange, TenantSettings};

/// How long a save waits for the portal to be asked; past it the settings are saved
/// unchecked (the CRM function reports what the portal lacks on the first call).
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// What asking the portal about a change gave.
enum Checked {
    /// Nothing to ask (no CRM connection in the change, or no check wired).
    Nothing,
    /// The portal has everything the settings name.
    Fine,
    /// The portal could not be asked: why.
    Unchecked(String),
}

impl Admin {
    /// Changes the tenant's settings.
    pub async fn change_settings(
        &self,
        caller: &Caller,
        id: &str,
        change: SettingsChange,
    ) -> Result<TenantView, AdminError> {
        let current = self.visible(caller, id).await?;
        // Check everything before writing anything.
        TenantSettings::new(id, "-", "-").apply(&change, &self.allowed_hosts)?;
        let checked = self.check_crm(id, &current, &change).await?;
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
        self.record_check(id, checked).await?;
        self.view(settings).await
    }

    /// Asks the tenant's portal whether it has what the new CRM connection names.
    async fn check_crm(
        &self,
        id: &str,
        current: &TenantSettings,
        change: &SettingsChange,
    ) -> Result<Checked, AdminError> {
        let (Some(Some(crm)), Some(check)) = (&change.crm, &self.crm_check) else {
            return Ok(Checked::Nothing);
        };
        let secrets = self
            .secrets_after(id, current.crm.as_ref(), crm, change)
            .await?;
        let asked = tokio::time::timeout(CHECK_TIMEOUT, check.check(id, crm, &secrets)).await;
        match asked {
            Ok(Ok(problems)) if problems.is_empty() => Ok(Checked::Fine),
            Ok(Ok(problems)) => Err(AdminError::CrmMismatch(problems)),
            Ok(Err(CrmCheckError::Unreachable(why))) => Ok(Checked::Unchecked(why)),
            Err(_) => Ok(Checked::Unchecked(format!(
                "the portal did not answer within {} s",
                CHECK_TIMEOUT.as_secs()
            ))),
        }
    }

    /// The CRM secrets the change leaves: none of the old ones when the portal moves.
    async fn secrets_after(
        &self,
        id: &str,
        before: Option<&CrmConnection>,
        after: &CrmConnection,
        change: &SettingsChange,
    ) -> Result<CrmSecrets, AdminError> {
        let kept = match before {
            Some(old) if old.same_portal(after) => self.tenants.crm_secrets(id).await?,
            _ => CrmSecrets::default(),
        };
        Ok(kept.merged(&change.crm_secrets.clone().unwrap_or_default()))
    }

    /// Keeps when the connection was checked, or why it could not be, in its status.
    async fn record_check(&self, id: &str, checked: Checked) -> Result<(), AdminError> {
        let mut status = self.tenants.crm_status(id).await?;
        match checked {
            Checked::Nothing => return Ok(()),
            Checked::Fine => {
                status.checked_at = Some(sva_abi::clock::rfc3339(crate::admin::now_secs(), 0));
                status.unchecked = None;
                status.problems.clear();
            }
            Checked::Unchecked(why) => status.unchecked = Some(why),
        }
        self.tenants.put_crm_status(id, &status).await?;
        Ok(())
    }
}

/// Changes the tenant's settings: only the fields present change.
#[utoipa::path(patch, path = "/v1/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, description = "The tenant id")),
    request_body = SettingsChange,
    responses(
        (status = 200, description = "The settings after the change", body = TenantView),
        (status = 404, description = "No such tenant for this key", body = ErrorBody),
        (status = 422, description = "A value is not acceptable, or the CRM portal lacks what the settings name (`crm_mismatch`)", body = ErrorBody),
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

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use sva_kit::storage::{DynStore, LocalDir};
    use sva_sandbox::{Sandbox, SandboxConfig};
    use sva_tenants::{CrmCheck, CrmProblem, TenantStore};

    /// A portal that lacks `UF_CRM_NOPE`, and cannot be asked when its address says
    /// `offline`.
    struct FakePortal;

    #[async_trait]
    impl CrmCheck for FakePortal {
        async fn check(
            &self,
            _tenant: &str,
            crm: &CrmConnection,
            _secrets: &CrmSecrets,
        ) -> Result<Vec<CrmProblem>, CrmCheckError> {
            if crm.portal.contains("offline") {
                return Err(CrmCheckError::Unreachable("no route".into()));
            }
            Ok(crm
                .fields
                .iter()
                .filter(|(_, field)| *field == "UF_CRM_NOPE")
                .map(|(slot, field)| CrmProblem {
                    setting: format!("crm.fields.{slot}"),
                    message: format!("the portal has no field {field} on leads"),
                })
                .collect())
        }
    }

    async fn admin() -> (tempfile::TempDir, Admin) {
        let dir = tempfile::tempdir().unwrap();
        let store: DynStore = Arc::new(LocalDir::new(dir.path()));
        let sandbox = Arc::new(Sandbox::new(SandboxConfig::default()).unwrap());
        let admin = Admin::new(TenantStore::new(store), sandbox, "o".repeat(32))
            .unwrap()
            .with_crm_check(Arc::new(FakePortal));
        admin
            .create_tenant(
                &Caller::Operator,
                crate::NewTenant {
                    id: "acme".into(),
                    company: "Акме".into(),
                    product: "станки".into(),
                    manager_phone: None,
                },
            )
            .await
            .unwrap();
        (dir, admin)
    }

    fn crm(portal: &str, field: &str) -> SettingsChange {
        serde_json::from_value(serde_json::json!({
            "crm": {"portal": portal, "auth": "webhook", "webhook_user_id": 1,
                    "fields": {"budget": field}},
            "crm_secrets": {"webhook_code": "abc123"},
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn a_field_the_portal_lacks_is_refused_naming_it() {
        let (_dir, admin) = admin().await;
        let refused = admin
            .change_settings(
                &Caller::Operator,
                "acme",
                crm("https://acme.bitrix24.ru", "UF_CRM_NOPE"),
            )
            .await
            .unwrap_err();
        assert_eq!(refused.status().as_u16(), 422);
        assert_eq!(refused.code(), "crm_mismatch");
        assert!(
            refused.to_string().contains("crm.fields.budget"),
            "{refused}"
        );
        assert!(refused.to_string().contains("UF_CRM_NOPE"), "{refused}");
        let view = admin.tenant(&Caller::Operator, "acme").await.unwrap();
        assert_eq!(view.settings.crm, None, "nothing was written");
        assert!(view.crm_secrets_set.is_empty());
    }

    #[tokio::test]
    async fn a_checked_connection_says_when_and_an_unreachable_one_why() {
        let (_dir, admin) = admin().await;
        let view = admin
            .change_settings(
                &Caller::Operator,
                "acme",
                crm("https://acme.bitrix24.ru", "UF_CRM_BUDGET"),
            )
            .await
            .unwrap();
        let status = view.crm_status.expect("a status");
        assert!(status.checked_at.is_some() && status.unchecked.is_none());
        let view = admin
            .change_settings(
                &Caller::Operator,
                "acme",
                crm("https://offline.bitrix24.ru", "UF_CRM_BUDGET"),
            )
            .await
            .unwrap();
        assert_eq!(
            view.settings.crm.unwrap().portal,
            "https://offline.bitrix24.ru"
        );
        assert_eq!(
            view.crm_status.unwrap().unchecked.as_deref(),
            Some("no route")
        );
    }
}
