//! The bounded cache of loaded modules.

use crate::{ModuleKey, Scenario};
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

/// Loaded modules by (tenant, version); the least recently used go first.
pub(crate) struct ModuleCache {
    inner: Mutex<LruCache<ModuleKey, Arc<Scenario>>>,
}

impl ModuleCache {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        ModuleCache {
            inner: Mutex::new(LruCache::new(capacity)),
        }
    }

    pub(crate) fn get(&self, key: &ModuleKey) -> Option<Arc<Scenario>> {
        self.lock().get(key).cloned()
    }

    pub(crate) fn insert(&self, scenario: Arc<Scenario>) {
        self.lock().put(scenario.key().clone(), scenario);
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<ModuleKey, Arc<Scenario>>> {
        // A panic while holding the lock cannot leave the LRU inconsistent in a way that
        // matters (entries are immutable Arcs), so a poisoned lock is simply reused.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
