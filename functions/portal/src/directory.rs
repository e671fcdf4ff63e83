//! The portal's reference data: its users (active or dismissed), the status lists
//! (`STATUS`, `SOURCE`, `DEAL_STAGE`, `DEAL_STAGE_{n}`), the deal pipelines, the
//! currencies and the custom (`UF_CRM_*`) fields of each entity. A real portal's admin
//! sets these up in its UI; the sandbox starts with Bitrix24's defaults and tests change
//! them through [`crate::Portal`].
//!
//! Sources (`docs/bitrix24-rest.md` §10): `api-reference/crm/status/crm-status-list`,
//! `api-reference/crm/universal/category/crm-category-list`,
//! `api-reference/crm/currency/crm-currency-list`, `api-reference/user/user-get`,
//! `api-reference/crm/leads/userfield/crm-lead-userfield-list`, `api-reference/data-types`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::Kind;

/// How many users a fresh sandbox has (ids 1..=50; 1 is the administrator).
pub(crate) const DEFAULT_USERS: u64 = 50;

/// A portal user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct User {
    /// First name.
    pub name: String,
    /// Whether the user works here (`ACTIVE`); dismissed users keep their records.
    pub active: bool,
}

/// One row of a status list (`crm.status.list`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Status {
    /// `STATUS`, `SOURCE`, `DEAL_STAGE`, `DEAL_STAGE_3`, …
    pub entity_id: String,
    /// The code written into records (`NEW`, `C3:WON`).
    pub status_id: String,
    /// The name managers see.
    pub name: String,
    /// The order.
    pub sort: u32,
    /// `S` (success), `F` (failure) or none (in progress).
    pub semantics: Option<String>,
}

/// A custom field's type, as `crm.*.fields` reports it (`type`) and
/// `crm.*.userfield.list` (`USER_TYPE_ID`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserFieldType {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// A number.
    Double,
    /// An amount and a currency, written `100|RUB`.
    Money,
    /// Yes or no.
    Boolean,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A moment, ISO 8601 with an offset.
    Datetime,
    /// One of a list of options, written as the option's `ID`.
    Enumeration,
}

impl UserFieldType {
    /// Bitrix24's `USER_TYPE_ID`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            UserFieldType::String => "string",
            UserFieldType::Integer => "integer",
            UserFieldType::Double => "double",
            UserFieldType::Money => "money",
            UserFieldType::Boolean => "boolean",
            UserFieldType::Date => "date",
            UserFieldType::Datetime => "datetime",
            UserFieldType::Enumeration => "enumeration",
        }
    }
}

/// A custom field of one entity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct UserField {
    /// The numeric id (`ID` in `userfield.list`).
    pub id: u64,
    /// The entity it belongs to.
    pub kind: Kind,
    /// `UF_CRM_…`.
    pub name: String,
    /// Its type.
    pub ty: UserFieldType,
    /// Whether it holds a list of values.
    pub multiple: bool,
    /// The label managers see.
    pub label: String,
    /// Enumeration options: (`ID`, `VALUE`).
    pub options: Vec<(u64, String)>,
}

/// Everything the portal's admin configured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Directory {
    /// Users by id.
    pub users: BTreeMap<u64, User>,
    /// Every status list's rows.
    pub statuses: Vec<Status>,
    /// Deal pipelines by id (0 is the default, «Общая»).
    pub categories: BTreeMap<u64, String>,
    /// Currency codes; the first is the base currency.
    pub currencies: Vec<String>,
    /// Custom fields.
    pub user_fields: Vec<UserField>,
    /// The last id given to a custom field or an enumeration option.
    pub last_field_id: u64,
}

/// The default lead statuses (`api-reference/crm/leads/crm-lead-add`, «STATUS_ID»).
const LEAD_STATUSES: [(&str, &str, Option<&str>); 5] = [
    ("NEW", "Не обработан", None),
    ("IN_PROCESS", "В работе", None),
    ("PROCESSED", "Обработан", None),
    ("JUNK", "Некачественный лид", Some("F")),
    ("CONVERTED", "Качественный лид", Some("S")),
];

/// The default sources (`api-reference/crm/leads/crm-lead-add`, «SOURCE_ID»).
const SOURCES: [(&str, &str); 12] = [
    ("CALL", "Звонок"),
    ("EMAIL", "Электронная почта"),
    ("WEB", "Веб-сайт"),
    ("ADVERTISING", "Реклама"),
    ("PARTNER", "Существующий клиент"),
    ("RECOMMENDATION", "По рекомендации"),
    ("TRADE_SHOW", "Выставка"),
    ("WEBFORM", "CRM-форма"),
    ("CALLBACK", "Обратный звонок"),
    ("RC_GENERATOR", "Генератор продаж"),
    ("STORE", "Интернет-магазин"),
    ("OTHER", "Другое"),
];

/// The stages of a new pipeline, without the `C{n}:` prefix.
const DEAL_STAGES: [(&str, &str, Option<&str>); 8] = [
    ("NEW", "Новая", None),
    ("PREPARATION", "Подготовка документов", None),
    ("PREPAYMENT_INVOICE", "Счёт на предоплату", None),
    ("EXECUTING", "В работе", None),
    ("FINAL_INVOICE", "Финальный счёт", None),
    ("WON", "Сделка успешна", Some("S")),
    ("LOSE", "Сделка провалена", Some("F")),
    ("APOLOGY", "Анализ причины провала", Some("F")),
];

impl Default for Directory {
    fn default() -> Self {
        let mut d = Directory {
            users: (1..=DEFAULT_USERS)
                .map(|id| {
                    let name = if id == 1 {
                        "Администратор".to_owned()
                    } else {
                        format!("Пользователь {id}")
                    };
                    (id, User { name, active: true })
                })
                .collect(),
            statuses: Vec::new(),
            categories: BTreeMap::from([(0, "Общая".to_owned())]),
            currencies: vec!["RUB".into(), "USD".into(), "EUR".into()],
            user_fields: Vec::new(),
            last_field_id: 0,
        };
        for (i, (id, name, semantics)) in LEAD_STATUSES.iter().enumerate() {
            d.push_status("STATUS", id, name, i, *semantics);
        }
        for (i, (id, name)) in SOURCES.iter().enumerate() {
            d.push_status("SOURCE", id, name, i, None);
        }
        d.add_stages(0);
        d
    }
}

impl Directory {
    fn push_status(
        &mut self,
        entity: &str,
        id: &str,
        name: &str,
        index: usize,
        semantics: Option<&str>,
    ) {
        self.statuses.push(Status {
            entity_id: entity.into(),
            status_id: id.into(),
            name: name.into(),
            sort: (index as u32 + 1) * 10,
            semantics: semantics.map(str::to_owned),
        });
    }

    /// The stage list's name of pipeline `category`: `DEAL_STAGE` for the default one,
    /// `DEAL_STAGE_{n}` for the others (`api-reference/crm/status/crm-status-entity-types`).
    pub(crate) fn stage_list(category: u64) -> String {
        if category == 0 {
            "DEAL_STAGE".into()
        } else {
            format!("DEAL_STAGE_{category}")
        }
    }

    /// A stage's code in pipeline `category`: `NEW` in the default one, `C3:NEW` in others.
    pub(crate) fn stage_id(category: u64, bare: &str) -> String {
        if category == 0 {
            bare.into()
        } else {
            format!("C{category}:{bare}")
        }
    }

    fn add_stages(&mut self, category: u64) {
        let list = Directory::stage_list(category);
        for (i, (bare, name, semantics)) in DEAL_STAGES.iter().enumerate() {
            let id = Directory::stage_id(category, bare);
            self.push_status(&list, &id, name, i, *semantics);
        }
    }

    /// Adds a deal pipeline with the default stages; returns its id.
    pub(crate) fn add_category(&mut self, name: &str) -> u64 {
        let id = self.categories.keys().max().map_or(0, |m| m + 1);
        self.categories.insert(id, name.into());
        self.add_stages(id);
        id
    }

    /// Whether `code` is a status of list `entity` (`STATUS`, `SOURCE`, `DEAL_STAGE_3`).
    pub(crate) fn has_status(&self, entity: &str, code: &str) -> bool {
        self.statuses
            .iter()
            .any(|s| s.entity_id == entity && s.status_id == code)
    }

    /// The semantics of a status (`S`, `F`, or `P` for in progress).
    pub(crate) fn semantics(&self, entity_prefix: &str, code: &str) -> &'static str {
        let found = self
            .statuses
            .iter()
            .find(|s| s.entity_id.starts_with(entity_prefix) && s.status_id == code);
        match found.and_then(|s| s.semantics.as_deref()) {
            Some("S") => "S",
            Some("F") => "F",
            _ => "P",
        }
    }

    /// Whether `id` is a user who still works here.
    pub(crate) fn user_active(&self, id: u64) -> bool {
        self.users.get(&id).is_some_and(|u| u.active)
    }

    /// The custom field `name` of `kind`.
    pub(crate) fn user_field(&self, kind: Kind, name: &str) -> Option<&UserField> {
        self.user_fields
            .iter()
            .find(|f| f.kind == kind && f.name == name)
    }

    /// The custom fields of `kind`.
    pub(crate) fn user_fields_of(&self, kind: Kind) -> impl Iterator<Item = &UserField> {
        self.user_fields.iter().filter(move |f| f.kind == kind)
    }

    /// Adds (or replaces) a custom field; returns its id.
    pub(crate) fn add_user_field(
        &mut self,
        kind: Kind,
        name: &str,
        ty: UserFieldType,
        multiple: bool,
        options: &[&str],
    ) -> u64 {
        self.user_fields
            .retain(|f| !(f.kind == kind && f.name == name));
        self.last_field_id += 1;
        let id = self.last_field_id;
        let options = options
            .iter()
            .map(|value| {
                self.last_field_id += 1;
                (self.last_field_id, (*value).to_owned())
            })
            .collect();
        self.user_fields.push(UserField {
            id,
            kind,
            name: name.into(),
            ty,
            multiple,
            label: name.into(),
            options,
        });
        id
    }
}
