//! The Management API methods deploy needs, typed. Parameters and answers follow the
//! official Node client's request mappers and structures
//! (voximplant/apiclient-nodejs@281e5c4199b6a7ed9bf3d7c880729306dffe82a3, cited as
//! `index.ts:line`, `Interfaces.ts:line`, `Structures.ts:line`) and the reference pages at
//! <https://voximplant.com/docs/references/httpapi/> (applications, scenarios, rules).
//!
//! Every method is one [`Client::call`] with a [`Params`] list and a `Deserialize` answer;
//! the call-list methods are in [`crate::call_lists`].

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::{Client, Params};
use crate::error::Error;
use crate::secret::Secret;

/// Limits the platform documents, checked before anything is sent.
pub mod limits {
    use crate::error::Error;

    /// AddApplication `application_name`: "Short application name in the
    /// \[a-z\]\[a-z0-9-\]{1,64} format" (Interfaces.ts:752-760).
    pub fn application_name(name: &str) -> Result<(), Error> {
        let mut chars = name.chars();
        let ok = matches!(chars.next(), Some('a'..='z'))
            && (2..=65).contains(&name.len())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidInput(format!(
                "application name {name:?} is not [a-z][a-z0-9-]{{1,64}}"
            )))
        }
    }

    /// `scenario_name`: "The length must be less than 30" (Interfaces.ts:1557-1562).
    pub fn scenario_name(name: &str) -> Result<(), Error> {
        let n = name.chars().count();
        if n == 0 || n >= 30 || name.contains(';') {
            return Err(Error::InvalidInput(format!(
                "scenario name {name:?} must be 1..29 characters without ';'"
            )));
        }
        Ok(())
    }

    /// `scenario_script`: "The length must be less than 128 KB" (Interfaces.ts:1563-1566),
    /// taken as UTF-8 bytes.
    pub fn scenario_script(script: &str) -> Result<(), Error> {
        if script.len() >= 128 * 1024 {
            return Err(Error::InvalidInput(format!(
                "the scenario script has {} bytes; the API takes less than 128 KB",
                script.len()
            )));
        }
        Ok(())
    }

    /// `rule_name`: "The length must be less than 100" (Interfaces.ts:1883-1926).
    pub fn rule_name(name: &str) -> Result<(), Error> {
        let n = name.chars().count();
        if n == 0 || n >= 100 {
            return Err(Error::InvalidInput(format!(
                "rule name {name:?} must be 1..99 characters"
            )));
        }
        Ok(())
    }

    /// `rule_pattern`: "The length must be less than 64 KB" (Interfaces.ts:1883-1926).
    pub fn rule_pattern(pattern: &str) -> Result<(), Error> {
        if pattern.is_empty() || pattern.len() >= 64 * 1024 {
            return Err(Error::InvalidInput(
                "the rule pattern must be non-empty and less than 64 KB".into(),
            ));
        }
        Ok(())
    }

    /// `secret_name`: "must start with a Latin letter and can contain up to 64
    /// characters, including Latin letters, digits and underscores" (Interfaces.ts:7122-7140).
    pub fn secret_name(name: &str) -> Result<(), Error> {
        let mut chars = name.chars();
        let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
            && name.len() <= 64
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidInput(format!(
                "secret name {name:?} must start with a Latin letter and have up to 64 Latin letters, digits and underscores"
            )))
        }
    }

    /// `secret_value`: "Maximum length is 8192 characters" (Interfaces.ts:7122-7140).
    /// The message names the secret, never the value.
    pub fn secret_value(name: &str, chars: usize) -> Result<(), Error> {
        if chars > 8192 {
            return Err(Error::InvalidInput(format!(
                "secret {name:?} has {chars} characters; the API takes at most 8192"
            )));
        }
        Ok(())
    }
}

/// One page of a list method: `result`, `total_count`, `count`.
#[derive(Clone, Debug, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub result: Vec<T>,
    /// How many items match in all.
    pub total_count: u64,
    /// How many items this page has.
    pub count: u64,
}

/// `ApplicationInfo` (Structures.ts:363; TypeTransformer.ts:3418).
#[derive(Clone, Debug, Deserialize)]
pub struct ApplicationInfo {
    /// The application id.
    pub application_id: u64,
    /// The full application name (`short.account.…voximplant.com`).
    pub application_name: String,
    /// Last edited, `YYYY-MM-DD HH:mm:ss` UTC.
    #[serde(default)]
    pub modified: Option<String>,
    /// Whether logs and records are kept in the secure storage.
    #[serde(default)]
    pub secure_record_storage: Option<bool>,
}

impl ApplicationInfo {
    /// Whether this application's full name is the one AddApplication makes of `short`
    /// (the name itself, or `short.` followed by the account's domain).
    pub fn has_short_name(&self, short: &str) -> bool {
        self.application_name == short
            || self
                .application_name
                .strip_prefix(short)
                .is_some_and(|rest| rest.starts_with('.'))
    }
}

/// `ScenarioInfo` (Structures.ts:471; TypeTransformer.ts:3486).
#[derive(Clone, Debug, Deserialize)]
pub struct ScenarioInfo {
    /// The scenario id.
    pub scenario_id: u64,
    /// The scenario name.
    pub scenario_name: String,
    /// The script, only when asked for with `with_script`.
    #[serde(default)]
    pub scenario_script: Option<String>,
    /// Last edited, `YYYY-MM-DD HH:mm:ss` UTC.
    #[serde(default)]
    pub modified: Option<String>,
    /// Whether it belongs to the parent account.
    #[serde(default)]
    pub parent: Option<bool>,
}

/// `RuleInfo` (Structures.ts:503; TypeTransformer.ts:3508).
#[derive(Clone, Debug, Deserialize)]
pub struct RuleInfo {
    /// The rule id.
    pub rule_id: u64,
    /// Its application.
    #[serde(default)]
    pub application_id: Option<u64>,
    /// The rule name.
    pub rule_name: String,
    /// The pattern (a regex over the called number or user).
    pub rule_pattern: String,
    /// The exclude pattern.
    #[serde(default)]
    pub rule_pattern_exclude: Option<String>,
    /// Whether a video conference is required.
    #[serde(default)]
    pub video_conference: Option<bool>,
    /// The bound scenarios, when asked for with `with_scenarios`.
    #[serde(default)]
    pub scenarios: Vec<ScenarioInfo>,
    /// Last edited.
    #[serde(default)]
    pub modified: Option<String>,
}

/// `SecretListItem` (Structures.ts:4912; TypeTransformer.ts:3171): no value.
#[derive(Clone, Debug, Deserialize)]
pub struct SecretInfo {
    /// The secret id.
    pub secret_id: u64,
    /// The secret name (what `VoxEngine.getSecretValue(name)` takes).
    pub secret_name: String,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// Created.
    #[serde(default)]
    pub created: Option<String>,
    /// Last edited.
    #[serde(default)]
    pub modified: Option<String>,
}

/// AddApplication's answer (Interfaces.ts:763-781).
#[derive(Clone, Debug, Deserialize)]
pub struct AddedApplication {
    /// The new application's id.
    pub application_id: u64,
    /// Its full name.
    pub application_name: String,
}

/// What SetRuleInfo changes; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct RuleUpdate {
    /// A new name.
    pub rule_name: Option<String>,
    /// A new pattern.
    pub rule_pattern: Option<String>,
    /// A new exclude pattern.
    pub rule_pattern_exclude: Option<String>,
}

#[derive(Deserialize)]
struct Done {
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct ScenarioId {
    scenario_id: u64,
}

#[derive(Deserialize)]
struct RuleId {
    rule_id: u64,
}

#[derive(Deserialize)]
struct SecretId {
    secret_id: u64,
}

#[derive(Deserialize)]
struct SecretValue {
    secret_value: String,
}

/// Most write methods answer `{"result": 1}`; call-list ones `{"result": true}`.
async fn done(client: &Client, method: &str, params: Params) -> Result<(), Error> {
    let d: Done = client.call(method, &params).await?;
    match d.result {
        serde_json::Value::Number(n) if n.as_i64() == Some(1) => Ok(()),
        serde_json::Value::Bool(true) => Ok(()),
        other => Err(Error::Decode {
            method: method.to_owned(),
            reason: format!("`result` is {other}, not 1"),
        }),
    }
}

/// Reads every page of a list method (by `offset`, until `total_count` is reached).
async fn all_pages<T, F, Fut>(method: &str, mut fetch: F) -> Result<Vec<T>, Error>
where
    T: DeserializeOwned,
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, Error>>,
{
    let mut items = Vec::new();
    for _ in 0..1000 {
        let page = fetch(items.len() as u64).await?;
        let got = page.result.len();
        items.extend(page.result);
        if got == 0 || items.len() as u64 >= page.total_count {
            return Ok(items);
        }
    }
    Err(Error::Decode {
        method: method.to_owned(),
        reason: "more than 1000 pages".into(),
    })
}

impl Client {
    /// GetApplications (index.ts:1245; Interfaces.ts:834-868), one page.
    /// `name_part` filters by a part of the name.
    pub async fn get_applications(
        &self,
        name_part: Option<&str>,
        offset: u64,
    ) -> Result<Page<ApplicationInfo>, Error> {
        let p = Params::new()
            .text_opt("application_name", name_part)
            .num("offset", offset);
        self.call("GetApplications", &p).await
    }

    /// Every application whose full name is the one made of `short` (see
    /// [`ApplicationInfo::has_short_name`]).
    pub async fn find_applications(&self, short: &str) -> Result<Vec<ApplicationInfo>, Error> {
        let all = all_pages("GetApplications", |offset| {
            self.get_applications(Some(short), offset)
        })
        .await?;
        Ok(all
            .into_iter()
            .filter(|a| a.has_short_name(short))
            .collect())
    }

    /// AddApplication (index.ts:1145; Interfaces.ts:752-781).
    pub async fn add_application(&self, short_name: &str) -> Result<AddedApplication, Error> {
        limits::application_name(short_name)?;
        let p = Params::new().text("application_name", short_name);
        self.call("AddApplication", &p).await
    }

    /// GetScenarios of one application (index.ts:1930; Interfaces.ts:1655-1705), one
    /// page, without scripts. `name_part` is a case-insensitive substring filter.
    pub async fn get_scenarios(
        &self,
        application_id: u64,
        name_part: Option<&str>,
        offset: u64,
    ) -> Result<Page<ScenarioInfo>, Error> {
        let p = Params::new()
            .num("application_id", application_id)
            .text_opt("scenario_name", name_part)
            .num("offset", offset);
        self.call("GetScenarios", &p).await
    }

    /// Every scenario of the application named exactly `name`.
    pub async fn find_scenarios(
        &self,
        application_id: u64,
        name: &str,
    ) -> Result<Vec<ScenarioInfo>, Error> {
        let all = all_pages("GetScenarios", |offset| {
            self.get_scenarios(application_id, Some(name), offset)
        })
        .await?;
        Ok(all
            .into_iter()
            .filter(|s| s.scenario_name == name && s.parent != Some(true))
            .collect())
    }

    /// One scenario's script: GetScenarios with `scenario_id` and `with_script`
    /// ("You must specify the 'scenario_id' too!", Interfaces.ts:1655-1705).
    pub async fn get_scenario_script(
        &self,
        application_id: u64,
        scenario_id: u64,
    ) -> Result<Option<String>, Error> {
        let p = Params::new()
            .num("application_id", application_id)
            .num("scenario_id", scenario_id)
            .flag("with_script", true);
        let page: Page<ScenarioInfo> = self.call("GetScenarios", &p).await?;
        Ok(page
            .result
            .into_iter()
            .find(|s| s.scenario_id == scenario_id)
            .and_then(|s| s.scenario_script))
    }

    /// AddScenario in an application (index.ts:1840; Interfaces.ts:1557-1592).
    pub async fn add_scenario(
        &self,
        application_id: u64,
        name: &str,
        script: &str,
    ) -> Result<u64, Error> {
        limits::scenario_name(name)?;
        limits::scenario_script(script)?;
        let p = Params::new()
            .num("application_id", application_id)
            .text("scenario_name", name)
            .text("scenario_script", script);
        let r: ScenarioId = self.call("AddScenario", &p).await?;
        Ok(r.scenario_id)
    }

    /// SetScenarioInfo: replaces a scenario's script (index.ts:1989; Interfaces.ts:1710-1732).
    pub async fn set_scenario_script(&self, scenario_id: u64, script: &str) -> Result<(), Error> {
        limits::scenario_script(script)?;
        let p = Params::new()
            .num("scenario_id", scenario_id)
            .text("scenario_script", script);
        done(self, "SetScenarioInfo", p).await
    }

    /// GetRules of one application with their bound scenarios (index.ts:2267;
    /// Interfaces.ts:1993-2040), one page. `name_part` filters by a part of the name.
    pub async fn get_rules(
        &self,
        application_id: u64,
        name_part: Option<&str>,
        offset: u64,
    ) -> Result<Page<RuleInfo>, Error> {
        let p = Params::new()
            .num("application_id", application_id)
            .text_opt("rule_name", name_part)
            .flag("with_scenarios", true)
            .num("offset", offset);
        self.call("GetRules", &p).await
    }

    /// Every rule of the application named exactly `name`.
    pub async fn find_rules(
        &self,
        application_id: u64,
        name: &str,
    ) -> Result<Vec<RuleInfo>, Error> {
        let all = all_pages("GetRules", |offset| {
            self.get_rules(application_id, Some(name), offset)
        })
        .await?;
        Ok(all.into_iter().filter(|r| r.rule_name == name).collect())
    }

    /// AddRule bound to `scenario_ids` (index.ts:2154; Interfaces.ts:1883-1926): the
    /// reference lists `scenario_id` (or `scenario_name`) as required.
    pub async fn add_rule(
        &self,
        application_id: u64,
        name: &str,
        pattern: &str,
        scenario_ids: &[u64],
    ) -> Result<u64, Error> {
        limits::rule_name(name)?;
        limits::rule_pattern(pattern)?;
        if scenario_ids.is_empty() {
            return Err(Error::InvalidInput(
                "a rule needs at least one scenario".into(),
            ));
        }
        let p = Params::new()
            .num("application_id", application_id)
            .text("rule_name", name)
            .text("rule_pattern", pattern)
            .list("scenario_id", scenario_ids);
        let r: RuleId = self.call("AddRule", &p).await?;
        Ok(r.rule_id)
    }

    /// SetRuleInfo (index.ts:2234; Interfaces.ts:1959-1989).
    pub async fn set_rule_info(&self, rule_id: u64, update: &RuleUpdate) -> Result<(), Error> {
        if let Some(n) = &update.rule_name {
            limits::rule_name(n)?;
        }
        if let Some(p) = &update.rule_pattern {
            limits::rule_pattern(p)?;
        }
        let p = Params::new()
            .num("rule_id", rule_id)
            .text_opt("rule_name", update.rule_name.clone())
            .text_opt("rule_pattern", update.rule_pattern.clone())
            .text_opt("rule_pattern_exclude", update.rule_pattern_exclude.clone());
        done(self, "SetRuleInfo", p).await
    }

    /// BindScenario: binds (`bind = true`) or unbinds scenarios and a rule of the same
    /// application (index.ts:1896; Interfaces.ts:1617-1651).
    pub async fn bind_scenarios(
        &self,
        application_id: u64,
        rule_id: u64,
        scenario_ids: &[u64],
        bind: bool,
    ) -> Result<(), Error> {
        let p = Params::new()
            .num("application_id", application_id)
            .num("rule_id", rule_id)
            .list("scenario_id", scenario_ids)
            .flag("bind", bind);
        done(self, "BindScenario", p).await
    }

    /// GetSecrets of an application, one page (index.ts:7615; Interfaces.ts:7204-7239).
    pub async fn get_secrets(
        &self,
        application_id: u64,
        offset: u64,
    ) -> Result<Page<SecretInfo>, Error> {
        let p = Params::new()
            .num("application_id", application_id)
            .num("offset", offset);
        self.call("GetSecrets", &p).await
    }

    /// Every secret of an application (names and ids; no values).
    pub async fn list_secrets(&self, application_id: u64) -> Result<Vec<SecretInfo>, Error> {
        all_pages("GetSecrets", |offset| {
            self.get_secrets(application_id, offset)
        })
        .await
    }

    /// GetSecretValue (index.ts:7584; Interfaces.ts:7178-7200): `result` is an array of
    /// `GetSecretValueResult` (Structures.ts:4886).
    pub async fn get_secret_value(
        &self,
        application_id: u64,
        secret_id: u64,
    ) -> Result<Secret, Error> {
        #[derive(Deserialize)]
        struct Answer {
            result: Vec<SecretValue>,
        }
        let p = Params::new()
            .num("application_id", application_id)
            .num("secret_id", secret_id);
        let a: Answer = self.call("GetSecretValue", &p).await?;
        a.result
            .into_iter()
            .next()
            .map(|v| Secret::new(v.secret_value))
            .ok_or_else(|| Error::Decode {
                method: "GetSecretValue".into(),
                reason: "`result` is empty".into(),
            })
    }

    /// AddSecret (index.ts:7513; Interfaces.ts:7122-7149): `result` is
    /// `[{"secret_id": N}]` (Structures.ts:4880).
    pub async fn add_secret(
        &self,
        application_id: u64,
        name: &str,
        value: &Secret,
    ) -> Result<u64, Error> {
        #[derive(Deserialize)]
        struct Answer {
            result: Vec<SecretId>,
        }
        limits::secret_name(name)?;
        limits::secret_value(name, value.char_len())?;
        let p = Params::new()
            .num("application_id", application_id)
            .text("secret_name", name)
            .secret("secret_value", value);
        let a: Answer = self.call("AddSecret", &p).await?;
        a.result
            .first()
            .map(|s| s.secret_id)
            .ok_or_else(|| Error::Decode {
                method: "AddSecret".into(),
                reason: "`result` is empty".into(),
            })
    }

    /// SetSecretInfo with a new value (index.ts:7649; Interfaces.ts:7242-7276).
    pub async fn set_secret_value(
        &self,
        application_id: u64,
        secret_id: u64,
        name: &str,
        value: &Secret,
    ) -> Result<(), Error> {
        limits::secret_value(name, value.char_len())?;
        let p = Params::new()
            .num("application_id", application_id)
            .num("secret_id", secret_id)
            .secret("secret_value", value);
        done(self, "SetSecretInfo", p).await
    }

    /// DelSecret (index.ts:7553; Interfaces.ts:7152-7175).
    pub async fn del_secret(&self, application_id: u64, secret_id: u64) -> Result<(), Error> {
        let p = Params::new()
            .num("application_id", application_id)
            .num("secret_id", secret_id);
        done(self, "DelSecret", p).await
    }
}
