//! How the default scenario converses and routes a tenant's calls: when it gives up on
//! understanding and offers a person, how hot a lead must be to be offered a manager at
//! once, and the departments calls are routed to, with their numbers, working hours and
//! time zones.
//!
//! These settings are typed and checked here (a change that breaks a rule is refused
//! whole) and reach the scenario as `context.tenant.settings.dialog`
//! ([`TenantSettings::context`](crate::TenantSettings::context)), so a tenant changes the
//! behaviour with `sva tenant set …` or the admin API, without writing a module. The
//! rules the scenario applies are in `docs/scenario-sdk.md`.

use serde::{Deserialize, Serialize};

/// The key under which [`DialogSettings`] reach the scenario in `context.tenant.settings`
/// (reserved: free-form settings may not use it).
pub const DIALOG_SETTINGS_KEY: &str = "dialog";

/// The most departments a tenant may describe.
pub const MAX_DEPARTMENTS: usize = 10;

/// How the default scenario converses and routes calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DialogSettings {
    /// Caller turns in a row the assistant cannot use before it offers a manager (or a
    /// callback outside working hours) instead of asking on, 1..=10.
    #[serde(default = "default_misunderstanding_limit")]
    pub misunderstanding_limit: u8,
    /// How hot a lead is, from the score of what the caller said.
    #[serde(default)]
    pub temperature: TemperatureRules,
    /// Where transfers go, by the caller's topic; empty: the tenant's `manager_phone`,
    /// at any hour.
    #[serde(default)]
    pub departments: Vec<Department>,
}

impl Default for DialogSettings {
    fn default() -> Self {
        DialogSettings {
            misunderstanding_limit: default_misunderstanding_limit(),
            temperature: TemperatureRules::default(),
            departments: Vec::new(),
        }
    }
}

/// The thresholds of a lead's temperature (the score is 0..=100, `docs/scenario-sdk.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemperatureRules {
    /// A lead that decides and scores this much is hot and offered a manager at once,
    /// 1..=100.
    #[serde(default = "default_hot_score")]
    pub hot_score: u8,
    /// A lead scoring this much (below `hot_score`) is warm, 0..=100.
    #[serde(default = "default_warm_score")]
    pub warm_score: u8,
    /// A timeline at most this many days away counts as urgent (full points), 1..=365.
    #[serde(default = "default_urgent_days")]
    pub urgent_days: u16,
}

impl Default for TemperatureRules {
    fn default() -> Self {
        TemperatureRules {
            hot_score: default_hot_score(),
            warm_score: default_warm_score(),
            urgent_days: default_urgent_days(),
        }
    }
}

/// A department calls can be transferred to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    /// `[a-z0-9_-]{1,32}`; `sales` is where leads go, and `sales`, `support` and
    /// `accounting` have built-in names and topics.
    pub id: String,
    /// What callers hear («отдел продаж»); empty: the built-in name for the id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// E.164 number.
    pub phone: String,
    /// Word stems that route a caller here («поддержк», «не работает»); empty: the
    /// built-in ones for the id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// When it answers; empty: at any hour.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<OpenHours>,
    /// Its time zone, minutes east of UTC; absent: the tenant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
}

/// Days and the hours of those days a department answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenHours {
    /// The days.
    pub days: Vec<Weekday>,
    /// Opening time, `HH:MM`.
    pub open: String,
    /// Closing time, `HH:MM` (`24:00` for midnight), after `open`.
    pub close: String,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// Every day, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The day its three-letter English name names (`mon`…`sun`).
    pub fn parse(name: &str) -> Option<Weekday> {
        Weekday::ALL
            .into_iter()
            .find(|d| d.name() == name.to_ascii_lowercase())
    }

    /// Its three-letter name.
    pub fn name(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }
}

/// A change of the dialog settings: only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DialogChange {
    /// Unusable caller turns in a row before a manager is offered, 1..=10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub misunderstanding_limit: Option<u8>,
    /// Temperature thresholds: only the fields present change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<TemperatureChange>,
    /// The departments: replaces the list (`[]` removes them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departments: Option<Vec<Department>>,
}

/// A change of the temperature thresholds: only the fields present change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemperatureChange {
    /// The hot score, 1..=100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_score: Option<u8>,
    /// The warm score, below the hot one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_score: Option<u8>,
    /// Days within which a timeline is urgent, 1..=365.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent_days: Option<u16>,
}

impl DialogSettings {
    /// Whether nothing differs from the defaults.
    pub fn is_default(&self) -> bool {
        *self == DialogSettings::default()
    }

    /// These settings with `change` applied and checked, or the sentence that says which
    /// rule it breaks.
    pub fn changed(&self, change: &DialogChange) -> Result<DialogSettings, String> {
        let mut next = self.clone();
        if let Some(limit) = change.misunderstanding_limit {
            next.misunderstanding_limit = limit;
        }
        if let Some(t) = &change.temperature {
            let rules = &mut next.temperature;
            rules.hot_score = t.hot_score.unwrap_or(rules.hot_score);
            rules.warm_score = t.warm_score.unwrap_or(rules.warm_score);
            rules.urgent_days = t.urgent_days.unwrap_or(rules.urgent_days);
        }
        if let Some(departments) = &change.departments {
            next.departments = departments.clone();
            for department in &mut next.departments {
                department.topics = department
                    .topics
                    .iter()
                    .map(|t| t.trim().to_lowercase().replace('ё', "е"))
                    .collect();
            }
        }
        next.check()?;
        Ok(next)
    }

    /// Checks every rule: the ranges, and each department's id, number, topics and hours.
    pub fn check(&self) -> Result<(), String> {
        let limit = self.misunderstanding_limit;
        if !(1..=10).contains(&limit) {
            return Err(format!(
                "`dialog.misunderstanding_limit` must be 1..=10, not {limit}"
            ));
        }
        let t = &self.temperature;
        if !(1..=100).contains(&t.hot_score) {
            return Err(format!(
                "`dialog.temperature.hot_score` must be 1..=100, not {}",
                t.hot_score
            ));
        }
        if t.warm_score >= t.hot_score {
            return Err(format!(
                "`dialog.temperature.warm_score` must be below hot_score ({}), not {}",
                t.hot_score, t.warm_score
            ));
        }
        if !(1..=365).contains(&t.urgent_days) {
            return Err(format!(
                "`dialog.temperature.urgent_days` must be 1..=365, not {}",
                t.urgent_days
            ));
        }
        if self.departments.len() > MAX_DEPARTMENTS {
            return Err(format!(
                "`dialog.departments` may list at most {MAX_DEPARTMENTS} departments"
            ));
        }
        for (i, department) in self.departments.iter().enumerate() {
            if self.departments[..i].iter().any(|d| d.id == department.id) {
                return Err(format!(
                    "department {:?} is listed twice in `dialog.departments`",
                    department.id
                ));
            }
            department.check()?;
        }
        Ok(())
    }
}

impl Department {
    /// Checks the id, the number, the name, the topics and the hours.
    pub fn check(&self) -> Result<(), String> {
        let id = &self.id;
        let id_ok = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !id_ok {
            return Err(format!(
                "department id {id:?} must be 1..=32 of a-z, 0-9, '_', '-'"
            ));
        }
        if !sva_abi::phone::is_e164(&self.phone) {
            return Err(format!(
                "department {id}: `phone` must be E.164 (+74951234567), not {:?}",
                self.phone
            ));
        }
        if self.name.chars().count() > 60 {
            return Err(format!(
                "department {id}: `name` must be at most 60 characters"
            ));
        }
        if self.topics.len() > 30
            || self
                .topics
                .iter()
                .any(|t| t.trim().is_empty() || t.chars().count() > 40)
        {
            return Err(format!(
                "department {id}: `topics` must be at most 30 words or phrases of 1..=40 characters"
            ));
        }
        if let Some(minutes) = self.utc_offset_minutes
            && !(-720..=840).contains(&minutes)
        {
            return Err(format!(
                "department {id}: `utc_offset_minutes` must be -720..=840, not {minutes}"
            ));
        }
        if self.hours.len() > 14 {
            return Err(format!("department {id}: at most 14 entries in `hours`"));
        }
        for hours in &self.hours {
            hours.check().map_err(|e| format!("department {id}: {e}"))?;
        }
        Ok(())
    }

    /// A department from the command line's short form: `id=+74951234567` followed by
    /// any number of `days hh:mm-hh:mm` (`mon-fri 09:00-18:00 sat 10:00-14:00`). The
    /// name and topics are the built-in ones for the id; the time zone is the tenant's.
    pub fn parse_spec(spec: &str) -> Result<Department, String> {
        let bad =
            || format!("a department is `id=+74951234567 [mon-fri 09:00-18:00 …]`, not {spec:?}");
        let mut words = spec.split_whitespace();
        let (id, phone) = words
            .next()
            .and_then(|w| w.split_once('='))
            .ok_or_else(bad)?;
        let mut hours = Vec::new();
        let rest: Vec<&str> = words.collect();
        for pair in rest.chunks(2) {
            let [days, times] = pair else {
                return Err(bad());
            };
            let (open, close) = times.split_once('-').ok_or_else(bad)?;
            hours.push(OpenHours {
                days: parse_days(days).ok_or_else(bad)?,
                open: open.to_owned(),
                close: close.to_owned(),
            });
        }
        let department = Department {
            id: id.to_owned(),
            name: String::new(),
            phone: phone.to_owned(),
            topics: Vec::new(),
            hours,
            utc_offset_minutes: None,
        };
        department.check()?;
        Ok(department)
    }
}

/// `mon-fri`, `sat`, `mon,wed,fri`.
fn parse_days(text: &str) -> Option<Vec<Weekday>> {
    let mut days = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (Weekday::parse(first)?, Weekday::parse(last)?);
                if last < first {
                    return None;
                }
                days.extend(
                    Weekday::ALL
                        .into_iter()
                        .filter(|d| *d >= first && *d <= last),
                );
            }
            None => days.push(Weekday::parse(part)?),
        }
    }
    Some(days)
}

impl OpenHours {
    /// Days present, both times `HH:MM`, closing after opening.
    pub fn check(&self) -> Result<(), String> {
        if self.days.is_empty() {
            return Err("each `hours` entry needs its `days`".into());
        }
        match (minutes(&self.open), minutes(&self.close)) {
            (Some(open), Some(close)) if open < close => Ok(()),
            _ => Err(format!(
                "`hours` must be HH:MM with closing after opening, not {}–{}",
                self.open, self.close
            )),
        }
    }
}

/// Minutes after midnight of `HH:MM` (`24:00` is 1440).
pub fn minutes(time: &str) -> Option<u32> {
    let (h, m) = time.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn default_misunderstanding_limit() -> u8 {
    3
}

fn default_hot_score() -> u8 {
    70
}

fn default_warm_score() -> u8 {
    40
}

fn default_urgent_days() -> u16 {
    30
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(value: serde_json::Value) -> DialogChange {
        serde_json::from_value(value).expect("a dialog change")
    }

    #[test]
    fn defaults_are_three_misunderstandings_and_seventy_points() {
        let settings: DialogSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings, DialogSettings::default());
        assert_eq!(settings.misunderstanding_limit, 3);
        assert_eq!(settings.temperature.hot_score, 70);
        assert_eq!(settings.temperature.warm_score, 40);
        assert_eq!(settings.temperature.urgent_days, 30);
        assert!(settings.check().is_ok());
    }

    #[test]
    fn each_rule_refuses_with_the_field_named() {
        let base = DialogSettings::default();
        for (value, words) in [
            (
                json!({"misunderstanding_limit": 0}),
                "misunderstanding_limit",
            ),
            (
                json!({"misunderstanding_limit": 11}),
                "misunderstanding_limit",
            ),
            (json!({"temperature": {"hot_score": 0}}), "hot_score"),
            (json!({"temperature": {"hot_score": 101}}), "hot_score"),
            (json!({"temperature": {"warm_score": 70}}), "warm_score"),
            (json!({"temperature": {"urgent_days": 0}}), "urgent_days"),
            (
                json!({"departments": [{"id": "Sales", "phone": "+74951234567"}]}),
                "department id",
            ),
            (
                json!({"departments": [{"id": "sales", "phone": "84951234567"}]}),
                "E.164",
            ),
            (
                json!({"departments": [{"id": "sales", "phone": "+74951234567"}, {"id": "sales", "phone": "+74951234568"}]}),
                "twice",
            ),
            (
                json!({"departments": [{"id": "sales", "phone": "+74951234567", "hours": [{"days": [], "open": "09:00", "close": "18:00"}]}]}),
                "days",
            ),
            (
                json!({"departments": [{"id": "sales", "phone": "+74951234567", "hours": [{"days": ["mon"], "open": "18:00", "close": "09:00"}]}]}),
                "closing after opening",
            ),
            (
                json!({"departments": [{"id": "sales", "phone": "+74951234567", "hours": [{"days": ["mon"], "open": "9:00", "close": "18:00"}]}]}),
                "HH:MM",
            ),
            (
                json!({"departments": [{"id": "sales", "phone": "+74951234567", "utc_offset_minutes": 900}]}),
                "utc_offset_minutes",
            ),
            (
                json!({"departments": [{"id": "sales", "phone": "+74951234567", "topics": [""]}]}),
                "topics",
            ),
        ] {
            let error = base
                .changed(&change(value.clone()))
                .expect_err(&value.to_string());
            assert!(error.contains(words), "{value}: {error}");
        }
        let unknown = serde_json::from_value::<DialogChange>(json!({"hot_score": 80}));
        assert!(unknown.is_err(), "a typo is refused, not ignored");
    }

    #[test]
    fn a_change_sets_only_what_it_names() {
        let base = DialogSettings::default();
        let next = base
            .changed(&change(json!({
                "temperature": {"hot_score": 80},
                "departments": [{"id": "support", "phone": "+74951234568", "topics": [" Не Работает "],
                    "hours": [{"days": ["mon", "tue"], "open": "09:00", "close": "24:00"}]}],
            })))
            .unwrap();
        assert_eq!(next.temperature.hot_score, 80);
        assert_eq!(next.temperature.warm_score, 40, "untouched");
        assert_eq!(next.misunderstanding_limit, 3, "untouched");
        assert_eq!(next.departments[0].topics, ["не работает"], "folded");
        let cleared = next.changed(&change(json!({"departments": []}))).unwrap();
        assert!(cleared.departments.is_empty());
        assert_eq!(cleared.temperature.hot_score, 80);
    }

    #[test]
    fn the_short_form_of_a_department() {
        let d = Department::parse_spec("support=+74951234568 mon-fri 09:00-18:00 sat 10:00-14:00")
            .unwrap();
        assert_eq!(d.id, "support");
        assert_eq!(d.phone, "+74951234568");
        assert_eq!(d.hours.len(), 2);
        assert_eq!(d.hours[0].days.len(), 5);
        assert_eq!(d.hours[1].days, [Weekday::Sat]);
        assert_eq!(d.hours[1].close, "14:00");
        let always = Department::parse_spec("sales=+74951234567").unwrap();
        assert!(always.hours.is_empty());
        for bad in [
            "",
            "sales",
            "sales=+7495",
            "sales=+74951234567 mon-fri",
            "sales=+74951234567 fri-mon 09:00-18:00",
            "sales=+74951234567 mon-fri 09:00",
            "sales=+74951234567 xyz 09:00-18:00",
        ] {
            assert!(Department::parse_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_of_day() {
        assert_eq!(minutes("09:30"), Some(570));
        assert_eq!(minutes("24:00"), Some(1440));
        for bad in ["9:30", "24:01", "12:60", "ab:cd", "1200"] {
            assert_eq!(minutes(bad), None, "{bad}");
        }
    }
}
