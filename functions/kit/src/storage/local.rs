//! [`LocalDir`]: objects as files below a root directory.

use std::fs;
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;

use super::key::RESERVED_PREFIX;
use super::{ObjectMeta, ObjectStore, StorageError, validate_key, validate_prefix};

/// Temporary files are named `.sva-tmp-{pid}-{n}`; keys cannot start a segment with
/// `.sva-`, so they never collide with objects and `list` skips them.
const TMP_PREFIX: &str = ".sva-tmp-";

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Objects as files below a root directory: key `a/b/c.json` is the file
/// `{root}/a/b/c.json`, so the directory can be browsed and edited by hand.
///
/// Writes are atomic: the body goes to a temporary file in the target's directory,
/// is synced, and is renamed over the target ([`ObjectStore::put`]) or hard-linked to it
/// ([`ObjectStore::put_if_absent`], which fails if the target exists). Directories are
/// created as needed and never removed. One limitation S3 does not have: a key cannot be
/// both an object and a "directory" of other keys (`a/b` and `a/b/c`) —
/// [`StorageError::KeyConflict`].
#[derive(Clone, Debug)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// A store below `root` (created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> PathBuf {
        let mut path = self.root.clone();
        path.extend(key.split('/'));
        path
    }
}

fn io_error(op: &'static str, key: &str, source: io::Error) -> StorageError {
    StorageError::Io {
        op,
        key: key.to_owned(),
        source,
    }
}

/// Errors that mean "no object here": missing, a directory, or a path through a file.
fn is_absent(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::NotFound | ErrorKind::IsADirectory | ErrorKind::NotADirectory
    )
}

/// Runs blocking file system work off the async threads.
async fn blocking<T: Send + 'static>(
    op: &'static str,
    key: &str,
    work: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| io_error(op, key, io::Error::other(join.to_string())))?
}

/// Writes `body` to a synced temporary file in `dir` and returns its path.
fn write_temp(dir: &Path, body: &[u8]) -> io::Result<PathBuf> {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!("{TMP_PREFIX}{}-{n}", std::process::id()));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(body)?;
        file.sync_data()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(err) => {
            let _ = fs::remove_file(&tmp);
            Err(err)
        }
    }
}

/// Creates the parent directories of `path`; a file in the way is a key conflict.
fn create_parent(path: &Path, key: &str) -> Result<PathBuf, StorageError> {
    let parent = path
        .parent()
        .ok_or_else(|| io_error("put", key, io::Error::other("key has no parent directory")))?
        .to_path_buf();
    match fs::create_dir_all(&parent) {
        Ok(()) => Ok(parent),
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::AlreadyExists | ErrorKind::NotADirectory
            ) =>
        {
            Err(StorageError::KeyConflict {
                key: key.to_owned(),
            })
        }
        Err(err) => Err(io_error("put", key, err)),
    }
}

fn put_blocking(
    path: &Path,
    key: &str,
    body: &[u8],
    overwrite: bool,
) -> Result<bool, StorageError> {
    let op = if overwrite { "put" } else { "put_if_absent" };
    let parent = create_parent(path, key)?;
    let tmp = write_temp(&parent, body).map_err(|e| io_error(op, key, e))?;
    let placed = if overwrite {
        fs::rename(&tmp, path)
    } else {
        fs::hard_link(&tmp, path)
    };
    if !overwrite || placed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    match placed {
        Ok(()) => Ok(true),
        Err(_) if path.is_dir() => Err(StorageError::KeyConflict {
            key: key.to_owned(),
        }),
        Err(err) if !overwrite && err.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(err) => Err(io_error(op, key, err)),
    }
}

/// Collects the keys of the files below `dir` (whose key prefix is `dir_key`, empty or
/// ending with `/`) that start with `prefix`.
fn walk(dir: &Path, dir_key: &str, prefix: &str, keys: &mut Vec<String>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if is_absent(&err) => return Ok(()),
        Err(err) => return Err(err),
    };
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue; // not UTF-8: not one of our keys
        };
        if name.starts_with(RESERVED_PREFIX) {
            continue;
        }
        let key = format!("{dir_key}{name}");
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            let sub_key = format!("{key}/");
            // Descend only where keys can still match the prefix.
            if sub_key.starts_with(prefix) || prefix.starts_with(&sub_key) {
                walk(&entry.path(), &sub_key, prefix, keys)?;
            }
        } else if file_type.is_file() && key.starts_with(prefix) && validate_key(&key).is_ok() {
            keys.push(key);
        }
    }
    Ok(())
}

#[async_trait]
impl ObjectStore for LocalDir {
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StorageError> {
        validate_key(key)?;
        let path = self.path_of(key);
        let owned = key.to_owned();
        blocking("get", key, move || match fs::read(&path) {
            Ok(data) => Ok(Some(Bytes::from(data))),
            Err(err) if is_absent(&err) => Ok(None),
            Err(err) => Err(io_error("get", &owned, err)),
        })
        .await
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<(), StorageError> {
        validate_key(key)?;
        let path = self.path_of(key);
        let owned = key.to_owned();
        blocking("put", key, move || {
            put_blocking(&path, &owned, &body, true).map(|_| ())
        })
        .await
    }

    async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<bool, StorageError> {
        validate_key(key)?;
        let path = self.path_of(key);
        let owned = key.to_owned();
        blocking("put_if_absent", key, move || {
            put_blocking(&path, &owned, &body, false)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        validate_key(key)?;
        let path = self.path_of(key);
        let owned = key.to_owned();
        blocking("delete", key, move || match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if is_absent(&err) => Ok(()),
            Err(err) => Err(io_error("delete", &owned, err)),
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        validate_prefix(prefix)?;
        // Start the walk at the deepest directory the prefix names in full.
        let dir_key = match prefix.rfind('/') {
            Some(i) => prefix[..=i].to_owned(),
            None => String::new(),
        };
        let mut dir = self.root.clone();
        dir.extend(dir_key.split('/').filter(|s| !s.is_empty()));
        let owned = prefix.to_owned();
        blocking("list", prefix, move || {
            let mut keys = Vec::new();
            walk(&dir, &dir_key, &owned, &mut keys).map_err(|e| io_error("list", &owned, e))?;
            keys.sort_unstable();
            Ok(keys)
        })
        .await
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        validate_key(key)?;
        let path = self.path_of(key);
        let owned = key.to_owned();
        blocking("head", key, move || match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(Some(ObjectMeta { size: meta.len() })),
            Ok(_) => Ok(None),
            Err(err) if is_absent(&err) => Ok(None),
            Err(err) => Err(io_error("head", &owned, err)),
        })
        .await
    }
}
