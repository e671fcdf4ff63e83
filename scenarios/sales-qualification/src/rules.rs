//! The tenant's dialog settings as the scenario reads them: `context.tenant.settings.dialog`
//! (written and checked by `sva-tenants`, `DialogSettings`), read leniently — a value
//! this version does not know, or one missing, leaves the default in place.

use serde::Deserialize;
use serde_json::Value;

/// How the scenario escalates, rates leads and routes transfers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct Rules {
    /// Unusable caller turns in a row before a person is offered.
    pub misunderstanding_limit: u8,
    /// Temperature thresholds.
    pub temperature: Temperature,
    /// Where transfers go, by topic.
    pub departments: Vec<Department>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            misunderstanding_limit: 3,
            temperature: Temperature::default(),
            departments: Vec::new(),
        }
    }
}

/// A lead's temperature thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Temperature {
    /// A caller who decides and scores this much is hot.
    pub hot_score: u8,
    /// A lead scoring this much is warm.
    pub warm_score: u8,
    /// A timeline within this many days is urgent.
    pub urgent_days: u16,
}

impl Default for Temperature {
    fn default() -> Self {
        Temperature {
            hot_score: 70,
            warm_score: 40,
            urgent_days: 30,
        }
    }
}

/// A department transfers can go to.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Department {
    /// `sales`, `support`, `accounting`, or the tenant's own.
    pub id: String,
    /// What callers hear; empty: the built-in name.
    pub name: String,
    /// E.164 number.
    pub phone: String,
    /// Words that route a caller here; empty: the built-in ones.
    pub topics: Vec<String>,
    /// When it answers; empty: always.
    pub hours: Vec<OpenHours>,
    /// Minutes east of UTC; absent: the tenant's (the offset of `context.now`).
    pub utc_offset_minutes: Option<i32>,
}

/// Days and hours a department answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OpenHours {
    /// `mon` … `sun`.
    pub days: Vec<String>,
    /// `HH:MM`.
    pub open: String,
    /// `HH:MM`.
    pub close: String,
}

impl Rules {
    /// The rules in `settings` (`dialog`), with the legacy top-level `hot_score` when no
    /// `dialog` is given.
    pub fn from_settings(settings: &serde_json::Map<String, Value>) -> Rules {
        match settings.get("dialog") {
            Some(dialog) => Rules::deserialize(dialog).unwrap_or_default(),
            None => {
                let mut rules = Rules::default();
                if let Some(hot) = settings
                    .get("hot_score")
                    .and_then(Value::as_u64)
                    .and_then(|h| u8::try_from(h).ok())
                {
                    rules.temperature.hot_score = hot;
                }
                rules
            }
        }
    }

    /// The department with this id.
    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }
}

impl Department {
    /// The name callers hear.
    pub fn spoken_name(&self) -> &str {
        if !self.name.trim().is_empty() {
            return &self.name;
        }
        match self.id.as_str() {
            "sales" => "отдел продаж",
            "support" => "служба поддержки",
            "accounting" => "бухгалтерия",
            _ => "специалист",
        }
    }

    /// The words that route a caller here.
    pub fn topic_words(&self) -> Vec<&str> {
        if !self.topics.is_empty() {
            return self.topics.iter().map(String::as_str).collect();
        }
        match self.id.as_str() {
            "support" => SUPPORT_TOPICS.to_vec(),
            "accounting" => ACCOUNTING_TOPICS.to_vec(),
            "sales" => SALES_TOPICS.to_vec(),
            _ => Vec::new(),
        }
    }
}

/// Built-in topics of `support`. A word of four letters or fewer must be said whole;
/// longer ones are stems; several words are a phrase.
pub const SUPPORT_TOPICS: &[&str] = &[
    "поддержк",
    "техподдержк",
    "не работает",
    "не работают",
    "перестал",
    "сломал",
    "слома",
    "ошибк",
    "глючит",
    "зависает",
    "неисправн",
    "ремонт",
    "гарантийн",
];

/// Built-in topics of `accounting`.
pub const ACCOUNTING_TOPICS: &[&str] = &[
    "бухгалтер",
    "счет",
    "счета",
    "счету",
    "счетом",
    "акт",
    "акты",
    "актов",
    "сверк",
    "закрывающ",
    "платеж",
    "реквизит",
    "возврат",
    "оплатил",
    "оплатить счет",
];

/// Built-in topics of `sales`.
pub const SALES_TOPICS: &[&str] = &[
    "отдел продаж",
    "продаж",
    "купить",
    "покупк",
    "коммерческ",
    "менеджер",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_sva_tenants_writes_is_read_whole() {
        // The document `sva-tenants` sends for a tenant that set everything (its test
        // `dialog_settings_reach_the_scenario_only_when_changed` writes the same shape).
        let settings = json!({"dialog": {
            "misunderstanding_limit": 2,
            "temperature": {"hot_score": 80, "warm_score": 50, "urgent_days": 14},
            "departments": [{"id": "support", "name": "техподдержка", "phone": "+74951234568",
                "topics": ["сканер"], "utc_offset_minutes": 420,
                "hours": [{"days": ["mon", "fri"], "open": "09:00", "close": "18:00"}]}],
        }});
        let rules = Rules::from_settings(settings.as_object().unwrap());
        assert_eq!(rules.misunderstanding_limit, 2);
        assert_eq!(rules.temperature.hot_score, 80);
        assert_eq!(rules.temperature.warm_score, 50);
        assert_eq!(rules.temperature.urgent_days, 14);
        let support = rules.department("support").unwrap();
        assert_eq!(support.spoken_name(), "техподдержка");
        assert_eq!(support.topic_words(), ["сканер"]);
        assert_eq!(support.utc_offset_minutes, Some(420));
        assert_eq!(support.hours[0].days, ["mon", "fri"]);
    }

    #[test]
    fn missing_or_broken_settings_leave_the_defaults() {
        let none = Rules::from_settings(&serde_json::Map::new());
        assert_eq!(none, Rules::default());
        let legacy = Rules::from_settings(json!({"hot_score": 50}).as_object().unwrap());
        assert_eq!(legacy.temperature.hot_score, 50);
        let broken = Rules::from_settings(json!({"dialog": 7}).as_object().unwrap());
        assert_eq!(broken, Rules::default());
        let partial = Rules::from_settings(
            json!({"dialog": {"temperature": {"hot_score": 60}}})
                .as_object()
                .unwrap(),
        );
        assert_eq!(partial.temperature.warm_score, 40);
        assert_eq!(partial.misunderstanding_limit, 3);
        let built_in = Department {
            id: "accounting".into(),
            ..Department::default()
        };
        assert_eq!(built_in.spoken_name(), "бухгалтерия");
        assert!(built_in.topic_words().contains(&"сверк"));
    }
}
