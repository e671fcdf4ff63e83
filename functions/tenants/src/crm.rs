//! The tenant's CRM connection: what is visible in its settings (the portal, the way in,
//! custom fields, and how a sales team routes what calls bring), the secrets kept apart
//! at `tenants/{tenant}/secrets/crm.json` (written, never returned), the connection's
//! status (`tenants/{tenant}/crm-status.json`: the installed application, problems the
//! portal showed), and [`CrmCheck`], the check of a connection against its portal that
//! the admin function runs when the connection is saved.

use async_trait::async_trait;
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
    /// The user new records and to-dos go to when neither the customer's own manager
    /// nor the rotation can take them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_user_id: Option<u64>,
    /// The deal pipeline (`CATEGORY_ID`) of new deals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_category_id: Option<u64>,
    /// Qualification slots mapped to the portal's custom fields (`budget` → `UF_CRM_…`):
    /// checked against the portal when saved, written in each field's type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// Users new customers are handed to in turn (round robin), when the customer has no
    /// manager of their own who still works at the company.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rotation: Vec<u64>,
    /// The lead status and the deal stage of new records, by the call's outcome.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outcomes: BTreeMap<OutcomeKind, OutcomeStatus>,
    /// `SOURCE_ID` of new records (`CALL` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// UTM marks of new records.
    #[serde(default, skip_serializing_if = "Utm::is_empty")]
    pub utm: Utm,
    /// When a callback's to-do reminds its manager: minutes before the time booked
    /// (`pingOffsets`; 15 and 0 when unset, `[]` for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<Vec<u32>>,
    /// `LINE_NUMBER` of the calls in the call history (the number the customer called,
    /// when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_number: Option<String>,
}

/// The outcomes a sales team routes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OutcomeKind {
    /// Qualified (or transferred to a manager).
    Qualified,
    /// Asked to be called back.
    Callback,
    /// Not interested (or not a fit).
    NotInterested,
    /// Asked never to be called again.
    DoNotCall,
}

impl OutcomeKind {
    /// The kind of a call's outcome, if it is one a team routes by.
    pub fn of(outcome: sva_abi::Outcome) -> Option<OutcomeKind> {
        use sva_abi::Outcome;
        match outcome {
            Outcome::Qualified | Outcome::Transferred => Some(OutcomeKind::Qualified),
            Outcome::Callback => Some(OutcomeKind::Callback),
            Outcome::NotInterested | Outcome::NotQualified => Some(OutcomeKind::NotInterested),
            Outcome::DoNotCall => Some(OutcomeKind::DoNotCall),
            Outcome::Dropped | Outcome::InProgress => None,
        }
    }
}

/// Where a new record starts for one outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeStatus {
    /// A lead's `STATUS_ID` (`crm.status.list`, `ENTITY_ID=STATUS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_status: Option<String>,
    /// A deal's `STAGE_ID` in the deal pipeline (`C{n}:…` outside the default one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_stage: Option<String>,
}

/// UTM marks (`UTM_SOURCE`, …) of the records the assistant creates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Utm {
    /// `UTM_SOURCE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `UTM_MEDIUM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    /// `UTM_CAMPAIGN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// `UTM_CONTENT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `UTM_TERM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
}

impl Utm {
    /// Whether no mark is set.
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, v)| v.is_none())
    }

    /// Each mark with its Bitrix24 field name.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("UTM_SOURCE", self.source.as_deref()),
            ("UTM_MEDIUM", self.medium.as_deref()),
            ("UTM_CAMPAIGN", self.campaign.as_deref()),
            ("UTM_CONTENT", self.content.as_deref()),
            ("UTM_TERM", self.term.as_deref()),
        ]
    }
}

impl CrmConnection {
    /// A connection to `portal` with nothing but the way in.
    pub fn new(portal: &str, auth: CrmAuth) -> CrmConnection {
        CrmConnection {
            portal: portal.to_owned(),
            auth,
            webhook_user_id: None,
            client_id: None,
            responsible_user_id: None,
            deal_category_id: None,
            fields: BTreeMap::new(),
            rotation: Vec::new(),
            outcomes: BTreeMap::new(),
            source_id: None,
            utm: Utm::default(),
            reminders: None,
            line_number: None,
        }
    }

    /// Whether `other` reaches the same portal the same way (the secrets still apply).
    pub fn same_portal(&self, other: &CrmConnection) -> bool {
        self.portal == other.portal && self.auth == other.auth
    }
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
    /// The OAuth access token, kept so a new process does not refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// When the access token expires (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<u64>,
    /// The application token every event from the portal carries
    /// (`auth[application_token]`), from the install.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_token: Option<String>,
    /// The key in the install handler's address: who has it may install the application
    /// for this tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_key: Option<String>,
}

impl CrmSecrets {
    /// The names of the secrets that are set (what an API may say about them).
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for (name, value) in [
            ("webhook_code", &self.webhook_code),
            ("client_secret", &self.client_secret),
            ("refresh_token", &self.refresh_token),
            ("access_token", &self.access_token),
            ("application_token", &self.application_token),
            ("install_key", &self.install_key),
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
        let access_token = pick(&change.access_token, &self.access_token);
        // An expiry belongs to the access token it came with.
        let access_expires_at = match &change.access_token {
            Some(_) => change.access_expires_at,
            None if access_token.is_some() => change.access_expires_at.or(self.access_expires_at),
            None => None,
        };
        CrmSecrets {
            webhook_code: pick(&change.webhook_code, &self.webhook_code),
            client_secret: pick(&change.client_secret, &self.client_secret),
            refresh_token: pick(&change.refresh_token, &self.refresh_token),
            access_token,
            access_expires_at,
            application_token: pick(&change.application_token, &self.application_token),
            install_key: pick(&change.install_key, &self.install_key),
        }
    }

    /// The access token, if it has more than `margin_s` seconds to live at `now`.
    pub fn live_access_token(&self, now: u64, margin_s: u64) -> Option<&str> {
        let live = self
            .access_expires_at
            .is_some_and(|at| at > now.saturating_add(margin_s));
        self.access_token.as_deref().filter(|_| live)
    }
}

/// What the CRM connection's portal showed: the application installed through the
/// handler, and the problems of the settings against the portal. Kept at
/// `tenants/{tenant}/crm-status.json` by the CRM function and the admin function, shown
/// by the admin API; no secret is ever in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmStatus {
    /// The application, when the portal installed it through the handler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<CrmInstall>,
    /// When the settings were last checked against the portal (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    /// Why they could not be checked then, if they could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unchecked: Option<String>,
    /// What the portal lacks of what the settings name (a custom field deleted since, a
    /// dismissed user); empty when nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<CrmProblem>,
}

/// An application install, as the portal reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmInstall {
    /// When (RFC 3339).
    pub installed_at: String,
    /// The portal's domain (`acme.bitrix24.ru`).
    pub domain: String,
    /// The portal's `member_id`.
    pub member_id: String,
    /// The scopes granted (`crm,telephony,user`).
    pub scope: String,
    /// When the portal reported the application removed, if it did (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uninstalled_at: Option<String>,
}

/// One thing the settings name that the portal lacks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CrmProblem {
    /// The setting, as a path (`crm.fields.budget`, `crm.rotation`).
    pub setting: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl std::fmt::Display for CrmProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.setting, self.message)
    }
}

/// Why a connection could not be checked against its portal (not what is wrong with it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmCheckError {
    /// The portal could not be asked now: unreachable, or the credentials are new
    /// OAuth tokens that only the CRM function may use.
    #[error("the portal could not be asked: {0}")]
    Unreachable(String),
}

impl CrmCheckError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CrmCheckError::Unreachable(_) => "crm_unreachable",
        }
    }
}

/// Checks a CRM connection against its portal: that the custom fields it maps exist (and
/// have a type the assistant can write), that its statuses, stages, pipeline and source
/// are in the portal's lists, and that its users still work there. The admin function
/// runs it when a tenant saves the connection; its implementation lives with the
/// Bitrix24 client (`sva-crm`), and tests give a fake.
#[async_trait]
pub trait CrmCheck: Send + Sync {
    /// What the portal lacks of what `crm` names (empty: nothing), reached with
    /// `secrets`.
    async fn check(
        &self,
        tenant: &str,
        crm: &CrmConnection,
        secrets: &CrmSecrets,
    ) -> Result<Vec<CrmProblem>, CrmCheckError>;
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
            access_token: Some("old-access".into()),
            access_expires_at: Some(100),
            ..CrmSecrets::default()
        };
        let change = CrmSecrets {
            webhook_code: Some("new-code".into()),
            client_secret: Some(String::new()),
            ..CrmSecrets::default()
        };
        let merged = old.merged(&change);
        assert_eq!(merged.webhook_code.as_deref(), Some("new-code"));
        assert_eq!(merged.client_secret, None);
        assert_eq!(merged.names(), ["webhook_code", "access_token"]);
        assert_eq!(merged.access_expires_at, Some(100), "kept with its token");
        assert!(!format!("{merged:?}").contains("new-code"));
        // A new access token brings its own expiry (or none).
        let renewed = merged.merged(&CrmSecrets {
            access_token: Some("new-access".into()),
            ..CrmSecrets::default()
        });
        assert_eq!(renewed.access_expires_at, None);
        assert_eq!(renewed.live_access_token(0, 60), None);
        let live = CrmSecrets {
            access_token: Some("a".into()),
            access_expires_at: Some(1000),
            ..CrmSecrets::default()
        };
        assert_eq!(live.live_access_token(900, 60), Some("a"));
        assert_eq!(live.live_access_token(950, 60), None, "too close to expiry");
    }
}
