//! The tenant settings document (`tenants/{tenant}/tenant.json`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use sva_abi::TenantContext;

use crate::crm::CrmConnection;
use crate::dialog::{DIALOG_SETTINGS_KEY, DialogSettings};

/// Everything about a tenant except its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantSettings {
    /// Document version (1).
    #[serde(default = "one")]
    pub v: u32,
    /// The tenant id: `[a-z0-9-]{1,40}`.
    pub id: String,
    /// The settings' revision: 1 at creation, one more with every change (each has an
    /// entry in `tenants/{tenant}/history/`).
    #[serde(default)]
    pub revision: u64,
    /// The company's name as callers should hear it.
    pub company: String,
    /// What the company sells, as a short phrase.
    pub product: String,
    /// E.164 number hot leads are transferred to.
    #[serde(default)]
    pub manager_phone: Option<String>,
    /// Overrides of the scenario's texts, by key.
    #[serde(default)]
    pub texts: BTreeMap<String, String>,
    /// Free-form scenario settings.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// The Yandex voice (`VoiceList.Yandex.Neural` name), e.g. `ru_RU_alena`.
    #[serde(default = "default_voice")]
    pub voice: String,
    /// What the caller hears when a turn fails.
    #[serde(default = "default_fallback")]
    pub fallback_phrase: String,
    /// The tenant's time zone as minutes east of UTC (Moscow: 180).
    #[serde(default = "moscow")]
    pub utc_offset_minutes: i32,
    /// A disabled tenant's calls are refused.
    #[serde(default)]
    pub disabled: bool,
    /// Which scenario versions serve new calls.
    #[serde(default)]
    pub scenario: ScenarioRouting,
    /// Days call records are kept.
    #[serde(default = "default_retention")]
    pub retention_days: u32,
    /// The Bitrix24 connection, without its secrets.
    #[serde(default)]
    pub crm: Option<CrmConnection>,
    /// When each secret last changed (`signing`, `crm`), RFC 3339: a secret change is a
    /// revision like any other, so the history shows who changed which secret and when
    /// (never the secret itself).
    #[serde(default)]
    pub secrets_changed_at: BTreeMap<String, String>,
    /// The tenant's own prices (item id → price) and currency rates, over the
    /// operator's price table.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub prices: sva_costs::Overrides,
    /// How VoxEngine handles the tenant's calls: recording, transfers.
    #[serde(default)]
    pub calls: CallSettings,
    /// The language model its scenarios may ask (off by default).
    #[serde(default)]
    pub llm: crate::ModelSettings,
    /// How the default scenario converses and routes calls: the misunderstanding limit,
    /// the lead temperature thresholds, the departments with their hours (written only
    /// when set; scenarios see it as `settings.dialog`).
    #[serde(default, skip_serializing_if = "DialogSettings::is_default")]
    pub dialog: DialogSettings,
}

/// How VoxEngine handles a tenant's calls (sent to it in the answer to `call_started`
/// and in each transfer, `docs/turn-protocol.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallSettings {
    /// Record every call from its start. The first answer then begins with the
    /// recording notice: the text `recording_notice` in `texts`, or
    /// [`DEFAULT_RECORDING_NOTICE`].
    #[serde(default)]
    pub record: bool,
    /// How long a manager's phone may ring on a transfer before the caller is brought
    /// back to the assistant, in seconds (5..=120).
    #[serde(default = "default_transfer_timeout")]
    pub transfer_timeout_s: u32,
}

impl Default for CallSettings {
    fn default() -> Self {
        CallSettings {
            record: false,
            transfer_timeout_s: default_transfer_timeout(),
        }
    }
}

/// The text key of the recording notice in a tenant's `texts`.
pub const RECORDING_NOTICE_TEXT: &str = "recording_notice";

/// What callers hear first when their call is recorded and the tenant has not written
/// its own notice.
pub const DEFAULT_RECORDING_NOTICE: &str = "Разговор записывается.";

/// The shortest and longest a manager's phone may ring on a transfer, in seconds.
pub const TRANSFER_TIMEOUT_S: std::ops::RangeInclusive<u32> = 5..=120;

fn default_transfer_timeout() -> u32 {
    30
}

impl TenantSettings {
    /// What callers of a recorded call hear first.
    pub fn recording_notice(&self) -> &str {
        self.texts
            .get(RECORDING_NOTICE_TEXT)
            .map_or(DEFAULT_RECORDING_NOTICE, String::as_str)
    }
}

/// Which scenario version a new call starts on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScenarioRouting {
    /// The active version (a module's sha256), if any module was activated.
    #[serde(default)]
    pub active: Option<String>,
    /// Versions active before, newest last (what a rollback returns to).
    #[serde(default)]
    pub history: Vec<String>,
    /// An A/B split: a share of new calls goes to another version.
    #[serde(default)]
    pub split: Option<Split>,
}

/// Part of new calls run on `version` instead of the active one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Split {
    /// The other version.
    pub version: String,
    /// Its share of new calls, 0..=100.
    pub percent: u8,
}

impl ScenarioRouting {
    /// Routing with one active version and no split.
    pub fn only(version: &str) -> ScenarioRouting {
        ScenarioRouting {
            active: Some(version.to_owned()),
            ..ScenarioRouting::default()
        }
    }

    /// The version and variant name (`"a"`/`"b"`, or none without a split) of a new
    /// call. The choice is a hash of the call id, so a retried `call_started` lands on
    /// the same version.
    pub fn assign(&self, call_id: &str) -> Option<(String, Option<String>)> {
        let active = self.active.clone()?;
        let Some(split) = &self.split else {
            return Some((active, None));
        };
        use sha2::Digest;
        let digest = sha2::Sha256::digest(call_id.as_bytes());
        let bucket = u16::from_be_bytes([digest[0], digest[1]]) % 100;
        if bucket < u16::from(split.percent) {
            Some((split.version.clone(), Some("b".into())))
        } else {
            Some((active, Some("a".into())))
        }
    }
}

/// Why a routing change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// Rollback with no earlier version.
    #[error("there is no earlier version to roll back to")]
    NothingToRollBack,
    /// A split needs an active version to split from.
    #[error("no version is active yet: activate one before splitting calls")]
    NoActiveVersion,
    /// A split onto the active version itself.
    #[error("version {0} is already the active one; split to another version")]
    SplitToActive(String),
    /// A split share outside 0..=100.
    #[error("the split share must be 0..=100 percent, not {0}")]
    BadPercent(u32),
}

/// How many earlier versions a rollback can walk back through.
pub const HISTORY_DEPTH: usize = 20;

impl ScenarioRouting {
    /// Makes `version` the active one; the previous one goes on the rollback history,
    /// and a split onto `version` ends (it now gets every call).
    pub fn activate(&mut self, version: &str) {
        if self.active.as_deref() == Some(version) {
            return;
        }
        if let Some(previous) = self.active.replace(version.to_owned()) {
            self.history.push(previous);
            if self.history.len() > HISTORY_DEPTH {
                self.history.remove(0);
            }
        }
        if self.split.as_ref().is_some_and(|s| s.version == version) {
            self.split = None;
        }
    }

    /// Returns to the version active before the current one; a split ends.
    pub fn roll_back(&mut self) -> Result<(), RoutingError> {
        let previous = self.history.pop().ok_or(RoutingError::NothingToRollBack)?;
        self.active = Some(previous);
        self.split = None;
        Ok(())
    }

    /// Sends `percent` of new calls to `version` (0 ends the split).
    pub fn set_split(&mut self, version: &str, percent: u32) -> Result<(), RoutingError> {
        if percent > 100 {
            return Err(RoutingError::BadPercent(percent));
        }
        if percent == 0 {
            self.split = None;
            return Ok(());
        }
        match self.active.as_deref() {
            None => Err(RoutingError::NoActiveVersion),
            Some(active) if active == version => {
                Err(RoutingError::SplitToActive(version.to_owned()))
            }
            Some(_) => {
                self.split = Some(Split {
                    version: version.to_owned(),
                    percent: percent as u8,
                });
                Ok(())
            }
        }
    }
}

impl TenantSettings {
    /// New settings with the defaults for everything but the names.
    pub fn new(id: &str, company: &str, product: &str) -> TenantSettings {
        TenantSettings {
            v: 1,
            id: id.to_owned(),
            revision: 0,
            company: company.to_owned(),
            product: product.to_owned(),
            manager_phone: None,
            texts: BTreeMap::new(),
            settings: serde_json::Map::new(),
            voice: default_voice(),
            fallback_phrase: default_fallback(),
            utc_offset_minutes: moscow(),
            disabled: false,
            scenario: ScenarioRouting::default(),
            retention_days: default_retention(),
            crm: None,
            secrets_changed_at: BTreeMap::new(),
            prices: sva_costs::Overrides::default(),
            calls: CallSettings::default(),
            llm: crate::ModelSettings::default(),
            dialog: DialogSettings::default(),
        }
    }

    /// What scenarios see of the tenant: the free-form settings, and the dialog
    /// settings under `dialog` when the tenant changed them (a scenario reads the
    /// defaults of `docs/scenario-sdk.md` when the key is absent, which keeps every
    /// step's input short for most tenants).
    pub fn context(&self) -> TenantContext {
        let mut settings = self.settings.clone();
        if !self.dialog.is_default()
            && let Ok(dialog) = serde_json::to_value(&self.dialog)
        {
            settings.insert(DIALOG_SETTINGS_KEY.to_owned(), dialog);
        }
        TenantContext {
            id: self.id.clone(),
            company: self.company.clone(),
            product: self.product.clone(),
            manager_phone: self.manager_phone.clone(),
            texts: self.texts.clone(),
            settings,
        }
    }
}

/// Checks a tenant id: 1..=40 of `a-z`, `0-9`, `-`, not starting with `-`. Ids are
/// storage key segments and header values, so the alphabet is deliberately small.
pub fn validate_tenant_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tenant id {id:?} must be 1..=40 characters of a-z, 0-9 and '-', not starting with '-'"
        ))
    }
}

fn one() -> u32 {
    1
}

fn default_voice() -> String {
    "ru_RU_alena".into()
}

fn default_fallback() -> String {
    "Извините, я вас не расслышала. Повторите, пожалуйста.".into()
}

fn moscow() -> i32 {
    180
}

fn default_retention() -> u32 {
    365
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(validate_tenant_id("demo").is_ok());
        assert!(validate_tenant_id("acme-2").is_ok());
        for bad in ["", "-a", "Demo", "a/b", "a.b", "..", &"x".repeat(41)] {
            assert!(validate_tenant_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn assignment_follows_the_split() {
        let mut routing = ScenarioRouting {
            active: Some("a1".into()),
            ..ScenarioRouting::default()
        };
        assert_eq!(routing.assign("c"), Some(("a1".into(), None)));
        routing.split = Some(Split {
            version: "b2".into(),
            percent: 30,
        });
        let b = (0..1000)
            .filter(|i| routing.assign(&format!("call-{i}")).unwrap().0 == "b2")
            .count();
        assert!((250..=350).contains(&b), "{b} of 1000 calls on b");
        // Stable per call.
        assert_eq!(routing.assign("call-7"), routing.assign("call-7"));
        assert_eq!(ScenarioRouting::default().assign("c"), None);
    }

    #[test]
    fn activation_rollback_and_split() {
        let mut r = ScenarioRouting::default();
        assert_eq!(r.set_split("b", 10), Err(RoutingError::NoActiveVersion));
        assert_eq!(r.roll_back(), Err(RoutingError::NothingToRollBack));
        r.activate("v1");
        r.activate("v2");
        r.activate("v2");
        assert_eq!(r.history, ["v1"]);
        assert_eq!(
            r.set_split("v2", 10),
            Err(RoutingError::SplitToActive("v2".into()))
        );
        assert_eq!(r.set_split("v3", 101), Err(RoutingError::BadPercent(101)));
        r.set_split("v3", 25).unwrap();
        assert_eq!(r.split.as_ref().map(|s| s.percent), Some(25));
        // Activating the split's version ends the split.
        r.activate("v3");
        assert_eq!(r.split, None);
        assert_eq!(r.history, ["v1", "v2"]);
        r.set_split("v1", 50).unwrap();
        r.roll_back().unwrap();
        assert_eq!(r.active.as_deref(), Some("v2"));
        assert_eq!(r.split, None);
        r.set_split("v1", 50).unwrap();
        r.set_split("v1", 0).unwrap();
        assert_eq!(r.split, None);
        for i in 0..30 {
            r.activate(&format!("x{i}"));
        }
        assert_eq!(r.history.len(), HISTORY_DEPTH);
    }

    #[test]
    fn settings_documents_are_strict() {
        let doc = r#"{"id":"demo","company":"ТехноСклад","product":"склады"}"#;
        let s: TenantSettings = serde_json::from_str(doc).unwrap();
        assert_eq!(s.voice, "ru_RU_alena");
        assert_eq!(s.utc_offset_minutes, 180);
        let typo = r#"{"id":"demo","company":"x","product":"y","voise":"z"}"#;
        assert!(serde_json::from_str::<TenantSettings>(typo).is_err());
    }
}
