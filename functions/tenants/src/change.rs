//! A change of a tenant's settings, and the rules a change must keep: what may be set,
//! in which ranges and shapes. [`TenantSettings::apply`] checks a whole change before it
//! sets anything, so a refused change leaves the settings as they were.

use crate::crm::{CrmAuth, CrmConnection, CrmSecrets};
use crate::dialog::{DIALOG_SETTINGS_KEY, DialogChange};
use crate::settings::{TRANSFER_TIMEOUT_S, TenantSettings};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// A change of settings: only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsChange {
    /// The company's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// What it sells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// E.164 transfer number; `""` removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_phone: Option<String>,
    /// The Yandex voice (`ru_RU_alena`, `ru_RU_filipp`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// What the caller hears when a turn fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_phrase: Option<String>,
    /// Minutes east of UTC (Moscow: 180).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    /// Days call records are kept (1..=3650).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Scenario texts to set, by key; `""` removes a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<BTreeMap<String, String>>,
    /// Scenario settings: replaces them all.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
    /// The CRM connection; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub crm: Option<Option<CrmConnection>>,
    /// The tenant's own prices (item id → price in the item's currency) and currency
    /// rates over the operator's price table; replaces the previous ones.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<sva_costs::Overrides>,
    /// CRM secrets to set (`""` clears one); never returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crm_secrets: Option<CrmSecrets>,
    /// How VoxEngine handles calls: only the fields present change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls: Option<CallsChange>,
    /// The language model: only the fields present change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<crate::ModelChange>,
    /// How the default scenario converses and routes calls (misunderstanding limit,
    /// temperature thresholds, departments): only the fields present change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialog: Option<DialogChange>,
}

/// A change of how VoxEngine handles calls: only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallsChange {
    /// Record calls from their start (the first phrase is then the recording notice,
    /// the text `recording_notice`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<bool>,
    /// How long a manager's phone rings on a transfer, 5..=120 seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_timeout_s: Option<u32>,
}

/// `Some(value)` for a field that is present, `null` included.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Why a change of settings was refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A field's value is not acceptable; the sentence names the field.
    #[error("{0}")]
    Invalid(String),
    /// The CRM portal's address was refused (not https, an internal host, …).
    #[error("{0}")]
    Url(#[from] sva_kit::outbound::OutboundError),
}

impl SettingsError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::Invalid(_) => "invalid_value",
            SettingsError::Url(e) => e.code(),
        }
    }
}

/// How deep scenario settings may nest: they travel inside every step's input and
/// inside the history entries that wrap them.
pub const MAX_SETTINGS_DEPTH: usize = 8;

/// The largest scenario settings document, in bytes of JSON.
pub const MAX_SETTINGS_BYTES: usize = 16 * 1024;

impl SettingsChange {
    /// The names of the fields this change sets.
    pub fn fields(&self) -> Vec<&'static str> {
        let set = [
            ("company", self.company.is_some()),
            ("product", self.product.is_some()),
            ("manager_phone", self.manager_phone.is_some()),
            ("voice", self.voice.is_some()),
            ("fallback_phrase", self.fallback_phrase.is_some()),
            ("utc_offset_minutes", self.utc_offset_minutes.is_some()),
            ("retention_days", self.retention_days.is_some()),
            ("texts", self.texts.is_some()),
            ("settings", self.settings.is_some()),
            ("crm", self.crm.is_some()),
            ("crm_secrets", self.crm_secrets.is_some()),
            ("prices", self.prices.is_some()),
            ("calls", self.calls.is_some()),
            ("llm", self.llm.is_some()),
            ("dialog", self.dialog.is_some()),
        ];
        set.into_iter()
            .filter(|(_, s)| *s)
            .map(|(n, _)| n)
            .collect()
    }
}

impl TenantSettings {
    /// Checks `change` and applies it. A CRM portal must be a public `https` origin
    /// unless its host is in `allowed_hosts` (the local stack's sandbox portal). Nothing
    /// is set unless everything passes.
    pub fn apply(
        &mut self,
        change: &SettingsChange,
        allowed_hosts: &[String],
    ) -> Result<(), SettingsError> {
        let mut next = self.clone();
        next.set(change, allowed_hosts)?;
        *self = next;
        Ok(())
    }

    fn set(
        &mut self,
        change: &SettingsChange,
        allowed_hosts: &[String],
    ) -> Result<(), SettingsError> {
        let invalid = |m: String| Err(SettingsError::Invalid(m));
        if let Some(v) = &change.company {
            self.company = text("company", v, 200)?;
        }
        if let Some(v) = &change.product {
            self.product = text("product", v, 200)?;
        }
        if let Some(v) = &change.fallback_phrase {
            self.fallback_phrase = text("fallback_phrase", v, 500)?;
        }
        if let Some(phone) = &change.manager_phone {
            self.manager_phone = match phone.trim() {
                "" => None,
                p if sva_abi::phone::is_e164(p) => Some(p.to_owned()),
                p => {
                    return invalid(format!(
                        "`manager_phone` must be E.164 (+74951234567), not {p:?}"
                    ));
                }
            };
        }
        if let Some(voice) = &change.voice {
            let ok = voice
                .strip_prefix("ru_RU_")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase()));
            if !ok {
                return invalid(format!(
                    "`voice` must be a Russian Yandex voice such as ru_RU_alena, not {voice:?}"
                ));
            }
            self.voice = voice.clone();
        }
        if let Some(minutes) = change.utc_offset_minutes {
            if !(-720..=840).contains(&minutes) {
                return invalid(format!(
                    "`utc_offset_minutes` must be -720..=840, not {minutes}"
                ));
            }
            self.utc_offset_minutes = minutes;
        }
        if let Some(days) = change.retention_days {
            if !(1..=3650).contains(&days) {
                return invalid(format!("`retention_days` must be 1..=3650, not {days}"));
            }
            self.retention_days = days;
        }
        if let Some(texts) = &change.texts {
            for (key, value) in texts {
                let key_ok = !key.is_empty()
                    && key.len() <= 64
                    && key.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.'
                    });
                if !key_ok {
                    return invalid(format!(
                        "text key {key:?} must be 1..=64 of a-z, 0-9, '_', '.'"
                    ));
                }
                if value.is_empty() {
                    self.texts.remove(key);
                } else {
                    self.texts.insert(key.clone(), text(key, value, 1000)?);
                }
            }
        }
        if let Some(map) = &change.settings {
            if serde_json::to_vec(map).map_or(0, |v| v.len()) > MAX_SETTINGS_BYTES {
                return invalid("`settings` is larger than 16 KiB".into());
            }
            if map.contains_key(DIALOG_SETTINGS_KEY) {
                return invalid(format!(
                    "`settings.{DIALOG_SETTINGS_KEY}` is reserved: change it with `dialog`"
                ));
            }
            if map.values().any(|v| depth(v) > MAX_SETTINGS_DEPTH) {
                return invalid(format!(
                    "`settings` nests deeper than {MAX_SETTINGS_DEPTH} levels"
                ));
            }
            self.settings = map.clone();
        }
        if let Some(prices) = &change.prices {
            sva_costs::PriceTable::default_table()
                .with_overrides(prices)
                .map_err(|e| SettingsError::Invalid(format!("`prices`: {e}")))?;
            self.prices = prices.clone();
        }
        if let Some(calls) = &change.calls {
            if let Some(seconds) = calls.transfer_timeout_s {
                if !TRANSFER_TIMEOUT_S.contains(&seconds) {
                    return invalid(format!(
                        "`calls.transfer_timeout_s` must be {}..={} seconds, not {seconds}",
                        TRANSFER_TIMEOUT_S.start(),
                        TRANSFER_TIMEOUT_S.end(),
                    ));
                }
                self.calls.transfer_timeout_s = seconds;
            }
            if let Some(record) = calls.record {
                self.calls.record = record;
            }
        }
        if let Some(llm) = &change.llm {
            self.llm = self.llm.apply(llm).map_err(SettingsError::Invalid)?;
        }
        if let Some(dialog) = &change.dialog {
            self.dialog = self
                .dialog
                .changed(dialog)
                .map_err(SettingsError::Invalid)?;
        }
        if let Some(crm) = &change.crm {
            if let Some(crm) = crm {
                check_crm(crm, allowed_hosts)?;
            }
            self.crm = crm.clone().map(|mut crm| {
                // Stored as the origin the check parsed, not as typed.
                if let Ok(url) = url::Url::parse(&crm.portal) {
                    crm.portal = url.origin().ascii_serialization();
                }
                crm
            });
        }
        Ok(())
    }
}

/// A CRM connection's portal, way in and field mapping.
fn check_crm(crm: &CrmConnection, allowed_hosts: &[String]) -> Result<(), SettingsError> {
    let invalid = |m: String| Err(SettingsError::Invalid(m));
    let url = sva_kit::outbound::check_url(&crm.portal, allowed_hosts)?;
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return invalid(format!(
            "`crm.portal` must be the portal's address only (https://acme.bitrix24.ru), not {:?}",
            crm.portal
        ));
    }
    // An OAuth connection may come before its `client_id`: a local application shows
    // its id only once saved, which is when the portal installs it.
    if crm.auth == CrmAuth::Webhook && crm.webhook_user_id.is_none() {
        return invalid("a webhook connection needs `webhook_user_id`".into());
    }
    for (slot, field) in &crm.fields {
        if !field.starts_with("UF_CRM_") {
            return invalid(format!(
                "`crm.fields.{slot}` must name a custom field (UF_CRM_…), not {field:?}"
            ));
        }
    }
    check_routing(crm)
}

/// The most users a rotation may name.
pub const MAX_ROTATION: usize = 50;

/// The most reminders a to-do may have, and how long before the time they may be.
const MAX_REMINDERS: usize = 5;
const MAX_REMINDER_MINUTES: u32 = 7 * 24 * 60;

/// Who gets new records, where they start, and what they are marked with.
fn check_routing(crm: &CrmConnection) -> Result<(), SettingsError> {
    let invalid = |m: String| Err(SettingsError::Invalid(m));
    if crm.rotation.len() > MAX_ROTATION {
        return invalid(format!(
            "`crm.rotation` names at most {MAX_ROTATION} users, not {}",
            crm.rotation.len()
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for user in &crm.rotation {
        if *user == 0 || !seen.insert(*user) {
            return invalid(format!(
                "`crm.rotation` must name each user once by a positive id; {user} is not"
            ));
        }
    }
    if crm.responsible_user_id == Some(0) {
        return invalid("`crm.responsible_user_id` must be a user id (1 or more)".into());
    }
    if let Some(source) = &crm.source_id
        && !is_code(source)
    {
        return invalid(format!(
            "`crm.source_id` must be a source's code (CALL, WEB, …), not {source:?}"
        ));
    }
    let category = crm.deal_category_id.unwrap_or(0);
    for (kind, status) in &crm.outcomes {
        let name = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if let Some(lead) = &status.lead_status
            && !is_code(lead)
        {
            return invalid(format!(
                "`crm.outcomes.{name}.lead_status` must be a status code (NEW, JUNK, …), not {lead:?}"
            ));
        }
        if let Some(stage) = &status.deal_stage {
            let (prefix, bare) = match stage.split_once(':') {
                Some((prefix, bare)) => (Some(prefix), bare),
                None => (None, stage.as_str()),
            };
            let expected = (category > 0).then(|| format!("C{category}"));
            if !is_code(bare) || prefix.map(str::to_owned) != expected {
                let form = match category {
                    0 => "a stage of the default pipeline (NEW, WON, …)".to_owned(),
                    c => format!("a stage of pipeline {c} (C{c}:NEW, C{c}:WON, …)"),
                };
                return invalid(format!(
                    "`crm.outcomes.{name}.deal_stage` must be {form}, not {stage:?}"
                ));
            }
        }
    }
    for (field, value) in crm.utm.fields() {
        if let Some(v) = value
            && (v.trim().is_empty() || v.chars().count() > 255 || v.chars().any(char::is_control))
        {
            return invalid(format!(
                "`crm.utm` {field} must be 1..=255 characters without control characters"
            ));
        }
    }
    if let Some(reminders) = &crm.reminders
        && (reminders.len() > MAX_REMINDERS || reminders.iter().any(|m| *m > MAX_REMINDER_MINUTES))
    {
        return invalid(format!(
            "`crm.reminders` is at most {MAX_REMINDERS} reminders of 0..={MAX_REMINDER_MINUTES} minutes"
        ));
    }
    if let Some(line) = &crm.line_number
        && (line.trim().is_empty() || line.chars().count() > 50)
    {
        return invalid("`crm.line_number` must be 1..=50 characters".into());
    }
    Ok(())
}

/// A status, stage or source code: 1..=50 of `A-Z`, `0-9`, `_`.
fn is_code(code: &str) -> bool {
    (1..=50).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// A trimmed text of 1..=`max` characters, or the error naming the field.
fn text(name: &str, value: &str, max: usize) -> Result<String, SettingsError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(SettingsError::Invalid(format!(
            "`{name}` must be 1..={max} characters"
        )));
    }
    Ok(value.to_owned())
}

/// How deep a JSON value nests (a scalar: 0).
fn depth(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(value: serde_json::Value) -> SettingsChange {
        serde_json::from_value(value).expect("a change")
    }

    fn refused(value: serde_json::Value) -> SettingsError {
        let mut settings = TenantSettings::new("acme", "Акме", "станки");
        let before = settings.clone();
        let error = settings
            .apply(&change(value.clone()), &[])
            .expect_err(&value.to_string());
        assert_eq!(settings, before, "a refused change sets nothing: {value}");
        error
    }

    #[test]
    fn each_rule_refuses_with_the_field_named() {
        for (value, code, words) in [
            (
                json!({"manager_phone": "84951234567"}),
                "invalid_value",
                "E.164",
            ),
            (json!({"manager_phone": "+7495"}), "invalid_value", "E.164"),
            (json!({"voice": "alena"}), "invalid_value", "ru_RU_"),
            (json!({"company": "  "}), "invalid_value", "company"),
            (
                json!({"product": "я".repeat(201)}),
                "invalid_value",
                "product",
            ),
            (
                json!({"fallback_phrase": ""}),
                "invalid_value",
                "fallback_phrase",
            ),
            (
                json!({"utc_offset_minutes": 900}),
                "invalid_value",
                "utc_offset_minutes",
            ),
            (
                json!({"retention_days": 0}),
                "invalid_value",
                "retention_days",
            ),
            (
                json!({"texts": {"Greeting": "Привет"}}),
                "invalid_value",
                "text key",
            ),
            (
                json!({"settings": {"a": [[[[[[[[[1]]]]]]]]]}}),
                "invalid_value",
                "nests",
            ),
            (
                json!({"prices": {"prices": {"no.such.item": 1.0}}}),
                "invalid_value",
                "prices",
            ),
            (
                json!({"calls": {"transfer_timeout_s": 600}}),
                "invalid_value",
                "transfer_timeout_s",
            ),
            (
                json!({"calls": {"transfer_timeout_s": 2}}),
                "invalid_value",
                "transfer_timeout_s",
            ),
            (
                json!({"crm": {"portal": "http://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1}}),
                "not_https",
                "https",
            ),
            (
                json!({"crm": {"portal": "https://169.254.169.254", "auth": "webhook", "webhook_user_id": 1}}),
                "internal_host",
                "169.254.169.254",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru/rest/1/x/", "auth": "webhook", "webhook_user_id": 1}}),
                "invalid_value",
                "address only",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook"}}),
                "invalid_value",
                "webhook_user_id",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1, "fields": {"need": "TITLE"}}}),
                "invalid_value",
                "UF_CRM_",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1, "rotation": [3, 3]}}),
                "invalid_value",
                "crm.rotation",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1, "source_id": "звонок"}}),
                "invalid_value",
                "crm.source_id",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1, "outcomes": {"qualified": {"lead_status": "in process"}}}}),
                "invalid_value",
                "crm.outcomes.qualified.lead_status",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1, "deal_category_id": 3, "outcomes": {"not_interested": {"deal_stage": "LOSE"}}}}),
                "invalid_value",
                "C3:NEW",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1, "outcomes": {"do_not_call": {"deal_stage": "C2:LOSE"}}}}),
                "invalid_value",
                "default pipeline",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1, "utm": {"source": ""}}}),
                "invalid_value",
                "UTM_SOURCE",
            ),
            (
                json!({"crm": {"portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1, "reminders": [20000]}}),
                "invalid_value",
                "crm.reminders",
            ),
            // A good field beside a bad one: the whole change is refused.
            (
                json!({"company": "Новое имя", "voice": "x"}),
                "invalid_value",
                "voice",
            ),
            (
                json!({"settings": {"dialog": {"misunderstanding_limit": 5}}}),
                "invalid_value",
                "reserved",
            ),
            (
                json!({"company": "Новое имя", "dialog": {"misunderstanding_limit": 0}}),
                "invalid_value",
                "misunderstanding_limit",
            ),
        ] {
            let error = refused(value.clone());
            assert_eq!(error.code(), code, "{value}: {error}");
            assert!(error.to_string().contains(words), "{value}: {error}");
        }
    }

    #[test]
    fn a_good_change_sets_what_it_names_and_nothing_else() {
        let mut settings = TenantSettings::new("acme", "Акме", "станки");
        let before = settings.clone();
        let c = change(json!({
            "company": "  ТехноСклад  ",
            "manager_phone": "+74951234567",
            "texts": {"recording_notice": "Звонок записывается."},
            "calls": {"record": true},
            "crm": {"portal": "https://Acme.Bitrix24.ru/", "auth": "webhook", "webhook_user_id": 1},
        }));
        assert_eq!(
            c.fields(),
            ["company", "manager_phone", "texts", "crm", "calls"]
        );
        settings.apply(&c, &[]).unwrap();
        assert_eq!(settings.company, "ТехноСклад");
        assert_eq!(settings.manager_phone.as_deref(), Some("+74951234567"));
        assert_eq!(settings.recording_notice(), "Звонок записывается.");
        assert!(settings.calls.record);
        assert_eq!(settings.calls.transfer_timeout_s, 30, "untouched");
        assert_eq!(
            settings.crm.as_ref().map(|c| c.portal.as_str()),
            Some("https://acme.bitrix24.ru"),
            "stored as the origin"
        );
        assert_eq!(settings.voice, before.voice);
        // Removing: an empty phone and `crm: null`.
        settings
            .apply(&change(json!({"manager_phone": "", "crm": null})), &[])
            .unwrap();
        assert_eq!((settings.manager_phone, settings.crm), (None, None));
    }

    #[test]
    fn dialog_settings_reach_the_scenario_only_when_changed() {
        let mut settings = TenantSettings::new("acme", "Акме", "станки");
        settings
            .apply(&change(json!({"settings": {"hot_score": 60}})), &[])
            .unwrap();
        assert_eq!(
            serde_json::Value::Object(settings.context().settings),
            json!({"hot_score": 60}),
            "defaults are not sent"
        );
        let stored = serde_json::to_value(&settings).unwrap();
        assert!(stored.get("dialog").is_none(), "nor written");
        settings
            .apply(
                &change(json!({"dialog": {"misunderstanding_limit": 2,
                    "departments": [{"id": "sales", "phone": "+74951234567",
                        "hours": [{"days": ["mon", "fri"], "open": "09:00", "close": "18:00"}]}]}})),
                &[],
            )
            .unwrap();
        let context = settings.context().settings;
        assert_eq!(context["hot_score"], 60);
        assert_eq!(context["dialog"]["misunderstanding_limit"], 2);
        assert_eq!(context["dialog"]["temperature"]["hot_score"], 70);
        assert_eq!(
            context["dialog"]["departments"][0]["hours"][0]["days"][1],
            "fri"
        );
        let stored = serde_json::to_string(&settings).unwrap();
        let read: TenantSettings = serde_json::from_str(&stored).unwrap();
        assert_eq!(read, settings, "the document reads back");
    }

    #[test]
    fn a_sales_teams_routing_is_kept_as_given() {
        let mut settings = TenantSettings::new("acme", "Акме", "станки");
        let c = change(json!({"crm": {
            "portal": "https://acme.bitrix24.ru", "auth": "webhook", "webhook_user_id": 1,
            "responsible_user_id": 1, "deal_category_id": 2, "rotation": [5, 7, 9],
            "outcomes": {"qualified": {"lead_status": "IN_PROCESS", "deal_stage": "C2:PREPARATION"},
                         "do_not_call": {"lead_status": "JUNK", "deal_stage": "C2:LOSE"}},
            "source_id": "CALLBACK", "utm": {"source": "voice", "campaign": "осень"},
            "reminders": [60, 0], "line_number": "+74950000000",
        }}));
        settings.apply(&c, &[]).unwrap();
        let crm = settings.crm.unwrap();
        assert_eq!(crm.rotation, [5, 7, 9]);
        assert_eq!(
            crm.outcomes[&crate::OutcomeKind::DoNotCall]
                .deal_stage
                .as_deref(),
            Some("C2:LOSE")
        );
        assert_eq!(crm.utm.fields()[2], ("UTM_CAMPAIGN", Some("осень")));
        assert_eq!(crm.reminders, Some(vec![60, 0]));
    }

    #[test]
    fn a_portal_on_an_allowed_internal_host_is_accepted() {
        let mut settings = TenantSettings::new("acme", "Акме", "станки");
        let local = change(
            json!({"crm": {"portal": "https://127.0.0.1", "auth": "webhook", "webhook_user_id": 1}}),
        );
        assert_eq!(
            settings.apply(&local, &[]).unwrap_err().code(),
            "internal_host"
        );
        settings
            .apply(&local, &["127.0.0.1".to_owned()])
            .expect("allowed");
    }
}
