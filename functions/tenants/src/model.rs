//! A tenant's language model: whether its scenarios may ask one, how much they may
//! spend, and the tenant's own wording of the prompts (`docs/llm.md`).

use serde::{Deserialize, Serialize};

/// A tenant's language-model settings (`llm` in its settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelSettings {
    /// Whether calls are given the `llm` capability (also needs a model configured for
    /// the deployment and a scenario that declares it). Off by default.
    #[serde(default)]
    pub enabled: bool,
    /// Whether scenarios may have the model phrase knowledge answers (`phrase`), not
    /// only understand callers (`understand`).
    #[serde(default)]
    pub phrase: bool,
    /// Tokens one call may use (prompt and answer), 100..=100000.
    #[serde(default = "default_tokens_per_call")]
    pub tokens_per_call: u32,
    /// Tokens a day may use, per function instance, 1000..=100000000.
    #[serde(default = "default_tokens_per_day")]
    pub tokens_per_day: u64,
    /// Requests in flight at once, per function instance, 1..=10.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// The tenant's wording of the `understand` instructions (≤ 2000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub understand_prompt: Option<String>,
    /// The tenant's wording of the `phrase` instructions: the company's voice
    /// (≤ 2000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phrase_prompt: Option<String>,
    /// The provider, by name, among those the deployment configures (`yandex`, `openai`,
    /// `gigachat`); `None`: the deployment's default. A provider the deployment lacks
    /// answers every request `unavailable` (the scenario goes on by its rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            enabled: false,
            phrase: false,
            tokens_per_call: default_tokens_per_call(),
            tokens_per_day: default_tokens_per_day(),
            concurrency: default_concurrency(),
            understand_prompt: None,
            phrase_prompt: None,
            provider: None,
        }
    }
}

fn default_tokens_per_call() -> u32 {
    6_000
}

fn default_tokens_per_day() -> u64 {
    2_000_000
}

fn default_concurrency() -> u32 {
    4
}

/// A change of the model settings: only the fields present change (`null` clears a
/// prompt back to the host's default).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelChange {
    /// See [`ModelSettings::enabled`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// See [`ModelSettings::phrase`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phrase: Option<bool>,
    /// See [`ModelSettings::tokens_per_call`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_call: Option<u32>,
    /// See [`ModelSettings::tokens_per_day`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_day: Option<u64>,
    /// See [`ModelSettings::concurrency`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// See [`ModelSettings::understand_prompt`]; `null` clears it.
    #[serde(
        default,
        deserialize_with = "crate::change::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub understand_prompt: Option<Option<String>>,
    /// See [`ModelSettings::phrase_prompt`]; `null` clears it.
    #[serde(
        default,
        deserialize_with = "crate::change::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub phrase_prompt: Option<Option<String>>,
    /// See [`ModelSettings::provider`]; `null` goes back to the deployment's default.
    #[serde(
        default,
        deserialize_with = "crate::change::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub provider: Option<Option<String>>,
}

/// The providers a tenant may name.
pub const PROVIDERS: [&str; 3] = ["yandex", "openai", "gigachat"];

/// The longest prompt wording, in characters.
pub const PROMPT_CHARS: usize = 2_000;

impl ModelSettings {
    /// Applies `change`, or says which field is out of bounds (nothing changes then).
    pub fn apply(&self, change: &ModelChange) -> Result<ModelSettings, String> {
        let mut next = self.clone();
        if let Some(v) = change.enabled {
            next.enabled = v;
        }
        if let Some(v) = change.phrase {
            next.phrase = v;
        }
        if let Some(v) = change.tokens_per_call {
            if !(100..=100_000).contains(&v) {
                return Err(format!(
                    "`llm.tokens_per_call` must be 100..=100000, not {v}"
                ));
            }
            next.tokens_per_call = v;
        }
        if let Some(v) = change.tokens_per_day {
            if !(1_000..=100_000_000).contains(&v) {
                return Err(format!(
                    "`llm.tokens_per_day` must be 1000..=100000000, not {v}"
                ));
            }
            next.tokens_per_day = v;
        }
        if let Some(v) = change.concurrency {
            if !(1..=10).contains(&v) {
                return Err(format!("`llm.concurrency` must be 1..=10, not {v}"));
            }
            next.concurrency = v;
        }
        for (name, given, slot) in [
            (
                "understand_prompt",
                &change.understand_prompt,
                &mut next.understand_prompt,
            ),
            (
                "phrase_prompt",
                &change.phrase_prompt,
                &mut next.phrase_prompt,
            ),
        ] {
            if let Some(value) = given {
                if let Some(text) = value {
                    let chars = text.chars().count();
                    if text.trim().is_empty() || chars > PROMPT_CHARS {
                        return Err(format!(
                            "`llm.{name}` must have 1..={PROMPT_CHARS} characters, not {chars}"
                        ));
                    }
                }
                *slot = value.clone();
            }
        }
        if let Some(provider) = &change.provider {
            if let Some(name) = provider
                && !PROVIDERS.contains(&name.as_str())
            {
                return Err(format!(
                    "`llm.provider` must be one of yandex, openai, gigachat, not {name:?}"
                ));
            }
            next.provider = provider.clone();
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(v: serde_json::Value) -> ModelChange {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_change_sets_what_it_names_and_null_clears_a_prompt() {
        let s = ModelSettings::default()
            .apply(&change(
                json!({"enabled": true, "phrase_prompt": "Говорите от имени ТехноСклада."}),
            ))
            .unwrap();
        assert!(s.enabled && !s.phrase);
        assert_eq!(s.tokens_per_call, 6_000, "untouched");
        assert!(s.phrase_prompt.is_some());
        let s = s.apply(&change(json!({"phrase_prompt": null}))).unwrap();
        assert_eq!(s.phrase_prompt, None);
        assert!(s.enabled, "untouched");
    }

    #[test]
    fn a_provider_is_named_from_the_list_and_null_goes_back_to_the_default() {
        let s = ModelSettings::default()
            .apply(&change(json!({"provider": "gigachat"})))
            .unwrap();
        assert_eq!(s.provider.as_deref(), Some("gigachat"));
        let err = s
            .apply(&change(json!({"provider": "chatgpt"})))
            .unwrap_err();
        assert!(err.contains("llm.provider"), "{err}");
        let back = s.apply(&change(json!({"provider": null}))).unwrap();
        assert_eq!(back.provider, None);
    }

    #[test]
    fn out_of_bounds_values_are_refused_by_name() {
        for (v, field) in [
            (json!({"tokens_per_call": 10}), "tokens_per_call"),
            (json!({"tokens_per_day": 0}), "tokens_per_day"),
            (json!({"concurrency": 50}), "concurrency"),
            (json!({"understand_prompt": " "}), "understand_prompt"),
            (json!({"phrase_prompt": "я".repeat(2_001)}), "phrase_prompt"),
        ] {
            let err = ModelSettings::default().apply(&change(v)).unwrap_err();
            assert!(err.contains(field), "{err}");
        }
        assert!(serde_json::from_value::<ModelChange>(json!({"enabeld": true})).is_err());
    }
}
