//! The typed configuration of a function binary.
//!
//! Sources, later ones win: built-in defaults (which work locally with no cloud
//! account), then an optional JSON file named by `SVA_CONFIG`, then environment
//! variables.
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `SVA_CONFIG` | path of a JSON config file (same fields as [`FileConfig`]) | none |
//! | `PORT` | HTTP listen port | `8080` |
//! | `SVA_HOST` | HTTP listen address | `0.0.0.0` |
//! | `SVA_BODY_LIMIT` | request body limit, bytes | `1048576` |
//! | `SVA_LOG_FORMAT` | `json` or `pretty` | `json` |
//! | `SVA_STORAGE` | `local` or `s3` | `local` |
//! | `SVA_DATA_DIR` | local storage root | `.sva/data` |
//! | `SVA_S3_BUCKET` | bucket (required for `s3`) | none |
//! | `SVA_S3_ENDPOINT` | endpoint URL; `aws` = the SDK's own endpoint for the region | `https://storage.yandexcloud.net` |
//! | `SVA_S3_REGION` | region | `ru-central1` |
//! | `SVA_S3_FORCE_PATH_STYLE` | `true`/`false` | `false` |
//! | `SVA_S3_ACCESS_KEY_ID`, `SVA_S3_SECRET_ACCESS_KEY` | static credentials; when unset, the standard AWS chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, …) | none |
//! | `SVA_S3_CONDITIONAL_PUT` | use `If-None-Match: *` for create-only writes | `true` |
//! | `AWS_LAMBDA_RUNTIME_API` | when set, serve through the Lambda runtime loop | none |
//!
//! Empty variables count as unset. Secrets are held in [`Secret`], whose `Debug` prints
//! `***`, so `{:?}` of a [`Config`] never shows them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde::Deserialize;

use crate::logging::LogFormat;
use crate::serve::{Adapter, MissingLambdaVar, ServeConfig};
pub use crate::serve::{DEFAULT_BODY_LIMIT, DEFAULT_PORT};
/// The default local storage root, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = ".sva/data";
/// Yandex Object Storage's S3 endpoint, the default for the `s3` back end.
pub const YANDEX_ENDPOINT: &str = "https://storage.yandexcloud.net";
/// Yandex Cloud's region, the default for the `s3` back end.
pub const YANDEX_REGION: &str = "ru-central1";

/// A configuration error: which source, which setting, what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file named by `SVA_CONFIG` could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid JSON of the expected shape.
    #[error("invalid config file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The JSON error (with line and column).
        source: serde_json::Error,
    },
    /// A setting has a value that cannot be used.
    #[error("invalid {name}: {reason}")]
    Invalid {
        /// The setting (environment variable or file field).
        name: &'static str,
        /// Why the value is refused (never contains a secret).
        reason: String,
    },
    /// A required setting is missing.
    #[error("{name} is required: {why}")]
    Missing {
        /// The setting.
        name: &'static str,
        /// When it is required.
        why: &'static str,
    },
}

/// A secret string (a key, a password): `Debug` prints `***`; there is no `Display`
/// and no `Serialize`, so it cannot end up in a log line or a dump by accident.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where objects are stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageConfig {
    /// A local directory (the default: `.sva/data`).
    Local {
        /// The root directory; keys are paths below it.
        root: PathBuf,
    },
    /// An S3-protocol service (Yandex Object Storage by default).
    S3(S3Config),
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self::Local {
            root: PathBuf::from(DEFAULT_DATA_DIR),
        }
    }
}

/// The S3 back end's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// The endpoint URL; `None` lets the SDK resolve AWS's endpoint for the region.
    pub endpoint: Option<String>,
    /// The region (`ru-central1` for Yandex).
    pub region: String,
    /// Path-style addressing (`endpoint/bucket/key`) instead of virtual-hosted
    /// (`bucket.endpoint/key`); needed by most self-hosted S3 servers.
    pub force_path_style: bool,
    /// Static credentials; `None` uses the standard AWS credential chain.
    pub credentials: Option<S3Credentials>,
    /// Create-only writes send `If-None-Match: *`; when `false`, they fall back to
    /// HEAD then PUT, which races (see [`crate::storage::ObjectStore::put_if_absent`]).
    pub conditional_put: bool,
}

impl S3Config {
    /// Settings for a bucket in Yandex Object Storage, credentials from the AWS chain.
    pub fn yandex(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            endpoint: Some(YANDEX_ENDPOINT.to_owned()),
            region: YANDEX_REGION.to_owned(),
            force_path_style: false,
            credentials: None,
            conditional_put: true,
        }
    }
}

/// A static S3 access key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Credentials {
    /// The access key id (not secret: it names the key).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
}

/// The whole configuration of a function binary.
#[derive(Clone, Debug)]
pub struct Config {
    /// How the binary is served (HTTP server or Lambda runtime loop).
    pub adapter: Adapter,
    /// The HTTP listen address.
    pub host: IpAddr,
    /// The HTTP listen port (`PORT`).
    pub port: u16,
    /// The default request body limit in bytes.
    pub body_limit: usize,
    /// The log output format.
    pub log_format: LogFormat,
    /// Where objects are stored.
    pub storage: StorageConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            adapter: Adapter::Http,
            host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: DEFAULT_PORT,
            body_limit: DEFAULT_BODY_LIMIT,
            log_format: LogFormat::Json,
            storage: StorageConfig::default(),
        }
    }
}

/// The JSON config file (`SVA_CONFIG`): every field optional, unknown fields refused.
///
/// ```json
/// {
///   "port": 8080, "host": "127.0.0.1", "body_limit": 1048576, "log_format": "pretty",
///   "storage": { "backend": "s3", "bucket": "sva", "endpoint": "http://127.0.0.1:9000",
///                "region": "us-east-1", "force_path_style": true,
///                "access_key_id": "…", "secret_access_key": "…" }
/// }
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// HTTP listen port.
    pub port: Option<u16>,
    /// HTTP listen address.
    pub host: Option<IpAddr>,
    /// Request body limit, bytes.
    pub body_limit: Option<usize>,
    /// `json` or `pretty`.
    pub log_format: Option<LogFormat>,
    /// Storage settings.
    #[serde(default)]
    pub storage: FileStorage,
}

/// The storage part of [`FileConfig`].
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStorage {
    /// `local` or `s3`.
    pub backend: Option<Backend>,
    /// Local root directory.
    pub dir: Option<PathBuf>,
    /// S3 bucket.
    pub bucket: Option<String>,
    /// S3 endpoint URL (`aws` for the SDK's own).
    pub endpoint: Option<String>,
    /// S3 region.
    pub region: Option<String>,
    /// S3 path-style addressing.
    pub force_path_style: Option<bool>,
    /// S3 static access key id.
    pub access_key_id: Option<String>,
    /// S3 static secret access key.
    pub secret_access_key: Option<Secret>,
    /// Use `If-None-Match: *` for create-only writes.
    pub conditional_put: Option<bool>,
}

/// A storage back end name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// A local directory.
    Local,
    /// An S3-protocol service.
    S3,
}

impl Config {
    /// Reads the configuration from the process environment (and `SVA_CONFIG`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, a stand-in for the environment
    /// (tests pass a map instead of mutating the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let file = match var("SVA_CONFIG") {
            Some(path) => read_file(PathBuf::from(path))?,
            None => FileConfig::default(),
        };
        let defaults = Config::default();
        let port = match var("PORT") {
            Some(v) => parse("PORT", &v)?,
            None => file.port.unwrap_or(defaults.port),
        };
        let host = match var("SVA_HOST") {
            Some(v) => parse("SVA_HOST", &v)?,
            None => file.host.unwrap_or(defaults.host),
        };
        let body_limit = match var("SVA_BODY_LIMIT") {
            Some(v) => parse("SVA_BODY_LIMIT", &v)?,
            None => file.body_limit.unwrap_or(defaults.body_limit),
        };
        if body_limit == 0 {
            return Err(ConfigError::Invalid {
                name: "SVA_BODY_LIMIT",
                reason: "must be greater than zero".into(),
            });
        }
        let log_format = match var("SVA_LOG_FORMAT") {
            Some(v) => parse("SVA_LOG_FORMAT", &v)?,
            None => file.log_format.unwrap_or(defaults.log_format),
        };
        let storage = storage_config(&var, file.storage)?;
        Ok(Self {
            adapter: Adapter::from_env(&lookup).map_err(|MissingLambdaVar(name)| {
                ConfigError::Missing {
                    name,
                    why: "the Lambda runtime needs it when AWS_LAMBDA_RUNTIME_API is set",
                }
            })?,
            host,
            port,
            body_limit,
            log_format,
            storage,
        })
    }

    /// The serving part of the configuration.
    pub fn serve_config(&self) -> ServeConfig {
        ServeConfig {
            adapter: self.adapter,
            host: self.host,
            port: self.port,
            body_limit: self.body_limit,
        }
    }
}

fn read_file(path: PathBuf) -> Result<FileConfig, ConfigError> {
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    serde_json::from_str(&text).map_err(|source| ConfigError::Parse { path, source })
}

fn parse<T>(name: &'static str, value: &str) -> Result<T, ConfigError>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
{
    value.trim().parse().map_err(|e| ConfigError::Invalid {
        name,
        reason: format!("{value:?}: {e}"),
    })
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            name,
            reason: format!("{value:?} is not a boolean (true/false)"),
        }),
    }
}

fn storage_config(
    var: &impl Fn(&str) -> Option<String>,
    file: FileStorage,
) -> Result<StorageConfig, ConfigError> {
    let backend = match var("SVA_STORAGE") {
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "local" => Backend::Local,
            "s3" => Backend::S3,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "SVA_STORAGE",
                    reason: format!("{v:?} is not a back end (local or s3)"),
                });
            }
        },
        None => file.backend.unwrap_or(Backend::Local),
    };
    if backend == Backend::Local {
        let root = var("SVA_DATA_DIR")
            .map(PathBuf::from)
            .or(file.dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        return Ok(StorageConfig::Local { root });
    }
    let bucket = var("SVA_S3_BUCKET")
        .or(file.bucket)
        .ok_or(ConfigError::Missing {
            name: "SVA_S3_BUCKET",
            why: "the s3 storage back end needs a bucket",
        })?;
    let endpoint = var("SVA_S3_ENDPOINT")
        .or(file.endpoint)
        .unwrap_or_else(|| YANDEX_ENDPOINT.to_owned());
    let endpoint = (!endpoint.eq_ignore_ascii_case("aws")).then_some(endpoint);
    if let Some(url) = &endpoint
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(ConfigError::Invalid {
            name: "SVA_S3_ENDPOINT",
            reason: format!("{url:?} is not an http(s) URL"),
        });
    }
    let region = var("SVA_S3_REGION")
        .or(file.region)
        .unwrap_or_else(|| YANDEX_REGION.to_owned());
    let force_path_style = match var("SVA_S3_FORCE_PATH_STYLE") {
        Some(v) => parse_bool("SVA_S3_FORCE_PATH_STYLE", &v)?,
        None => file.force_path_style.unwrap_or(false),
    };
    let conditional_put = match var("SVA_S3_CONDITIONAL_PUT") {
        Some(v) => parse_bool("SVA_S3_CONDITIONAL_PUT", &v)?,
        None => file.conditional_put.unwrap_or(true),
    };
    let access_key_id = var("SVA_S3_ACCESS_KEY_ID").or(file.access_key_id);
    let secret = var("SVA_S3_SECRET_ACCESS_KEY")
        .map(Secret::new)
        .or(file.secret_access_key);
    let credentials = match (access_key_id, secret) {
        (Some(access_key_id), Some(secret_access_key)) => Some(S3Credentials {
            access_key_id,
            secret_access_key,
        }),
        (None, None) => None,
        _ => {
            return Err(ConfigError::Invalid {
                name: "SVA_S3_ACCESS_KEY_ID",
                reason: "set both SVA_S3_ACCESS_KEY_ID and SVA_S3_SECRET_ACCESS_KEY, or neither"
                    .into(),
            });
        }
    };
    Ok(StorageConfig::S3(S3Config {
        bucket,
        endpoint,
        region,
        force_path_style,
        credentials,
        conditional_put,
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Write;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_work_locally() {
        let config = Config::from_lookup(lookup(&[])).unwrap();
        assert_eq!(config.adapter, Adapter::Http);
        assert_eq!(config.port, 8080);
        assert_eq!(config.body_limit, DEFAULT_BODY_LIMIT);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(
            config.storage,
            StorageConfig::Local {
                root: PathBuf::from(".sva/data")
            }
        );
    }

    #[test]
    fn environment_overrides() {
        let config = Config::from_lookup(lookup(&[
            ("PORT", "9001"),
            ("SVA_HOST", "127.0.0.1"),
            ("SVA_BODY_LIMIT", "2048"),
            ("SVA_LOG_FORMAT", "pretty"),
            ("SVA_STORAGE", "s3"),
            ("SVA_S3_BUCKET", "sva-prod"),
            ("SVA_DATA_DIR", ""),
        ]))
        .unwrap();
        assert_eq!(config.port, 9001);
        assert_eq!(config.host, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(config.body_limit, 2048);
        assert_eq!(config.log_format, LogFormat::Pretty);
        assert_eq!(
            config.storage,
            StorageConfig::S3(S3Config::yandex("sva-prod"))
        );
        let serve = config.serve_config();
        assert_eq!((serve.port, serve.body_limit), (9001, 2048));
    }

    #[test]
    fn s3_requires_a_bucket_and_paired_credentials() {
        let err = Config::from_lookup(lookup(&[("SVA_STORAGE", "s3")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                name: "SVA_S3_BUCKET",
                ..
            }
        ));
        let err = Config::from_lookup(lookup(&[
            ("SVA_STORAGE", "s3"),
            ("SVA_S3_BUCKET", "b"),
            ("SVA_S3_ACCESS_KEY_ID", "id"),
        ]))
        .unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { .. }));
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("PORT", "http"),
            ("SVA_BODY_LIMIT", "0"),
            ("SVA_LOG_FORMAT", "xml"),
            ("SVA_STORAGE", "ftp"),
        ] {
            let err = Config::from_lookup(lookup(&[(name, value)])).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn file_then_environment() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        write!(
            file,
            r#"{{"port": 7000, "log_format": "pretty",
                "storage": {{"backend": "s3", "bucket": "from-file", "endpoint": "http://127.0.0.1:9000",
                             "region": "us-east-1", "force_path_style": true,
                             "access_key_id": "AKID", "secret_access_key": "s3cr3t-value"}}}}"#
        )
        .unwrap();
        let path = file.path().to_str().unwrap().to_owned();
        let config = Config::from_lookup(lookup(&[
            ("SVA_CONFIG", &path),
            ("SVA_S3_BUCKET", "from-env"),
        ]))
        .unwrap();
        assert_eq!(config.port, 7000);
        assert_eq!(config.log_format, LogFormat::Pretty);
        let StorageConfig::S3(s3) = &config.storage else {
            panic!("expected s3: {config:?}");
        };
        assert_eq!(s3.bucket, "from-env");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(s3.force_path_style);
        let creds = s3.credentials.as_ref().unwrap();
        assert_eq!(creds.secret_access_key.expose(), "s3cr3t-value");

        // Debug never shows the secret.
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cr3t-value"), "{debug}");
        assert!(debug.contains("***"));
    }

    #[test]
    fn file_errors_are_reported() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        write!(file, r#"{{"prot": 1}}"#).unwrap();
        let path = file.path().to_str().unwrap().to_owned();
        let err = Config::from_lookup(lookup(&[("SVA_CONFIG", &path)])).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
        let err =
            Config::from_lookup(lookup(&[("SVA_CONFIG", "/nonexistent/sva.json")])).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }), "{err}");
    }

    #[test]
    fn aws_endpoint_sentinel() {
        let config = Config::from_lookup(lookup(&[
            ("SVA_STORAGE", "s3"),
            ("SVA_S3_BUCKET", "b"),
            ("SVA_S3_ENDPOINT", "aws"),
            ("SVA_S3_REGION", "eu-central-1"),
        ]))
        .unwrap();
        let StorageConfig::S3(s3) = config.storage else {
            panic!("expected s3");
        };
        assert_eq!(s3.endpoint, None);
        assert_eq!(s3.region, "eu-central-1");
    }
}
