//! Where a transfer goes: the department the caller's words name (support, accounting…),
//! or, for sales, the caller's own manager from the CRM, then the `sales` department,
//! then the tenant's manager number; and whether it answers now or when it opens.

use crate::Sales;
use crate::clock::{self, Moment, Open};
use crate::rules::{Department, Rules};
use sva_sdk::Ctx;

/// Someone a transfer can go to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    /// E.164 number.
    pub to: String,
    /// Who answers, as the caller hears it («отдел продаж», «ваш менеджер, Анна»).
    pub who: String,
    /// The department's id (`sales` for leads).
    pub department: String,
    /// When it answers.
    pub open: Open,
    /// The call's moment and the zone the hours are in.
    pub now: Moment,
    /// Minutes east of UTC of the department.
    pub offset: i32,
}

impl Target {
    /// When the target answers next, as RFC 3339 and as said («завтра в 9:00»); `None`
    /// when it answers now or never.
    pub(crate) fn next_opening(&self) -> Option<(String, String)> {
        match self.open {
            Open::At(at) => Some((
                at.rfc3339(self.offset),
                clock::spoken(at, self.now, self.offset),
            )),
            Open::Now | Open::Never => None,
        }
    }

    /// Whether a transfer can happen now.
    pub(crate) fn answers_now(&self) -> bool {
        self.open == Open::Now
    }
}

/// The department (not sales) whose topics the caller's words name, if any.
pub(crate) fn topic_department<'r>(rules: &'r Rules, words: &[String]) -> Option<&'r Department> {
    rules
        .departments
        .iter()
        .filter(|d| d.id != "sales")
        .find(|d| d.topic_words().iter().any(|t| names_topic(words, t)))
}

/// Whether `words` contain `topic`: a phrase word by word, a short word whole, a longer
/// one as a stem.
pub(crate) fn names_topic(words: &[String], topic: &str) -> bool {
    let parts: Vec<&str> = topic.split_whitespace().collect();
    if parts.is_empty() {
        return false;
    }
    let fits = |word: &str, part: &str| {
        if part.chars().count() <= 4 {
            word == part
        } else {
            word.starts_with(part)
        }
    };
    words.windows(parts.len()).any(|run| {
        run.iter()
            .zip(&parts)
            .all(|(word, part)| fits(word.as_str(), part))
    })
}

/// Where a transfer goes now: the department chosen for the caller's topic
/// (`Sales::route`), else sales.
pub(crate) fn target(ctx: &Ctx<'_, Sales>) -> Option<Target> {
    let rules = Rules::from_settings(&ctx.tenant().settings);
    let route = ctx.state_ref().route.clone();
    match rules.department(&route).filter(|d| d.id != "sales") {
        Some(department) => Some(department_target(ctx, department, department.spoken_name())),
        None => sales_target(ctx, &rules),
    }
}

/// Sales: the caller's own manager (with the sales department's hours), the `sales`
/// department, or the tenant's manager number (always open, unless `sales` has hours).
fn sales_target(ctx: &Ctx<'_, Sales>, rules: &Rules) -> Option<Target> {
    let sales = rules.department("sales");
    let customer = ctx.context().customer.as_ref();
    if let Some(phone) = customer.and_then(|c| c.manager_phone.clone()) {
        let who = match customer.and_then(|c| c.manager_name.as_deref()) {
            Some(name) if !name.trim().is_empty() => ["ваш менеджер, ", name.trim()].concat(),
            _ => "ваш менеджер".to_owned(),
        };
        let department = sales.cloned().unwrap_or_default();
        let mut target = department_target(ctx, &department, &who);
        target.to = phone;
        target.department = "sales".into();
        return Some(target);
    }
    if let Some(department) = sales {
        return Some(department_target(ctx, department, "менеджер"));
    }
    let phone = ctx.tenant().manager_phone.clone()?;
    let mut target = department_target(ctx, &Department::default(), "менеджер");
    target.to = phone;
    target.department = "sales".into();
    Some(target)
}

fn department_target(ctx: &Ctx<'_, Sales>, department: &Department, who: &str) -> Target {
    // The host always sends a valid `now`; a module run by hand with a bad one judges
    // the hours at the epoch in Moscow rather than failing.
    let (now, tenant_offset) = Moment::parse(&ctx.context().now).unwrap_or((Moment::EPOCH, 180));
    let offset = department.utc_offset_minutes.unwrap_or(tenant_offset);
    Target {
        to: department.phone.clone(),
        who: who.to_owned(),
        department: department.id.clone(),
        open: clock::next_open(&department.hours, offset, now),
        now,
        offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn topics_match_whole_short_words_stems_and_phrases() {
        assert!(names_topic(
            &words("у нас не работает сканер"),
            "не работает"
        ));
        assert!(names_topic(&words("нужна техподдержка"), "техподдержк"));
        assert!(names_topic(&words("пришлите акт сверки"), "акт"));
        assert!(
            !names_topic(&words("это актуально"), "акт"),
            "a short word whole"
        );
        assert!(!names_topic(&words("работает нормально"), "не работает"));
        assert!(!names_topic(&words("что угодно"), ""));
    }

    #[test]
    fn the_first_department_whose_topic_is_named() {
        let rules = Rules {
            departments: vec![
                Department {
                    id: "sales".into(),
                    phone: "+74951234567".into(),
                    ..Department::default()
                },
                Department {
                    id: "support".into(),
                    phone: "+74951234568".into(),
                    ..Department::default()
                },
                Department {
                    id: "accounting".into(),
                    phone: "+74951234569".into(),
                    ..Department::default()
                },
            ],
            ..Rules::default()
        };
        let found = |text: &str| topic_department(&rules, &words(text)).map(|d| d.id.as_str());
        assert_eq!(found("у нас сломался терминал"), Some("support"));
        assert_eq!(found("нужен акт сверки за квартал"), Some("accounting"));
        assert_eq!(
            found("хотим купить систему"),
            None,
            "sales is not a routed topic"
        );
        assert_eq!(found("нужна система для склада"), None);
    }
}
