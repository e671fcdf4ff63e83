//! List methods (`crm.*.list`, `crm.activity.list`, `crm.timeline.comment.list`): filters
//! with Bitrix24's operator prefixes, `select`, `order`, and paging by 50 with `next`/`total`.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::clock;
use crate::params::Param;

/// The fixed page size.
pub(crate) const PAGE: usize = 50;

/// What a list can show.
pub(crate) struct Schema {
    /// The fields `*` (and an empty `select`) stands for.
    pub star: Vec<&'static str>,
    /// Fields shown only when named (multifields, `COMMUNICATIONS`, `FILES`).
    pub named_only: &'static [&'static str],
    /// Whether `UF_*` fields exist.
    pub user_fields: bool,
}

impl Schema {
    fn known(&self, field: &str) -> bool {
        self.star.contains(&field)
            || self.named_only.contains(&field)
            || (self.user_fields && field.starts_with("UF_"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
    Like,
    Pattern,
}

#[derive(Clone, Debug)]
struct Cond {
    field: String,
    op: Op,
    negate: bool,
    values: Vec<String>,
}

/// A parsed list request.
pub(crate) struct Query {
    conds: Vec<Cond>,
    select: Vec<String>,
    order: Vec<(String, bool)>,
    /// `None` for `start=-1` (no count).
    start: Option<usize>,
}

/// The answer of a list: a page, and the `next`/`total` members.
pub(crate) struct Page {
    /// The rows of the page.
    pub rows: Vec<Value>,
    /// The offset of the next page, when more rows remain.
    pub next: Option<u64>,
    /// The number of matching rows (0 with `start=-1`).
    pub total: u64,
}

fn split_op(key: &str) -> (Op, bool, &str) {
    const PREFIXES: [(&str, Op, bool); 13] = [
        ("!@", Op::Eq, true),
        ("!%", Op::Like, true),
        ("!=", Op::Eq, true),
        ("=%", Op::Pattern, false),
        ("%=", Op::Pattern, false),
        (">=", Op::Ge, false),
        ("<=", Op::Le, false),
        ("@", Op::Eq, false),
        ("!", Op::Eq, true),
        ("=", Op::Eq, false),
        (">", Op::Gt, false),
        ("<", Op::Lt, false),
        ("%", Op::Like, false),
    ];
    for (prefix, op, negate) in PREFIXES {
        if let Some(rest) = key.strip_prefix(prefix) {
            return (op, negate, rest);
        }
    }
    (Op::Eq, false, key)
}

fn texts(p: &Param) -> Vec<String> {
    if p.is_map() {
        p.values().filter_map(Param::text).collect()
    } else {
        vec![p.text().unwrap_or_default()]
    }
}

impl Query {
    /// Reads `filter`, `select`, `order` and `start`; `legacy` accepts `FILTER`, `arFilter`….
    pub(crate) fn parse(params: &Param, legacy: bool) -> Query {
        let arg = |name: &str| {
            if legacy {
                params.legacy(name)
            } else {
                params.get(name)
            }
        };
        let conds = arg("filter")
            .map(|f| {
                f.entries()
                    .iter()
                    .filter(|(k, _)| !k.eq_ignore_ascii_case("LOGIC"))
                    .map(|(k, v)| {
                        let (op, negate, field) = split_op(k);
                        Cond {
                            field: field.trim().to_ascii_uppercase(),
                            op,
                            negate,
                            values: texts(v),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let select = arg("select")
            .map(|s| {
                texts(s)
                    .into_iter()
                    .map(|t| t.trim().to_ascii_uppercase())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let order = arg("order")
            .map(|o| {
                o.entries()
                    .iter()
                    .map(|(k, v)| {
                        let desc = v
                            .text()
                            .is_some_and(|d| d.trim().eq_ignore_ascii_case("DESC"));
                        (k.trim().to_ascii_uppercase(), desc)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let start = match params.get("start").and_then(Param::intval).unwrap_or(0) {
            -1 => None,
            n => Some(usize::try_from(n.max(0)).unwrap_or(usize::MAX)),
        };
        Query {
            conds,
            select,
            order,
            start,
        }
    }

    /// Filters, orders, pages and projects `rows` (each in its full string form).
    pub(crate) fn run(&self, rows: Vec<Map<String, Value>>, schema: &Schema) -> Page {
        let mut matching: Vec<Map<String, Value>> = rows
            .into_iter()
            .filter(|row| {
                self.conds
                    .iter()
                    .filter(|c| schema.known(&c.field))
                    .all(|c| cond_matches(c, row, schema))
            })
            .collect();
        let order: Vec<&(String, bool)> =
            self.order.iter().filter(|(f, _)| schema.known(f)).collect();
        matching.sort_by(|a, b| {
            for (field, desc) in &order {
                let o = compare_opt(a.get(field), b.get(field));
                if o != Ordering::Equal {
                    return if *desc { o.reverse() } else { o };
                }
            }
            compare_opt(a.get("ID"), b.get("ID"))
        });
        let total = matching.len();
        let (offset, counted) = match self.start {
            Some(s) => (s, true),
            None => (0, false),
        };
        let rows = matching
            .into_iter()
            .skip(offset)
            .take(PAGE)
            .map(|row| Value::Object(self.project(row, schema)))
            .collect();
        let next = (counted && offset.saturating_add(PAGE) < total).then(|| (offset + PAGE) as u64);
        Page {
            rows,
            next,
            total: if counted { total as u64 } else { 0 },
        }
    }

    fn project(&self, mut row: Map<String, Value>, schema: &Schema) -> Map<String, Value> {
        let wants_all = self.select.is_empty() || self.select.iter().any(|s| s == "*");
        let wants_uf = self.select.iter().any(|s| s == "UF_*");
        let mut out = Map::new();
        let keys: Vec<String> = row.keys().cloned().collect();
        for key in keys {
            let wanted = key == "ID"
                || (wants_all && schema.star.contains(&key.as_str()))
                || (wants_uf && key.starts_with("UF_"))
                || self.select.contains(&key);
            if wanted && let Some(v) = row.remove(&key) {
                out.insert(key, v);
            }
        }
        for name in &self.select {
            if schema.user_fields && name.starts_with("UF_") && name != "UF_*" {
                out.entry(name.clone()).or_insert(Value::Null);
            }
        }
        out
    }
}

/// The values a row holds for a field: a string, a list of strings, or multifield entries.
fn row_values(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::Object(o) => o.get("VALUE").and_then(Value::as_str).map(str::to_owned),
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect(),
        Some(other) => vec![other.to_string()],
    }
}

/// A strict decimal number (`-12`, `3.50`); phone numbers with `+` are not numbers.
fn number(s: &str) -> Option<f64> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(body.contains('.') && frac.is_empty());
    if ok { s.parse().ok() } else { None }
}

/// Compares two scalars: numerically when both are numbers, as times when both are dates,
/// else as strings.
fn compare(a: &str, b: &str) -> Ordering {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    if a.len() >= 10
        && b.len() >= 10
        && let (Some(x), Some(y)) = (clock::parse(a), clock::parse(b))
    {
        return x.cmp(&y);
    }
    a.cmp(b)
}

fn compare_opt(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let a = row_values(a);
    let b = row_values(b);
    match (a.first(), b.first()) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => compare(x, y),
    }
}

/// SQL `LIKE` with `%` and `_` (iterative: no recursion, no exponential blow-up).
fn like(pattern: &[char], text: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<usize> = None;
    let mut mark = 0;
    while ti < text.len() {
        if pi < pattern.len() && (pattern[pi] == '_' || pattern[pi] == text[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < pattern.len() && pattern[pi] == '%' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    pattern[pi..].iter().all(|c| *c == '%')
}

fn lower_chars(s: &str) -> Vec<char> {
    s.to_lowercase().chars().collect()
}

fn cond_matches(c: &Cond, row: &Map<String, Value>, schema: &Schema) -> bool {
    let values = row_values(row.get(&c.field));
    // Multifields (and other named-only lists) match the exact stored string only.
    let exact = schema.named_only.contains(&c.field.as_str());
    let eq = |a: &str, b: &str| {
        if exact {
            a == b
        } else {
            compare(a, b) == Ordering::Equal
        }
    };
    let positive = match c.op {
        Op::Eq => {
            if values.is_empty() {
                c.values.is_empty() || c.values.iter().any(String::is_empty)
            } else {
                values.iter().any(|v| c.values.iter().any(|f| eq(v, f)))
            }
        }
        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            let Some(f) = c.values.first() else {
                return false;
            };
            values.iter().any(|v| {
                let o = compare(v, f);
                match c.op {
                    Op::Gt => o == Ordering::Greater,
                    Op::Ge => o != Ordering::Less,
                    Op::Lt => o == Ordering::Less,
                    _ => o != Ordering::Greater,
                }
            })
        }
        Op::Like => values.iter().any(|v| {
            c.values
                .iter()
                .any(|f| v.to_lowercase().contains(&f.to_lowercase()))
        }),
        Op::Pattern => values.iter().any(|v| {
            let text = lower_chars(v);
            c.values.iter().any(|f| like(&lower_chars(f), &text))
        }),
    };
    positive != c.negate
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> Vec<Map<String, Value>> {
        (1..=5)
            .map(|i| {
                let v = json!({"ID": i.to_string(), "TITLE": format!("Lead {i}"), "OPPORTUNITY": format!("{}.00", i * 10),
                    "PHONE": [{"ID": "1", "VALUE": format!("+7999000000{i}"), "VALUE_TYPE": "WORK", "TYPE_ID": "PHONE"}]});
                v.as_object().cloned().unwrap_or_default()
            })
            .collect()
    }

    fn schema() -> Schema {
        Schema {
            star: vec!["ID", "TITLE", "OPPORTUNITY"],
            named_only: &["PHONE"],
            user_fields: true,
        }
    }

    fn ids(params: Value) -> Vec<String> {
        let q = Query::parse(&Param::from_json(&params), true);
        q.run(rows(), &schema())
            .rows
            .iter()
            .filter_map(|r| r.get("ID").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    #[test]
    fn operators() {
        assert_eq!(ids(json!({"filter": {">ID": 3}})), ["4", "5"]);
        assert_eq!(
            ids(json!({"filter": {">=OPPORTUNITY": "20"}, "order": {"ID": "DESC"}})),
            ["5", "4", "3", "2"]
        );
        assert_eq!(ids(json!({"FILTER": {"@ID": [1, 3]}})), ["1", "3"]);
        assert_eq!(ids(json!({"filter": {"!@ID": [1, 3]}})), ["2", "4", "5"]);
        assert_eq!(ids(json!({"filter": {"%TITLE": "lead 2"}})), ["2"]);
        assert_eq!(ids(json!({"filter": {"=%TITLE": "Lead _"}})).len(), 5);
        assert_eq!(ids(json!({"filter": {"PHONE": "+79990000003"}})), ["3"]);
        assert!(ids(json!({"filter": {"PHONE": "79990000003"}})).is_empty());
        assert_eq!(ids(json!({"filter": {"!ID": 1, "<ID": 4}})), ["2", "3"]);
        assert_eq!(ids(json!({"filter": {"NO_SUCH_FIELD": 1}})).len(), 5);
        assert!(ids(json!({"filter": {"UF_CRM_X": "1"}})).is_empty());
    }

    #[test]
    fn select_and_paging() {
        let q = Query::parse(
            &Param::from_json(&json!({"select": ["TITLE", "PHONE"], "start": 2})),
            false,
        );
        let page = q.run(rows(), &schema());
        assert_eq!(page.total, 5);
        assert_eq!(page.next, None);
        assert_eq!(page.rows.len(), 3);
        let first = page.rows[0].as_object().cloned().unwrap_or_default();
        let mut keys: Vec<&String> = first.keys().collect();
        keys.sort();
        assert_eq!(keys, ["ID", "PHONE", "TITLE"]);
        assert!(
            number("+7999").is_none() && number("1.").is_none() && number("-2.5") == Some(-2.5)
        );
    }
}
