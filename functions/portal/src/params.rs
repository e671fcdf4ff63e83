//! Request parameters as PHP sees them: query strings and form bodies with bracket syntax
//! (`fields[PHONE][0][VALUE]=…`, `values[]=…`, `+` as a space) and JSON bodies, decoded
//! into one ordered tree ([`Param`]) in which, as in PHP, lists are maps keyed `0..n`.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::ApiError;

/// PHP's `max_input_nesting_level`: deeper variables are dropped.
const MAX_DEPTH: usize = 64;
/// A cap on the variables read from one query string (PHP's `max_input_vars`, generously).
const MAX_VARS: usize = 5_000;

/// One decoded parameter: a scalar or an ordered map (a PHP array).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Param {
    /// JSON `null`.
    Null,
    /// JSON `true`/`false`.
    Bool(bool),
    /// A JSON number.
    Num(serde_json::Number),
    /// A string (every query-string and form value is one).
    Str(String),
    /// A PHP array: keys in insertion order; a list has the keys `"0".."n-1"`.
    Map(Vec<(String, Param)>),
}

impl Param {
    /// An empty map.
    pub(crate) fn map() -> Param {
        Param::Map(Vec::new())
    }

    /// The member `key` of a map.
    pub(crate) fn get(&self, key: &str) -> Option<&Param> {
        match self {
            Param::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The first present member among `names`.
    pub(crate) fn get_any(&self, names: &[&str]) -> Option<&Param> {
        names.iter().find_map(|n| self.get(n))
    }

    /// A legacy `crm.*` argument: `fields`, `FIELDS`, `Fields` or `arFields` (and so on).
    pub(crate) fn legacy(&self, name: &str) -> Option<&Param> {
        let lower = name.to_ascii_lowercase();
        let upper = name.to_ascii_uppercase();
        let mut title = String::with_capacity(name.len());
        let mut chars = lower.chars();
        if let Some(first) = chars.next() {
            title.push(first.to_ascii_uppercase());
            title.extend(chars);
        }
        let ar = format!("ar{title}");
        self.get_any(&[&lower, &upper, &title, &ar])
    }

    /// The entries of a map (none for a scalar).
    pub(crate) fn entries(&self) -> &[(String, Param)] {
        match self {
            Param::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Whether this is a map (a PHP array).
    pub(crate) fn is_map(&self) -> bool {
        matches!(self, Param::Map(_))
    }

    /// The values of a map in order (PHP `foreach`).
    pub(crate) fn values(&self) -> impl Iterator<Item = &Param> {
        self.entries().iter().map(|(_, v)| v)
    }

    /// Inserts or replaces `key` (a map only; a scalar becomes a map first).
    pub(crate) fn insert(&mut self, key: String, value: Param) {
        if !self.is_map() {
            *self = Param::map();
        }
        if let Param::Map(entries) = self {
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => entries.push((key, value)),
            }
        }
    }

    /// The string itself, for a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Param::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar as PHP would cast it to a string (`true` is `"1"`, `false` and `null` are `""`).
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Param::Null => Some(String::new()),
            Param::Bool(b) => Some(if *b { "1".into() } else { String::new() }),
            Param::Num(n) => Some(n.to_string()),
            Param::Str(s) => Some(s.clone()),
            Param::Map(_) => None,
        }
    }

    /// PHP's `intval`: leading digits of a string (saturating), a number truncated; `None` for maps.
    pub(crate) fn intval(&self) -> Option<i64> {
        match self {
            Param::Null => Some(0),
            Param::Bool(b) => Some(i64::from(*b)),
            Param::Num(n) => n
                .as_i64()
                .or_else(|| n.as_u64().map(|_| i64::MAX))
                .or_else(|| n.as_f64().map(|f| f as i64)),
            Param::Str(s) => Some(php_intval(s)),
            Param::Map(_) => None,
        }
    }

    /// A positive id (`intval > 0`).
    pub(crate) fn id(&self) -> Option<u64> {
        self.intval().filter(|v| *v > 0).map(|v| v as u64)
    }

    /// A PHP truthy flag: `1`, `true`, `Y`, `yes`, `on`.
    pub(crate) fn flag(&self) -> bool {
        match self {
            Param::Bool(b) => *b,
            Param::Num(n) => n.as_f64().is_some_and(|f| f != 0.0),
            Param::Str(s) => matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "y" | "yes" | "on"
            ),
            _ => false,
        }
    }

    /// The same map with its top-level keys upper-cased (as telephony methods read them).
    pub(crate) fn upper_keys(&self) -> Param {
        let mut out = Param::map();
        for (k, v) in self.entries() {
            out.insert(k.to_ascii_uppercase(), v.clone());
        }
        out
    }

    /// JSON for storage: a map keyed `0..n` in order becomes an array.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Param::Null => Value::Null,
            Param::Bool(b) => Value::Bool(*b),
            Param::Num(n) => Value::Number(n.clone()),
            Param::Str(s) => Value::String(s.clone()),
            Param::Map(entries) => {
                if is_list(entries.iter().map(|(k, _)| k.as_str())) {
                    Value::Array(entries.iter().map(|(_, v)| v.to_json()).collect())
                } else {
                    Value::Object(
                        entries
                            .iter()
                            .map(|(k, v)| (k.clone(), v.to_json()))
                            .collect(),
                    )
                }
            }
        }
    }

    /// The parameter tree of a JSON value (object order as serde_json keeps it).
    pub(crate) fn from_json(value: &Value) -> Param {
        match value {
            Value::Null => Param::Null,
            Value::Bool(b) => Param::Bool(*b),
            Value::Number(n) => Param::Num(n.clone()),
            Value::String(s) => Param::Str(s.clone()),
            Value::Array(items) => Param::Map(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), Param::from_json(v)))
                    .collect(),
            ),
            Value::Object(map) => Param::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Param::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Whether keys are exactly `"0", "1", …` in order (PHP serialises such an array as a list).
pub(crate) fn is_list<'a>(keys: impl Iterator<Item = &'a str>) -> bool {
    keys.enumerate().all(|(i, k)| k == i.to_string())
}

/// PHP's `intval` on a string: optional whitespace and sign, then digits; saturating.
pub(crate) fn php_intval(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut value: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        let d = i64::from(b - b'0');
        value = match value.checked_mul(10).and_then(|v| v.checked_add(d)) {
            Some(v) => v,
            None => return if neg { i64::MIN } else { i64::MAX },
        };
    }
    if neg { -value } else { value }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ParamVisitor)
    }
}

struct ParamVisitor;

impl<'de> Visitor<'de> for ParamVisitor {
    type Value = Param;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Param, E> {
        Ok(Param::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Param, E> {
        Ok(Param::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Param, E> {
        Ok(Param::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Param, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Param::Null, Param::Num))
    }
    fn visit_str<E>(self, v: &str) -> Result<Param, E> {
        Ok(Param::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Param, E> {
        Ok(Param::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Param, E> {
        Ok(Param::Null)
    }
    fn visit_none<E>(self) -> Result<Param, E> {
        Ok(Param::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Param, D::Error> {
        Param::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Param, A::Error> {
        let mut entries = Vec::new();
        while let Some(v) = seq.next_element::<Param>()? {
            entries.push((entries.len().to_string(), v));
        }
        Ok(Param::Map(entries))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Param, A::Error> {
        let mut entries: Vec<(String, Param)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        while let Some((k, v)) = map.next_entry::<String, Param>()? {
            match index.get(&k) {
                Some(&i) => entries[i].1 = v,
                None => {
                    index.insert(k.clone(), entries.len());
                    entries.push((k, v));
                }
            }
        }
        Ok(Param::Map(entries))
    }
}

/// PHP's `urldecode`: `+` is a space, `%XX` a byte, anything else literal.
pub(crate) fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    let h = std::str::from_utf8(h).ok()?;
                    u8::from_str_radix(h, 16).ok()
                });
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a PHP variable name into its base and its bracket path (`None` = `[]`, append).
fn split_name(raw: &str) -> Option<(String, Vec<Option<String>>)> {
    let name = raw.trim_start_matches(' ');
    let Some(open) = name.find('[') else {
        let base = php_base(name);
        return (!base.is_empty()).then_some((base, Vec::new()));
    };
    let mut base = php_base(&name[..open]);
    if base.is_empty() {
        return None;
    }
    let mut rest = &name[open..];
    if !rest[1..].contains(']') {
        // An unterminated first bracket is not an index: PHP keeps it in the name as `_`.
        base.push('_');
        base.push_str(&rest[1..]);
        return Some((base, Vec::new()));
    }
    let mut path = Vec::new();
    while rest.starts_with('[') {
        let Some(close) = rest[1..].find(']') else {
            break;
        };
        let index = rest[1..1 + close].trim_start_matches([' ', '\t', '\r', '\n']);
        path.push((!index.is_empty()).then(|| index.to_owned()));
        rest = &rest[close + 2..];
    }
    (path.len() <= MAX_DEPTH).then_some((base, path))
}

/// PHP turns spaces and dots in a top-level variable name into underscores.
fn php_base(s: &str) -> String {
    s.chars()
        .map(|c| if c == ' ' || c == '.' { '_' } else { c })
        .collect()
}

/// The next integer key PHP would append at.
fn next_index(entries: &[(String, Param)]) -> String {
    let max = entries
        .iter()
        .filter_map(|(k, _)| {
            let n = k.parse::<i64>().ok()?;
            (n.to_string() == *k).then_some(n)
        })
        .max();
    match max {
        Some(n) => n.saturating_add(1).to_string(),
        None => "0".into(),
    }
}

/// Sets `root[base][path…] = value` with PHP's rules (a scalar on the way becomes an array).
fn register(root: &mut Param, base: String, path: &[Option<String>], value: Param) {
    let mut node = root;
    let mut key = Some(base);
    for segment in path {
        if !node.is_map() {
            *node = Param::map();
        }
        let Param::Map(entries) = node else { return };
        let k = key.take().unwrap_or_else(|| next_index(entries));
        let pos = match entries.iter().position(|(e, _)| *e == k) {
            Some(p) => {
                if !entries[p].1.is_map() {
                    entries[p].1 = Param::map();
                }
                p
            }
            None => {
                entries.push((k, Param::map()));
                entries.len() - 1
            }
        };
        node = &mut entries[pos].1;
        key = segment.clone();
    }
    if !node.is_map() {
        *node = Param::map();
    }
    if let Param::Map(entries) = node {
        let k = key.unwrap_or_else(|| next_index(entries));
        match entries.iter_mut().find(|(e, _)| *e == k) {
            Some(slot) => slot.1 = value,
            None => entries.push((k, value)),
        }
    }
}

/// Parses a query string or form body into `into` (a map) with PHP's `parse_str` rules.
pub(crate) fn parse_query_into(input: &str, into: &mut Param) {
    for pair in input.split('&').filter(|p| !p.is_empty()).take(MAX_VARS) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if let Some((base, path)) = split_name(&url_decode(k)) {
            register(into, base, &path, Param::Str(url_decode(v)));
        }
    }
}

/// Parses a query string with PHP's rules.
pub(crate) fn parse_query(input: &str) -> Param {
    let mut root = Param::map();
    parse_query_into(input, &mut root);
    root
}

/// How a request body is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// Anything else, or a body PHP would not read (a GET's).
    Ignored,
}

impl BodyKind {
    /// The kind for an HTTP method and `Content-Type`: only a POST body is read (PHP fills
    /// `$_POST` for POSTs only, and a GET with a JSON body is read as having no parameters).
    pub(crate) fn of(is_post: bool, content_type: Option<&str>) -> BodyKind {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if !is_post {
            BodyKind::Ignored
        } else if ct.contains("json") {
            BodyKind::Json
        } else if ct.starts_with("application/x-www-form-urlencoded") {
            BodyKind::Form
        } else {
            BodyKind::Ignored
        }
    }
}

/// All the parameters of a request: the query string, then the body over it (`$_REQUEST`).
pub(crate) fn decode(query: Option<&str>, kind: BodyKind, body: &[u8]) -> Result<Param, ApiError> {
    let mut params = Param::map();
    if let Some(q) = query {
        parse_query_into(q, &mut params);
    }
    match kind {
        BodyKind::Ignored => {}
        BodyKind::Form => parse_query_into(&String::from_utf8_lossy(body), &mut params),
        BodyKind::Json => {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(params);
            }
            let parsed: Param = serde_json::from_slice(body).map_err(|e| {
                ApiError::Argument(format!("The request body is not valid JSON: {e}"))
            })?;
            for (k, v) in parsed.entries() {
                params.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> Value {
        parse_query(s).to_json()
    }

    #[test]
    fn php_bracket_rules() {
        assert_eq!(
            q(
                "fields[PHONE][0][VALUE]=%2B7999&fields[PHONE][0][VALUE_TYPE]=WORK&fields[TITLE]=a+b"
            ),
            json!({"fields": {"PHONE": [{"VALUE": "+7999", "VALUE_TYPE": "WORK"}], "TITLE": "a b"}})
        );
        assert_eq!(q("values[]=1&values[]=2"), json!({"values": ["1", "2"]}));
        assert_eq!(q("a.b=1&c d=2"), json!({"a_b": "1", "c_d": "2"}));
        assert_eq!(q("a[b=1"), json!({"a_b": "1"}));
        assert_eq!(q("a[b][c=1"), json!({"a": {"b": "1"}}));
        assert_eq!(q("a[x]y=1"), json!({"a": {"x": "1"}}));
        assert_eq!(q("a=1&a[b]=2"), json!({"a": {"b": "2"}}));
        assert_eq!(q("[x]=1&=2&%zz=3"), json!({"%zz": "3"}));
        assert_eq!(q("v[5]=a&v[]=b"), json!({"v": {"5": "a", "6": "b"}}));
        let deep = format!("a{}=1", "[x]".repeat(80));
        assert_eq!(q(&deep), json!([]));
    }

    #[test]
    fn json_keeps_order_and_merges_over_query() {
        let p = decode(Some("a=1&b=2"), BodyKind::Json, br#"{"b":3,"z":1,"y":2}"#)
            .unwrap_or(Param::Null);
        let keys: Vec<&str> = p.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "z", "y"]);
        assert_eq!(p.get("b"), Some(&Param::Num(3.into())));
        assert!(decode(None, BodyKind::Json, b"{oops").is_err());
        assert_eq!(php_intval("  12abc"), 12);
        assert_eq!(php_intval("99999999999999999999999"), i64::MAX);
        assert_eq!(php_intval("x"), 0);
    }
}
