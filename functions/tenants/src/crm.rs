//! The tenant's CRM connection: what is visible in its settings, and the secrets kept
//! apart at `tenants/{tenant}/secrets/crm.json` (written, never returned).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the assistant reaches the tenant's Bitrix24 portal (no secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmConnection {
    /// The portal's base URL, `https://{portal}` (checked against SSRF when set).
    pub portal: String,
    /// Incoming webhook or OAuth local application.
    pub auth: CrmAuth,
    /// The webhook's user id (the `{user_id}` of `/rest/{user_id}/{code}/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_user_id: Option<u64>,
    /// The OAuth application's client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user leads and deals are assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_user_id: Option<u64>,
    /// The deal pipeline (`CATEGORY_ID`) for known contacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_category_id: Option<u64>,
    /// Qualification slots mapped to the portal's custom fields (`budget` → `UF_CRM_…`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// The CRM authentication kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CrmAuth {
    /// An incoming webhook (`/rest/{user_id}/{code}/`); telephony methods refuse it.
    Webhook,
    /// An OAuth local application (access and refresh tokens).
    Oauth,
}

/// The CRM secrets; every field is optional so a change can set one at a time.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmSecrets {
    /// The webhook code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_code: Option<String>,
    /// The OAuth application's client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The OAuth refresh token (rotated on every refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl CrmSecrets {
    /// The names of the secrets that are set (what an API may say about them).
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for (name, value) in [
            ("webhook_code", &self.webhook_code),
            ("client_secret", &self.client_secret),
            ("refresh_token", &self.refresh_token),
        ] {
            if value.as_deref().is_some_and(|v| !v.is_empty()) {
                names.push(name);
            }
        }
        names
    }

    /// These secrets with every field that `change` sets replaced (an empty string
    /// clears one).
    pub fn merged(&self, change: &CrmSecrets) -> CrmSecrets {
        let pick = |new: &Option<String>, old: &Option<String>| match new {
            Some(v) if v.is_empty() => None,
            Some(v) => Some(v.clone()),
            None => old.clone(),
        };
        CrmSecrets {
            webhook_code: pick(&change.webhook_code, &self.webhook_code),
            client_secret: pick(&change.client_secret, &self.client_secret),
            refresh_token: pick(&change.refresh_token, &self.refresh_token),
        }
    }
}

impl std::fmt::Debug for CrmSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrmSecrets")
            .field("set", &self.names())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_merge_and_never_print() {
        let old = CrmSecrets {
            webhook_code: Some("old-code".into()),
            client_secret: Some("cs".into()),
            refresh_token: None,
        };
        let change = CrmSecrets {
            webhook_code: Some("new-code".into()),
            client_secret: Some(String::new()),
            refresh_token: None,
        };
        let merged = old.merged(&change);
        assert_eq!(merged.webhook_code.as_deref(), Some("new-code"));
        assert_eq!(merged.client_secret, None);
        assert_eq!(merged.names(), ["webhook_code"]);
        assert!(!format!("{merged:?}").contains("new-code"));
    }
}
