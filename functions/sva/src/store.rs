//! The object store a command reads: the local data directory, or the kit's configured
//! storage (the bucket) when `SVA_STORAGE` is set.

use std::path::Path;
use std::sync::Arc;
use sva_kit::storage::{DynStore, LocalDir};

/// Opens the store: `SVA_STORAGE` and the kit's variables when set, else `data`.
pub async fn open(data: &Path) -> anyhow::Result<DynStore> {
    if std::env::var_os("SVA_STORAGE").is_some() {
        let config = sva_kit::Config::from_env()?;
        return Ok(sva_kit::storage::open(&config.storage).await?);
    }
    anyhow::ensure!(
        data.exists(),
        "нет каталога данных {} — запустите `make dev` и сделайте несколько звонков (`make call`)",
        data.display()
    );
    Ok(Arc::new(LocalDir::new(data)))
}
