//! The outbound configuration a function reads from its environment: the service
//! account's key and the outbound rule `deploy` made (its id is in the deploy report).
//!
//! | variable | meaning |
//! |---|---|
//! | `SVA_VOXIMPLANT_KEY` | the service-account key: the JSON file's text, or a path to the file |
//! | `SVA_VOXIMPLANT_OUTBOUND_RULE_ID` | the id of the rule `sva-outbound` (call lists and StartScenarios run it) |
//! | `SVA_VOXIMPLANT_API_URL` | optional: the API's base URL (default [`crate::DEFAULT_BASE_URL`]) |

use crate::client::{Client, ClientConfig};
use crate::credentials::ServiceAccountKey;
use crate::error::Error;

/// The key variable.
pub const ENV_KEY: &str = "SVA_VOXIMPLANT_KEY";
/// The outbound rule variable.
pub const ENV_OUTBOUND_RULE_ID: &str = "SVA_VOXIMPLANT_OUTBOUND_RULE_ID";
/// The API URL variable.
pub const ENV_API_URL: &str = "SVA_VOXIMPLANT_API_URL";

/// A client and the rule outbound calls run.
#[derive(Clone, Debug)]
pub struct Outbound {
    /// The Management API client.
    pub client: Client,
    /// The outbound rule's id.
    pub rule_id: u64,
}

impl Outbound {
    /// Reads the variables through `get` (empty values count as unset): `None` when
    /// neither the key nor the rule is set (outbound calls not configured); an error when
    /// only one is, or a value is unusable. The key's text is never quoted in an error.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Outbound>, Error> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let (key, rule) = match (get(ENV_KEY), get(ENV_OUTBOUND_RULE_ID)) {
            (None, None) => return Ok(None),
            (Some(k), Some(r)) => (k, r),
            (Some(_), None) => {
                return Err(Error::InvalidInput(format!(
                    "{ENV_KEY} is set but {ENV_OUTBOUND_RULE_ID} is not (the deploy report gives the rule id)"
                )));
            }
            (None, Some(_)) => {
                return Err(Error::InvalidInput(format!(
                    "{ENV_OUTBOUND_RULE_ID} is set but {ENV_KEY} is not"
                )));
            }
        };
        let rule_id: u64 = rule
            .trim()
            .parse()
            .map_err(|_| Error::InvalidInput(format!("{ENV_OUTBOUND_RULE_ID} must be a number")))?;
        let key = if key.trim_start().starts_with('{') {
            ServiceAccountKey::from_json(&key)?
        } else {
            ServiceAccountKey::from_file(key.trim())?
        };
        let config = match get(ENV_API_URL) {
            Some(url) => ClientConfig::with_base_url(url),
            None => ClientConfig::default(),
        };
        Ok(Some(Outbound {
            client: Client::new(&key, &config)?,
            rule_id,
        }))
    }
}
