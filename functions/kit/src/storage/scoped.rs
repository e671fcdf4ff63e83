//! [`Scoped`]: a store confined to one key prefix.

use async_trait::async_trait;
use bytes::Bytes;

use super::{
    ObjectMeta, ObjectStore, StorageError, validate_key, validate_prefix, validate_segment,
};

/// A store confined to a prefix, for tenant isolation: every key is validated (so no
/// `..` can climb out), then prefixed; listings are stripped of the prefix, and keys
/// that would not lie below it are dropped.
///
/// ```
/// # use sva_kit::storage::{LocalDir, Scoped};
/// let tenant = Scoped::new(LocalDir::new("/tmp/data"), "tenants/acme/")?;
/// let same = Scoped::under(LocalDir::new("/tmp/data"), "tenants", "acme")?;
/// assert_eq!(tenant.prefix(), same.prefix());
/// # Ok::<(), sva_kit::storage::StorageError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Scoped<S> {
    inner: S,
    prefix: String,
}

impl<S: ObjectStore> Scoped<S> {
    /// Confines `inner` to `prefix`, a valid key path; a trailing `/` is added if
    /// missing (`tenants/acme` and `tenants/acme/` are the same scope).
    pub fn new(inner: S, prefix: &str) -> Result<Self, StorageError> {
        let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
        validate_key(trimmed)?;
        Ok(Self {
            inner,
            prefix: format!("{trimmed}/"),
        })
    }

    /// Confines `inner` to `{area}/{id}/`, where `id` (a tenant id, typically from a
    /// request) must be a single segment: `Scoped::under(store, "tenants", tenant)`.
    pub fn under(inner: S, area: &str, id: &str) -> Result<Self, StorageError> {
        validate_segment(id)?;
        let area = area.strip_suffix('/').unwrap_or(area);
        Self::new(inner, &format!("{area}/{id}/"))
    }

    /// The prefix, ending with `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The unscoped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn full_key(&self, key: &str) -> Result<String, StorageError> {
        validate_key(key)?;
        Ok(format!("{}{key}", self.prefix))
    }
}

#[async_trait]
impl<S: ObjectStore> ObjectStore for Scoped<S> {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StorageError> {
        self.inner.get(&self.full_key(key)?).await
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<(), StorageError> {
        self.inner.put(&self.full_key(key)?, body).await
    }

    async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<bool, StorageError> {
        self.inner.put_if_absent(&self.full_key(key)?, body).await
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.inner.delete(&self.full_key(key)?).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        validate_prefix(prefix)?;
        let keys = self.inner.list(&format!("{}{prefix}", self.prefix)).await?;
        Ok(keys
            .into_iter()
            .filter_map(|key| key.strip_prefix(&self.prefix).map(str::to_owned))
            .collect())
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        self.inner.head(&self.full_key(key)?).await
    }

    async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        self.inner.exists(&self.full_key(key)?).await
    }
}
