//! `batch` (`docs/bitrix24-rest.md` §7): up to 50 `"method?query"` commands run in order, later ones
//! referring to earlier results with `$result[key][FIELD]`; `halt=1` stops at the first error.

use serde_json::{Map, Value, json};

use crate::clock;
use crate::ctx::{Ctx, Reply};
use crate::error::ApiError;
use crate::params::{self, Param};

/// The most commands a batch runs.
const MAX_COMMANDS: usize = 50;

/// A map serialised the way PHP's `json_encode` does: `[]` when empty, a list when the keys
/// are `0..n` in order, else an object.
fn php_map(entries: Vec<(String, Value)>) -> Value {
    if params::is_list(entries.iter().map(|(k, _)| k.as_str())) {
        Value::Array(entries.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(entries.into_iter().collect::<Map<String, Value>>())
    }
}

/// Follows `[a][b]…` through a result.
fn lookup<'a>(mut value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    for key in path {
        value = match value {
            Value::Object(o) => o.get(*key)?,
            Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A scalar's text for substitution.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1".into() } else { String::new() }),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// Replaces every `$result[key][…]` in `text`; a reference that does not resolve is kept.
/// A string that is exactly one reference to a list or map becomes that list or map.
fn substitute(text: &str, results: &[(String, Value)]) -> Param {
    const MARK: &str = "$result[";
    if !text.contains(MARK) {
        return Param::Str(text.to_owned());
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let tail = &rest[at + "$result".len()..];
        let mut path = Vec::new();
        let mut consumed = 0;
        while tail[consumed..].starts_with('[') {
            let Some(close) = tail[consumed + 1..].find(']') else {
                break;
            };
            path.push(&tail[consumed + 1..consumed + 1 + close]);
            consumed += close + 2;
        }
        let reference = &rest[at..at + "$result".len() + consumed];
        let resolved = path.split_first().and_then(|(key, more)| {
            let (_, value) = results.iter().find(|(k, _)| k == key)?;
            lookup(value, more)
        });
        match resolved {
            Some(v) => match scalar_text(v) {
                Some(t) => out.push_str(&t),
                None if out.is_empty() && reference.len() == rest.len() => {
                    return Param::from_json(v);
                }
                None => out.push_str(&v.to_string()),
            },
            None => out.push_str(reference),
        }
        rest = &rest[at + reference.len().max(1)..];
    }
    out.push_str(rest);
    Param::Str(out)
}

/// Applies [`substitute`] to every string of a parameter tree.
fn substitute_all(p: &Param, results: &[(String, Value)]) -> Param {
    match p {
        Param::Str(s) => substitute(s, results),
        Param::Map(entries) => Param::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), substitute_all(v, results)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Splits `"crm.lead.get?id=5"` into the method and its parameters.
fn parse_command(cmd: &str) -> (String, Param) {
    let (method, query) = cmd.split_once('?').unwrap_or((cmd, ""));
    let method = method.trim().trim_matches('/');
    let method = method
        .strip_suffix(".json")
        .unwrap_or(method)
        .to_ascii_lowercase();
    (method, params::parse_query(query))
}

/// `batch`.
pub(crate) fn batch(
    ctx: &Ctx<'_>,
    p: &Param,
    call: fn(&Ctx<'_>, &str, &Param) -> Result<Reply, ApiError>,
) -> Result<Reply, ApiError> {
    let halt = p.get("halt").is_some_and(Param::flag);
    let commands: Vec<(String, String)> = p
        .get("cmd")
        .map(|c| {
            c.entries()
                .iter()
                .map(|(k, v)| (k.clone(), v.text().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let sub = Ctx {
        inner: ctx.inner,
        user_id: ctx.user_id,
        auth: ctx.auth,
        host: ctx.host,
        in_batch: true,
        fetched: None,
    };
    let mut results: Vec<(String, Value)> = Vec::new();
    let mut errors: Vec<(String, Value)> = Vec::new();
    let mut totals: Vec<(String, Value)> = Vec::new();
    let mut nexts: Vec<(String, Value)> = Vec::new();
    let mut times: Vec<(String, Value)> = Vec::new();
    for (i, (key, cmd)) in commands.iter().enumerate() {
        let started = clock::now();
        let outcome = if i >= MAX_COMMANDS {
            Err(ApiError::BatchLength)
        } else {
            let (method, params) = parse_command(cmd);
            let params = substitute_all(&params, &results);
            call(&sub, &method, &params)
        };
        match outcome {
            Ok(reply) => {
                results.push((key.clone(), reply.result));
                if let Some(t) = reply.total {
                    totals.push((key.clone(), json!(t)));
                }
                if let Some(n) = reply.next {
                    nexts.push((key.clone(), json!(n)));
                }
                times.push((key.clone(), clock::time_block(started, clock::now())));
            }
            Err(e) => {
                errors.push((key.clone(), e.body()));
                if halt {
                    break;
                }
            }
        }
    }
    Ok(Reply::value(json!({
        "result": php_map(results),
        "result_error": php_map(errors),
        "result_total": php_map(totals),
        "result_next": php_map(nexts),
        "result_time": php_map(times),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution() {
        let results = vec![
            ("a".to_owned(), json!(7)),
            (
                "g".to_owned(),
                json!({"ID": "7", "PHONE": [{"VALUE": "+7"}]}),
            ),
            ("l".to_owned(), json!([{"ID": "3"}])),
        ];
        assert_eq!(substitute("$result[a]", &results), Param::Str("7".into()));
        assert_eq!(
            substitute("x$result[g][ID]y", &results),
            Param::Str("x7y".into())
        );
        assert_eq!(
            substitute("$result[g][PHONE][0][VALUE]", &results),
            Param::Str("+7".into())
        );
        assert_eq!(
            substitute("$result[l][0][ID]", &results),
            Param::Str("3".into())
        );
        assert_eq!(
            substitute("$result[zz]", &results),
            Param::Str("$result[zz]".into())
        );
        assert_eq!(
            substitute("$result[", &results),
            Param::Str("$result[".into())
        );
        assert!(substitute("$result[l]", &results).is_map());
        assert_eq!(php_map(Vec::new()), json!([]));
        assert_eq!(
            php_map(vec![("0".into(), json!(1)), ("1".into(), json!(2))]),
            json!([1, 2])
        );
        assert_eq!(php_map(vec![("1".into(), json!(2))]), json!({"1": 2}));
    }
}
