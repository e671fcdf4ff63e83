//! Object storage: one async trait, [`ObjectStore`], over a local directory
//! ([`LocalDir`], the embedded default) or an S3-protocol service ([`S3Store`], Yandex
//! Object Storage in the cloud), with the same key layout in both:
//!
//! ```text
//! tenants/{tenant}/tenant.json
//! calls/{tenant}/{yyyy-mm-dd}/{call_id}.json
//! outbox/crm/{tenant}/{call_id}.json
//! ```
//!
//! Keys are validated by every back end (see [`validate_key`]): relative,
//! `/`-separated, no empty, `.` or `..` segments, no control characters or backslashes,
//! UTF-8 in NFC. A key can never escape its root, and [`Scoped`] confines a store to one
//! prefix (a tenant's) on top of that.

mod key;
mod local;
#[cfg(feature = "s3")]
mod s3;
mod scoped;
#[cfg(feature = "s3-test-server")]
pub mod test_server;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

pub use key::{MAX_KEY_BYTES, MAX_SEGMENT_BYTES, validate_key, validate_prefix, validate_segment};
pub use local::LocalDir;
#[cfg(feature = "s3")]
pub use s3::S3Store;
pub use scoped::Scoped;

use crate::config::StorageConfig;

/// A shared, type-erased store, what handlers hold.
pub type DynStore = Arc<dyn ObjectStore>;

/// What went wrong in a storage operation.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The key (or prefix) is not acceptable; nothing was read or written.
    #[error("invalid storage key {key:?}: {reason}")]
    InvalidKey {
        /// The refused key.
        key: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The local directory cannot hold this key because another key is a directory
    /// where this one needs a file, or the reverse (`a/b` and `a/b/c`). S3 allows both;
    /// our key layout never needs it.
    #[error("storage key {key:?} conflicts with another key (a file/directory clash)")]
    KeyConflict {
        /// The key.
        key: String,
    },
    /// A local file system operation failed.
    #[error("storage {op} of {key:?} failed: {source}")]
    Io {
        /// The operation (`get`, `put`, …).
        op: &'static str,
        /// The key or prefix.
        key: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The remote service failed (network, credentials, permissions, server error).
    #[error("storage {op} of {key:?} failed: {message}")]
    Backend {
        /// The operation.
        op: &'static str,
        /// The key or prefix.
        key: String,
        /// The service's error, with its code.
        message: String,
    },
    /// The store could not be set up.
    #[error("storage configuration: {0}")]
    Config(String),
}

/// What [`ObjectStore::head`] knows about an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Size in bytes.
    pub size: u64,
}

/// An object store: whole objects by key. Every method validates its key first and
/// answers [`StorageError::InvalidKey`] without touching storage if it is refused.
#[async_trait]
pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// The object, or `None` if there is none under `key`.
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StorageError>;

    /// Writes the object, replacing any previous one. Readers see the old object or
    /// the new one, never a part.
    async fn put(&self, key: &str, body: Bytes) -> Result<(), StorageError>;

    /// Writes the object only if none exists under `key`: `true` if written, `false`
    /// if one was already there (it is left unchanged). Atomic in [`LocalDir`] and in
    /// [`S3Store`] with conditional writes (`If-None-Match: *`); with
    /// `conditional_put = false` S3 falls back to HEAD then PUT, where two concurrent
    /// writers may both win.
    async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<bool, StorageError>;

    /// Deletes the object; deleting a missing object succeeds (idempotent).
    async fn delete(&self, key: &str) -> Result<(), StorageError>;

    /// Every key that starts with `prefix` (a plain string prefix: `calls/acme/` or
    /// `calls/acme/2026-05`), sorted, all pages. `""` lists everything.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError>;

    /// The object's metadata, or `None` if there is none under `key`.
    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError>;

    /// Whether an object exists under `key`.
    async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        Ok(self.head(key).await?.is_some())
    }
}

#[async_trait]
impl<T: ObjectStore + ?Sized> ObjectStore for Arc<T> {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StorageError> {
        (**self).get(key).await
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<(), StorageError> {
        (**self).put(key, body).await
    }

    async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<bool, StorageError> {
        (**self).put_if_absent(key, body).await
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        (**self).delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        (**self).list(prefix).await
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        (**self).head(key).await
    }

    async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        (**self).exists(key).await
    }
}

/// Opens the configured store: a [`LocalDir`] or an [`S3Store`] (which needs the `s3`
/// feature).
pub async fn open(config: &StorageConfig) -> Result<DynStore, StorageError> {
    match config {
        StorageConfig::Local { root } => Ok(Arc::new(LocalDir::new(root))),
        #[cfg(feature = "s3")]
        StorageConfig::S3(s3) => Ok(Arc::new(S3Store::from_config(s3).await?)),
        #[cfg(not(feature = "s3"))]
        StorageConfig::S3(_) => Err(StorageError::Config(
            "the s3 back end is configured but this binary was built without the `s3` feature"
                .into(),
        )),
    }
}
