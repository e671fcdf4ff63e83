//! `batch`: up to 50 methods in one HTTP request (`docs/bitrix24-rest.md` §7). Each
//! command is `"method?query"`, its parameters encoded the way PHP reads a query string
//! (`fields[PHONE][0][VALUE]=%2B7…`); a later command can use an earlier one's result
//! with [`Batch::reference`] (`$result[key][FIELD]`).
//!
//! The whole batch counts once against the portal's leaky bucket, so a lookup that needs
//! four methods costs one round trip.

use crate::error::BitrixError;
use serde_json::{Map, Value};

/// The most commands one batch may carry.
pub const MAX_COMMANDS: usize = 50;

/// Commands to send in one `batch`.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    commands: Vec<(String, String, String)>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Adds `method` with `params` (a JSON object) under `key`.
    pub fn add(&mut self, key: &str, method: &str, params: &Value) -> &mut Batch {
        let mut query = Vec::new();
        if let Value::Object(map) = params {
            for (name, value) in map {
                encode(&mut query, &encode_component(name), value);
            }
        }
        let command = if query.is_empty() {
            method.to_owned()
        } else {
            format!("{method}?{}", query.join("&"))
        };
        self.commands
            .push((key.to_owned(), method.to_owned(), command));
        self
    }

    /// A value that stands for part of an earlier command's result:
    /// `$result[key][FIELD][0]…`, resolved by the portal.
    pub fn reference(key: &str, path: &[&str]) -> Value {
        let mut text = format!("$result[{key}]");
        for part in path {
            text.push_str(&format!("[{part}]"));
        }
        Value::String(text)
    }

    /// How many commands there are.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// The form fields of the request, in order: `halt=0` and `cmd[key]=method?query`
    /// for each command. A form keeps the commands' order, which a JSON object need not
    /// (and a command may refer only to those before it).
    pub(crate) fn form(&self) -> Vec<(String, String)> {
        let mut fields = vec![("halt".to_owned(), "0".to_owned())];
        fields.extend(
            self.commands
                .iter()
                .map(|(key, _, command)| (format!("cmd[{key}]"), command.clone())),
        );
        fields
    }
}

/// What a batch answered: each command's result or error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchReply {
    results: Map<String, Value>,
    errors: Map<String, Value>,
    methods: Vec<(String, String)>,
}

impl BatchReply {
    /// Reads the `result` member of a batch's answer (`result`, `result_error`, … — each
    /// `[]` when empty, PHP's empty map).
    pub(crate) fn from_result(batch: &Batch, result: &Value) -> BatchReply {
        let members = |name: &str| match result.get(name) {
            Some(Value::Object(map)) => map.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone()))
                .collect(),
            _ => Map::new(),
        };
        BatchReply {
            results: members("result"),
            errors: members("result_error"),
            methods: batch
                .commands
                .iter()
                .map(|(k, m, _)| (k.clone(), m.clone()))
                .collect(),
        }
    }

    /// The result of the command under `key`, if it succeeded.
    pub fn result(&self, key: &str) -> Option<&Value> {
        self.results.get(key)
    }

    /// The error of the command under `key`, if it failed, typed like a single call's.
    pub fn error(&self, key: &str) -> Option<BitrixError> {
        let e = self.errors.get(key)?;
        let text = |name: &str| e.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
        Some(BitrixError::Api {
            method: self.method_of(key).to_owned(),
            status: 400,
            code: text("error"),
            description: text("error_description"),
        })
    }

    /// The result under `key`, or the error the command (or its absence) amounts to.
    pub fn take(&self, key: &str) -> Result<&Value, BitrixError> {
        if let Some(v) = self.result(key) {
            return Ok(v);
        }
        Err(self.error(key).unwrap_or_else(|| BitrixError::Ambiguous {
            method: self.method_of(key).to_owned(),
            reason: "the batch answered nothing for it".into(),
        }))
    }

    fn method_of(&self, key: &str) -> &str {
        self.methods
            .iter()
            .find(|(k, _)| k == key)
            .map_or("batch", |(_, m)| m.as_str())
    }
}

/// Percent-encodes form fields into a body.
pub(crate) fn form_body(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Appends `prefix=value` pairs for `value`, PHP's bracket syntax for maps and lists.
fn encode(out: &mut Vec<String>, prefix: &str, value: &Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                encode(out, &format!("{prefix}%5B{}%5D", encode_component(k)), v);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                encode(out, &format!("{prefix}%5B{i}%5D"), v);
            }
        }
        Value::String(s) => out.push(format!("{prefix}={}", encode_component(s))),
        Value::Number(n) => out.push(format!("{prefix}={n}")),
        Value::Bool(b) => out.push(format!("{prefix}={}", if *b { "1" } else { "0" })),
        Value::Null => out.push(format!("{prefix}=")),
    }
}

/// Percent-encodes everything but unreserved characters: a `+` must travel as `%2B`
/// (PHP reads a raw one as a space), `&` and `=` must not split the pair.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn commands_are_php_query_strings_with_every_plus_encoded() {
        let mut batch = Batch::new();
        batch
            .add(
                "find",
                "crm.duplicate.findbycomm",
                &json!({"type": "PHONE", "values": ["+79161234567", "8 (916) 123-45-67"]}),
            )
            .add(
                "deal",
                "crm.deal.list",
                &json!({"filter": {"CONTACT_ID": Batch::reference("find", &["CONTACT", "0"]), "CLOSED": "N"}, "start": -1}),
            )
            .add("mode", "crm.settings.mode.get", &json!({}));
        let form = batch.form();
        let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["halt", "cmd[find]", "cmd[deal]", "cmd[mode]"],
            "in the order they were added"
        );
        assert_eq!(
            form[1].1,
            "crm.duplicate.findbycomm?type=PHONE&values%5B0%5D=%2B79161234567&values%5B1%5D=8%20%28916%29%20123-45-67"
        );
        // A command's own parameters keep the order of its JSON object, whatever that is.
        let (method, query) = form[2].1.split_once('?').unwrap();
        assert_eq!(method, "crm.deal.list");
        let mut pairs: Vec<&str> = query.split('&').collect();
        pairs.sort_unstable();
        assert_eq!(
            pairs,
            [
                "filter%5BCLOSED%5D=N",
                "filter%5BCONTACT_ID%5D=%24result%5Bfind%5D%5BCONTACT%5D%5B0%5D",
                "start=-1",
            ]
        );
        assert_eq!(form[3].1, "crm.settings.mode.get");
    }

    #[test]
    fn empty_members_are_php_empty_arrays() {
        let mut batch = Batch::new();
        batch.add("a", "crm.lead.get", &json!({"id": 1}));
        let reply = BatchReply::from_result(
            &batch,
            &json!({"result": [], "result_error": {"a": {"error": "", "error_description": "Not found"}}}),
        );
        assert!(reply.result("a").is_none());
        let e = reply.take("a").unwrap_err();
        assert!(e.is_not_found(), "{e:?}");
        assert!(e.to_string().contains("crm.lead.get"), "{e}");
    }
}
