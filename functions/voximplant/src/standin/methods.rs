//! The methods, each from its reference. Allowed parameters are the raw names of the
//! official Node client's request mapper for the method
//! (voximplant/apiclient-nodejs@281e5c4199b6a7ed9bf3d7c880729306dffe82a3 src/index.ts, the
//! line cited at each method); required ones and limits are from the request interface
//! (src/Interfaces.ts) and the reference pages
//! (<https://voximplant.com/docs/references/httpapi/applications>, …/scenarios, …/rules,
//! and the secrets methods of <https://voximplant.com/docs/guides/voxengine/secrets>).
//! Answers follow the response interfaces and src/Structures.ts.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    Application, Refusal, Rule, Scenario, State, StoredSecret, format_time, invalid,
    invalid_application_name,
};
use crate::secret::Secret;

/// The page size when `count` is not given. Not documented; small, so paging is exercised.
const DEFAULT_COUNT: usize = 20;

pub(crate) struct Args(BTreeMap<String, String>);

impl Args {
    pub(crate) fn new(map: BTreeMap<String, String>) -> Self {
        Args(map)
    }

    /// Refuses any parameter the method does not take.
    pub(crate) fn only(&self, allowed: &[&str]) -> Result<(), Refusal> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(invalid(format!("unknown parameter {k:?}"))),
            None => Ok(()),
        }
    }

    pub(crate) fn str(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    pub(crate) fn required(&self, k: &str) -> Result<&str, Refusal> {
        match self.str(k) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(invalid(format!("{k} is required"))),
        }
    }

    pub(crate) fn num(&self, k: &str) -> Result<Option<u64>, Refusal> {
        match self.str(k) {
            None => Ok(None),
            Some(v) if !v.is_empty() && v.len() <= 19 && v.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(v.parse().ok())
            }
            Some(v) => Err(invalid(format!("{k}={v:?} is not a number"))),
        }
    }

    /// A boolean: `true`/`false` in any case (the Node client sends `true`, the Python
    /// one `True`); anything else is refused.
    pub(crate) fn flag(&self, k: &str) -> Result<Option<bool>, Refusal> {
        match self.str(k) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(invalid(format!("{k}={v:?} is not a boolean"))),
        }
    }

    /// An `intlist`: numbers separated by `;`.
    pub(crate) fn num_list(&self, k: &str) -> Result<Option<Vec<u64>>, Refusal> {
        let Some(v) = self.str(k) else {
            return Ok(None);
        };
        v.split(';')
            .map(|p| {
                if !p.is_empty() && p.len() <= 19 && p.bytes().all(|b| b.is_ascii_digit()) {
                    p.parse().map_err(|_| invalid(format!("{k}={v:?}")))
                } else {
                    Err(invalid(format!("{k}={v:?} is not a ';'-list of numbers")))
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    pub(crate) fn str_list(&self, k: &str) -> Result<Option<Vec<String>>, Refusal> {
        let Some(v) = self.str(k) else {
            return Ok(None);
        };
        let items: Vec<String> = v.split(';').map(str::to_owned).collect();
        if items.iter().any(String::is_empty) {
            return Err(invalid(format!("{k} has an empty item")));
        }
        Ok(Some(items))
    }

    /// `count` (at least 1) and `offset`.
    pub(crate) fn paging(&self) -> Result<(usize, usize), Refusal> {
        let count = match self.num("count")? {
            Some(0) => return Err(invalid("count must be at least 1")),
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
            None => DEFAULT_COUNT,
        };
        let offset = usize::try_from(self.num("offset")?.unwrap_or(0)).unwrap_or(usize::MAX);
        Ok((count, offset))
    }

    /// The `application_id` or `application_name` pair: one of them (not both); the
    /// name may be the short or the full one.
    fn application(&self, state: &State, required: bool) -> Result<Option<u64>, Refusal> {
        let id = self.num("application_id")?;
        let name = self.str("application_name");
        match (id, name) {
            (Some(_), Some(_)) => Err(invalid("both application_id and application_name")),
            (Some(id), None) => state
                .applications
                .iter()
                .find(|a| a.id == id)
                .map(|a| Some(a.id))
                .ok_or_else(|| invalid(format!("no application {id}"))),
            (None, Some(n)) => state
                .applications
                .iter()
                .find(|a| a.name == n || a.full_name == n)
                .map(|a| Some(a.id))
                .ok_or_else(|| invalid(format!("no application {n:?}"))),
            (None, None) if required => {
                Err(invalid("application_id or application_name is required"))
            }
            (None, None) => Ok(None),
        }
    }
}

fn page<T>(items: Vec<T>, count: usize, offset: usize, f: impl Fn(&T) -> Value) -> Value {
    let total = items.len();
    let shown: Vec<Value> = items.iter().skip(offset).take(count).map(f).collect();
    json!({"result": shown, "total_count": total, "count": shown.len()})
}

fn ok() -> Value {
    json!({"result": 1})
}

/// Scenario names: "The length must be less than 30" (Interfaces.ts:1557-1562, 1710-1732).
fn check_scenario_name(name: &str) -> Result<(), Refusal> {
    let n = name.chars().count();
    if n == 0 || n >= 30 {
        return Err(invalid(format!(
            "scenario_name has {n} characters; less than 30 required"
        )));
    }
    if name.contains(';') {
        // Lists of scenario names are ';'-separated (BindScenario, AddRule): such a name
        // could never be bound by name. Not documented; refused.
        return Err(invalid("scenario_name contains ';'"));
    }
    Ok(())
}

/// Scripts: "The length must be less than 128 KB" (Interfaces.ts:1563-1566, 1710-1732).
fn check_script(script: &str) -> Result<(), Refusal> {
    if script.len() >= 128 * 1024 {
        return Err(invalid(format!(
            "scenario_script has {} bytes; less than 128 KB required",
            script.len()
        )));
    }
    Ok(())
}

/// Rule names: "The length must be less than 100"; patterns: "less than 64 KB"
/// (Interfaces.ts:1883-1926, 1959-1989).
fn check_rule(
    name: Option<&str>,
    pattern: Option<&str>,
    exclude: Option<&str>,
) -> Result<(), Refusal> {
    if let Some(n) = name {
        let len = n.chars().count();
        if len == 0 || len >= 100 {
            return Err(invalid(format!(
                "rule_name has {len} characters; 1..99 required"
            )));
        }
    }
    for (k, p) in [("rule_pattern", pattern), ("rule_pattern_exclude", exclude)] {
        if let Some(p) = p
            && p.len() >= 64 * 1024
        {
            return Err(invalid(format!("{k} is not less than 64 KB")));
        }
    }
    Ok(())
}

/// Secret names: "must start with a Latin letter and can contain up to 64 characters,
/// including Latin letters, digits and underscores"; values: "Maximum length is 8192
/// characters" (Interfaces.ts:7122-7140).
fn check_secret(name: Option<&str>, value: Option<&str>) -> Result<(), Refusal> {
    if let Some(n) = name {
        let mut chars = n.chars();
        let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
            && n.len() <= 64
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(invalid(format!(
                "secret name {n:?} is not [A-Za-z][A-Za-z0-9_]{{0,63}}"
            )));
        }
    }
    if let Some(v) = value {
        let n = v.chars().count();
        if n == 0 || n > 8192 {
            return Err(invalid(format!(
                "secret_value has {n} characters; 1..8192 required"
            )));
        }
    }
    Ok(())
}

/// Descriptions: "When processing, the length is truncated to the first 200 characters".
fn truncate_description(d: Option<&str>) -> Option<String> {
    d.map(|d| d.chars().take(200).collect())
}

fn scenario_json(s: &Scenario, with_script: bool) -> Value {
    let mut v = json!({
        "scenario_id": s.id,
        "scenario_name": s.name,
        "modified": s.modified,
        "parent": false,
    });
    if with_script {
        v["scenario_script"] = json!(s.script);
    }
    v
}

pub(crate) fn dispatch(
    method: &str,
    a: &Args,
    st: &mut State,
    account: &str,
    now: i64,
) -> Result<Value, Refusal> {
    let stamp = format_time(now);
    match method {
        // index.ts:1245-1279; Interfaces.ts:834-868; Structures.ts:363 ApplicationInfo.
        "GetApplications" => {
            a.only(&[
                "application_id",
                "application_name",
                "with_rules",
                "with_scenarios",
                "count",
                "offset",
            ])?;
            let id = a.num("application_id")?;
            let part = a.str("application_name");
            a.flag("with_rules")?;
            a.flag("with_scenarios")?;
            let (count, offset) = a.paging()?;
            let found: Vec<&Application> = st
                .applications
                .iter()
                .filter(|x| id.is_none_or(|id| x.id == id))
                .filter(|x| part.is_none_or(|p| x.full_name.contains(p)))
                .collect();
            Ok(page(found, count, offset, |x| {
                json!({
                    "application_id": x.id,
                    "application_name": x.full_name,
                    "modified": x.modified,
                    "secure_record_storage": false,
                })
            }))
        }
        // index.ts:1145-1176; Interfaces.ts:752-781: "[a-z][a-z0-9-]{1,64}".
        "AddApplication" => {
            a.only(&["application_name", "secure_record_storage"])?;
            let name = a.required("application_name")?;
            a.flag("secure_record_storage")?;
            let mut chars = name.chars();
            let ok = matches!(chars.next(), Some('a'..='z'))
                && (2..=65).contains(&name.len())
                && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(invalid_application_name(format!(
                    "{name:?} is not [a-z][a-z0-9-]{{1,64}}"
                )));
            }
            if st.application(name).is_some() {
                return Err(invalid(format!("application {name:?} exists")));
            }
            let id = st.next_id();
            let full_name = format!("{name}.{account}.voximplant.com");
            st.applications.push(Application {
                id,
                name: name.to_owned(),
                full_name: full_name.clone(),
                modified: stamp,
            });
            Ok(json!({
                "result": 1,
                "application_id": id,
                "application_name": full_name,
                "secure_record_storage": false,
            }))
        }
        // index.ts:1930-1984; Interfaces.ts:1655-1705; Structures.ts:471 ScenarioInfo.
        "GetScenarios" => {
            a.only(&[
                "scenario_id",
                "scenario_name",
                "with_script",
                "count",
                "offset",
                "application_id",
                "application_name",
            ])?;
            let app = a.application(st, false)?;
            let id = a.num("scenario_id")?;
            let part = a.str("scenario_name").map(str::to_lowercase);
            let with_script = a.flag("with_script")?.unwrap_or(false);
            if with_script && id.is_none() {
                // "Whether to get the scenario text. You must specify the 'scenario_id' too!"
                return Err(invalid("with_script needs scenario_id"));
            }
            let (count, offset) = a.paging()?;
            let found: Vec<&Scenario> = st
                .scenarios
                .iter()
                .filter(|s| app.is_none_or(|app| s.application_id == Some(app)))
                .filter(|s| id.is_none_or(|id| s.id == id))
                .filter(|s| {
                    part.as_ref()
                        .is_none_or(|p| s.name.to_lowercase().contains(p.as_str()))
                })
                .collect();
            let mut v = page(found, count, offset, |s| scenario_json(s, with_script));
            if let Some(app) = app.and_then(|id| st.applications.iter().find(|x| x.id == id)) {
                v["application_id"] = json!(app.id);
                v["application_name"] = json!(app.name);
                v["extended_application_name"] = json!(app.full_name);
            }
            Ok(v)
        }
        // index.ts:1840-1870; Interfaces.ts:1557-1592.
        "AddScenario" => {
            a.only(&[
                "scenario_name",
                "scenario_script",
                "rule_id",
                "rule_name",
                "rewrite",
                "application_id",
                "application_name",
            ])?;
            let app = a.application(st, false)?;
            let name = a.required("scenario_name")?;
            check_scenario_name(name)?;
            let script = a.str("scenario_script").unwrap_or("");
            check_script(script)?;
            let rewrite = a.flag("rewrite")?.unwrap_or(false);
            let rule = match (a.num("rule_id")?, a.str("rule_name")) {
                (Some(_), Some(_)) => return Err(invalid("both rule_id and rule_name")),
                (Some(id), None) => Some(
                    st.rules
                        .iter()
                        .position(|r| r.id == id && app.is_none_or(|app| r.application_id == app))
                        .ok_or_else(|| invalid(format!("no rule {id} in the application")))?,
                ),
                (None, Some(n)) => {
                    let app = app.ok_or_else(|| invalid("rule_name needs the application"))?;
                    Some(
                        st.rules
                            .iter()
                            .position(|r| r.name == n && r.application_id == app)
                            .ok_or_else(|| invalid(format!("no rule {n:?} in the application")))?,
                    )
                }
                (None, None) => None,
            };
            let id = match st
                .scenarios
                .iter_mut()
                .find(|s| s.application_id == app && s.name == name)
            {
                Some(existing) if rewrite => {
                    existing.script = script.to_owned();
                    existing.modified = stamp.clone();
                    existing.id
                }
                Some(_) => {
                    return Err(invalid(format!(
                        "scenario {name:?} exists and rewrite is not set"
                    )));
                }
                None => {
                    let id = st.next_id();
                    st.scenarios.push(Scenario {
                        id,
                        application_id: app,
                        name: name.to_owned(),
                        script: script.to_owned(),
                        modified: stamp.clone(),
                    });
                    id
                }
            };
            if let Some(r) = rule {
                let rule = &mut st.rules[r];
                if !rule.scenario_ids.contains(&id) {
                    rule.scenario_ids.push(id);
                    rule.modified = stamp;
                }
            }
            Ok(json!({"result": 1, "scenario_id": id}))
        }
        // index.ts:1989-2015; Interfaces.ts:1710-1732.
        "SetScenarioInfo" => {
            a.only(&[
                "scenario_id",
                "required_scenario_name",
                "scenario_name",
                "scenario_script",
            ])?;
            let idx = match (a.num("scenario_id")?, a.str("required_scenario_name")) {
                (Some(_), Some(_)) => {
                    return Err(invalid("both scenario_id and required_scenario_name"));
                }
                (Some(id), None) => st
                    .scenarios
                    .iter()
                    .position(|s| s.id == id)
                    .ok_or_else(|| invalid(format!("no scenario {id}")))?,
                (None, Some(n)) => {
                    let matches: Vec<usize> = (0..st.scenarios.len())
                        .filter(|&i| st.scenarios[i].name == n)
                        .collect();
                    match matches.as_slice() {
                        [i] => *i,
                        [] => return Err(invalid(format!("no scenario {n:?}"))),
                        _ => return Err(invalid(format!("several scenarios are named {n:?}"))),
                    }
                }
                (None, None) => {
                    return Err(invalid("scenario_id or required_scenario_name is required"));
                }
            };
            let new_name = a.str("scenario_name");
            let script = a.str("scenario_script");
            if new_name.is_none() && script.is_none() {
                return Err(invalid("nothing to change"));
            }
            if let Some(n) = new_name {
                check_scenario_name(n)?;
                let app = st.scenarios[idx].application_id;
                if st
                    .scenarios
                    .iter()
                    .enumerate()
                    .any(|(i, s)| i != idx && s.application_id == app && s.name == n)
                {
                    return Err(invalid(format!("scenario {n:?} exists")));
                }
            }
            if let Some(s) = script {
                check_script(s)?;
            }
            let s = &mut st.scenarios[idx];
            if let Some(n) = new_name {
                s.name = n.to_owned();
            }
            if let Some(script) = script {
                s.script = script.to_owned();
            }
            s.modified = stamp;
            Ok(ok())
        }
        // index.ts:1896-1925; Interfaces.ts:1617-1651: "the scenario and the routing rule
        // need to be within the same application"; bind defaults to true.
        "BindScenario" => {
            a.only(&[
                "scenario_id",
                "scenario_name",
                "rule_id",
                "rule_name",
                "application_id",
                "application_name",
                "bind",
            ])?;
            let app = a.application(st, true)?.unwrap_or_default();
            let scenario_ids: Vec<u64> =
                match (a.num_list("scenario_id")?, a.str_list("scenario_name")?) {
                    (Some(_), Some(_)) => {
                        return Err(invalid("both scenario_id and scenario_name"));
                    }
                    (Some(ids), None) => ids,
                    (None, Some(names)) => names
                        .iter()
                        .map(|n| {
                            st.scenarios
                                .iter()
                                .find(|s| &s.name == n && s.application_id == Some(app))
                                .map(|s| s.id)
                                .ok_or_else(|| {
                                    invalid(format!("no scenario {n:?} in the application"))
                                })
                        })
                        .collect::<Result<_, _>>()?,
                    (None, None) => {
                        return Err(invalid("scenario_id or scenario_name is required"));
                    }
                };
            for id in &scenario_ids {
                if !st
                    .scenarios
                    .iter()
                    .any(|s| s.id == *id && s.application_id == Some(app))
                {
                    return Err(invalid(format!(
                        "scenario {id} is not in application {app}"
                    )));
                }
            }
            let r = match (a.num("rule_id")?, a.str("rule_name")) {
                (Some(_), Some(_)) => return Err(invalid("both rule_id and rule_name")),
                (Some(id), None) => st.rules.iter().position(|r| r.id == id),
                (None, Some(n)) => st
                    .rules
                    .iter()
                    .position(|r| r.name == n && r.application_id == app),
                (None, None) => return Err(invalid("rule_id or rule_name is required")),
            }
            .filter(|&r| st.rules[r].application_id == app)
            .ok_or_else(|| invalid(format!("no such rule in application {app}")))?;
            let bind = a.flag("bind")?.unwrap_or(true);
            let rule = &mut st.rules[r];
            for id in scenario_ids {
                if bind && !rule.scenario_ids.contains(&id) {
                    rule.scenario_ids.push(id);
                } else if !bind {
                    rule.scenario_ids.retain(|&s| s != id);
                }
            }
            rule.modified = stamp;
            Ok(ok())
        }
        // index.ts:2267-2305; Interfaces.ts:1993-2040; Structures.ts:503 RuleInfo.
        "GetRules" => {
            a.only(&[
                "application_id",
                "application_name",
                "rule_id",
                "rule_name",
                "video_conference",
                "attached_key_id",
                "template",
                "with_scenarios",
                "count",
                "offset",
            ])?;
            let app = a.application(st, true)?.unwrap_or_default();
            let id = a.num("rule_id")?;
            let part = a.str("rule_name");
            let video = a.flag("video_conference")?;
            let key = a.str("attached_key_id");
            if a.str("template").is_some() {
                return Err(invalid("template search is not modelled by the stand-in"));
            }
            let with_scenarios = a.flag("with_scenarios")?.unwrap_or(false);
            let (count, offset) = a.paging()?;
            let found: Vec<&Rule> = st
                .rules
                .iter()
                .filter(|r| r.application_id == app)
                .filter(|r| id.is_none_or(|id| r.id == id))
                .filter(|r| part.is_none_or(|p| r.name.contains(p)))
                .filter(|r| video.is_none_or(|v| r.video_conference == v))
                .filter(|r| key.is_none_or(|k| r.bind_key_id.as_deref() == Some(k)))
                .collect();
            let scenarios = &st.scenarios;
            Ok(page(found, count, offset, |r| {
                let mut v = json!({
                    "rule_id": r.id,
                    "application_id": r.application_id,
                    "rule_name": r.name,
                    "rule_pattern": r.pattern,
                    "video_conference": r.video_conference,
                    "modified": r.modified,
                });
                if let Some(x) = &r.pattern_exclude {
                    v["rule_pattern_exclude"] = json!(x);
                }
                if with_scenarios {
                    let bound: Vec<Value> = r
                        .scenario_ids
                        .iter()
                        .filter_map(|id| scenarios.iter().find(|s| s.id == *id))
                        .map(|s| scenario_json(s, false))
                        .collect();
                    v["scenarios"] = json!(bound);
                }
                v
            }))
        }
        // index.ts:2154-2202; Interfaces.ts:1883-1926; the reference
        // (https://voximplant.com/docs/references/httpapi/rules) lists scenario_id /
        // scenario_name without "Optional".
        "AddRule" => {
            a.only(&[
                "application_id",
                "application_name",
                "rule_name",
                "rule_pattern",
                "scenario_id",
                "scenario_name",
                "rule_pattern_exclude",
                "video_conference",
                "bind_key_id",
            ])?;
            let app = a.application(st, true)?.unwrap_or_default();
            let name = a.required("rule_name")?;
            let pattern = a.required("rule_pattern")?;
            let exclude = a.str("rule_pattern_exclude");
            check_rule(Some(name), Some(pattern), exclude)?;
            let video = a.flag("video_conference")?.unwrap_or(false);
            let scenario_ids: Vec<u64> =
                match (a.num_list("scenario_id")?, a.str_list("scenario_name")?) {
                    (Some(_), Some(_)) => {
                        return Err(invalid("both scenario_id and scenario_name"));
                    }
                    (Some(ids), None) => ids,
                    (None, Some(names)) => names
                        .iter()
                        .map(|n| {
                            st.scenarios
                                .iter()
                                .find(|s| &s.name == n && s.application_id.is_none_or(|x| x == app))
                                .map(|s| s.id)
                                .ok_or_else(|| invalid(format!("no scenario {n:?}")))
                        })
                        .collect::<Result<_, _>>()?,
                    (None, None) => {
                        return Err(invalid("scenario_id or scenario_name is required"));
                    }
                };
            for id in &scenario_ids {
                if !st
                    .scenarios
                    .iter()
                    .any(|s| s.id == *id && s.application_id.is_none_or(|x| x == app))
                {
                    return Err(invalid(format!(
                        "scenario {id} is not available to application {app}"
                    )));
                }
            }
            if st.rule(app, name).is_some() {
                return Err(invalid(format!("rule {name:?} exists")));
            }
            let id = st.next_id();
            st.rules.push(Rule {
                id,
                application_id: app,
                name: name.to_owned(),
                pattern: pattern.to_owned(),
                pattern_exclude: exclude.map(str::to_owned),
                video_conference: video,
                bind_key_id: a.str("bind_key_id").map(str::to_owned),
                scenario_ids,
                modified: stamp,
            });
            Ok(json!({"result": 1, "rule_id": id}))
        }
        // index.ts:2234-2262; Interfaces.ts:1959-1989.
        "SetRuleInfo" => {
            a.only(&[
                "rule_id",
                "rule_name",
                "rule_pattern",
                "rule_pattern_exclude",
                "video_conference",
                "bind_key_id",
            ])?;
            let id = a
                .num("rule_id")?
                .ok_or_else(|| invalid("rule_id is required"))?;
            let idx = st
                .rules
                .iter()
                .position(|r| r.id == id)
                .ok_or_else(|| invalid(format!("no rule {id}")))?;
            let name = a.str("rule_name");
            let pattern = a.str("rule_pattern");
            let exclude = a.str("rule_pattern_exclude");
            let video = a.flag("video_conference")?;
            let key = a.str("bind_key_id");
            if name.is_none()
                && pattern.is_none()
                && exclude.is_none()
                && video.is_none()
                && key.is_none()
            {
                return Err(invalid("nothing to change"));
            }
            check_rule(name, pattern, exclude)?;
            if pattern == Some("") {
                return Err(invalid("rule_pattern is empty"));
            }
            let app = st.rules[idx].application_id;
            if let Some(n) = name
                && st
                    .rules
                    .iter()
                    .any(|r| r.id != id && r.application_id == app && r.name == n)
            {
                return Err(invalid(format!("rule {n:?} exists")));
            }
            let r = &mut st.rules[idx];
            if let Some(n) = name {
                r.name = n.to_owned();
            }
            if let Some(p) = pattern {
                r.pattern = p.to_owned();
            }
            if let Some(x) = exclude {
                r.pattern_exclude = Some(x.to_owned()).filter(|x| !x.is_empty());
            }
            if let Some(v) = video {
                r.video_conference = v;
            }
            if let Some(k) = key {
                r.bind_key_id = Some(k.to_owned());
            }
            r.modified = stamp;
            Ok(ok())
        }
        // index.ts:7615-7644; Interfaces.ts:7204-7239; Structures.ts:4912 SecretListItem.
        "GetSecrets" => {
            a.only(&[
                "application_id",
                "application_name",
                "secret_name_part",
                "count",
                "offset",
            ])?;
            let app = a.application(st, true)?.unwrap_or_default();
            let part = a.str("secret_name_part");
            let (count, offset) = a.paging()?;
            let found: Vec<&StoredSecret> = st
                .secrets
                .iter()
                .filter(|s| s.application_id == app)
                .filter(|s| part.is_none_or(|p| s.name.contains(p)))
                .collect();
            Ok(page(found, count, offset, |s| {
                let mut v = json!({
                    "secret_id": s.id,
                    "secret_name": s.name,
                    "created": s.created,
                    "modified": s.modified,
                });
                if let Some(d) = &s.description {
                    v["description"] = json!(d);
                }
                v
            }))
        }
        // index.ts:7584-7610; Interfaces.ts:7178-7200; Structures.ts:4886 GetSecretValueResult.
        "GetSecretValue" => {
            a.only(&[
                "application_id",
                "application_name",
                "secret_id",
                "secret_name",
            ])?;
            let app = a.application(st, true)?.unwrap_or_default();
            let idx = secret_index(a, st, app)?;
            let s = &st.secrets[idx];
            let mut v = json!({
                "secret_id": s.id,
                "secret_name": s.name,
                "secret_value": s.value.expose(),
                "created": s.created,
                "modified": s.modified,
            });
            if let Some(d) = &s.description {
                v["description"] = json!(d);
            }
            Ok(json!({"result": [v]}))
        }
        // index.ts:7513-7548; Interfaces.ts:7122-7149; Structures.ts:4880 AddSecretResult.
        "AddSecret" => {
            a.only(&[
                "application_id",
                "application_name",
                "secret_name",
                "secret_value",
                "description",
            ])?;
            let app = a.application(st, true)?.unwrap_or_default();
            let name = a.required("secret_name")?;
            let value = a
                .str("secret_value")
                .ok_or_else(|| invalid("secret_value is required"))?;
            check_secret(Some(name), Some(value))?;
            if st.secret(app, name).is_some() {
                return Err(invalid(format!("secret {name:?} exists")));
            }
            let id = st.next_id();
            st.secrets.push(StoredSecret {
                id,
                application_id: app,
                name: name.to_owned(),
                value: Secret::new(value),
                description: truncate_description(a.str("description")),
                created: stamp.clone(),
                modified: stamp,
            });
            Ok(json!({"result": [{"secret_id": id}]}))
        }
        // index.ts:7649-7686; Interfaces.ts:7242-7276.
        "SetSecretInfo" => {
            a.only(&[
                "application_id",
                "application_name",
                "secret_id",
                "secret_name",
                "new_secret_name",
                "secret_value",
                "description",
            ])?;
            let app = a.application(st, true)?.unwrap_or_default();
            let idx = secret_index(a, st, app)?;
            let new_name = a.str("new_secret_name");
            let value = a.str("secret_value");
            let description = a.str("description");
            if new_name.is_none() && value.is_none() && description.is_none() {
                return Err(invalid("nothing to change"));
            }
            check_secret(new_name, value)?;
            if let Some(n) = new_name {
                let id = st.secrets[idx].id;
                if st
                    .secrets
                    .iter()
                    .any(|s| s.id != id && s.application_id == app && s.name == n)
                {
                    return Err(invalid(format!("secret {n:?} exists")));
                }
            }
            let s = &mut st.secrets[idx];
            if let Some(n) = new_name {
                s.name = n.to_owned();
            }
            if let Some(v) = value {
                s.value = Secret::new(v);
            }
            if description.is_some() {
                s.description = truncate_description(description);
            }
            s.modified = stamp;
            Ok(ok())
        }
        // index.ts:7553-7579; Interfaces.ts:7152-7175: ids a ';'-list or 'all', names a ';'-list.
        "DelSecret" => {
            a.only(&[
                "application_id",
                "application_name",
                "secret_id",
                "secret_name",
            ])?;
            let app = a.application(st, true)?.unwrap_or_default();
            let doomed: Vec<u64> = match (a.str("secret_id"), a.str_list("secret_name")?) {
                (Some(_), Some(_)) => return Err(invalid("both secret_id and secret_name")),
                (Some("all"), None) => st
                    .secrets
                    .iter()
                    .filter(|s| s.application_id == app)
                    .map(|s| s.id)
                    .collect(),
                (Some(_), None) => {
                    let ids = a.num_list("secret_id")?.unwrap_or_default();
                    for id in &ids {
                        if !st
                            .secrets
                            .iter()
                            .any(|s| s.id == *id && s.application_id == app)
                        {
                            return Err(invalid(format!("no secret {id}")));
                        }
                    }
                    ids
                }
                (None, Some(names)) => names
                    .iter()
                    .map(|n| {
                        st.secret(app, n)
                            .map(|s| s.id)
                            .ok_or_else(|| invalid(format!("no secret {n:?}")))
                    })
                    .collect::<Result<_, _>>()?,
                (None, None) => return Err(invalid("secret_id or secret_name is required")),
            };
            st.secrets.retain(|s| !doomed.contains(&s.id));
            Ok(ok())
        }
        m if super::call_lists::serves(m) => super::call_lists::dispatch(m, a, st, now),
        "StartScenarios" => super::scenarios::start(a, st, now),
        // https://voximplant.com/docs/references/httpapi/errors: 103 "Unknown command".
        // Real methods the stand-in does not model are refused the same way.
        _ => Err(super::refusal(
            103,
            "Unknown command",
            format!("{method:?} is not served"),
        )),
    }
}

/// `secret_id` or `secret_name` (one of them) in the application.
fn secret_index(a: &Args, st: &State, app: u64) -> Result<usize, Refusal> {
    match (a.num("secret_id")?, a.str("secret_name")) {
        (Some(_), Some(_)) => Err(invalid("both secret_id and secret_name")),
        (Some(id), None) => st
            .secrets
            .iter()
            .position(|s| s.id == id && s.application_id == app)
            .ok_or_else(|| invalid(format!("no secret {id}"))),
        (None, Some(n)) => st
            .secrets
            .iter()
            .position(|s| s.name == n && s.application_id == app)
            .ok_or_else(|| invalid(format!("no secret {n:?}"))),
        (None, None) => Err(invalid("secret_id or secret_name is required")),
    }
}
