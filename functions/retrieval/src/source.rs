//! A knowledge source as a tenant uploads it: a named file of a known kind.

use serde::{Deserialize, Serialize};

/// The largest source accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 2 * 1024 * 1024;

/// The longest source name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// What a source file is, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Markdown (`.md`, `.markdown`): headings make the sections.
    Markdown,
    /// Plain text (`.txt`): the first line is the title, blank lines split paragraphs.
    Text,
    /// HTML (`.html`, `.htm`): `h1`–`h6` make the sections.
    Html,
    /// A table (`.csv`), e.g. a price list: one passage per row, named by its first cell.
    Csv,
}

impl SourceKind {
    /// The kind of a file called `name`, by its extension.
    pub fn of(name: &str) -> Option<SourceKind> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "md" | "markdown" => SourceKind::Markdown,
            "txt" => SourceKind::Text,
            "html" | "htm" => SourceKind::Html,
            "csv" => SourceKind::Csv,
            _ => return None,
        })
    }
}

/// Why a source was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The name is empty, too long, or has characters other than letters, digits, `.`,
    /// `-` and `_`.
    #[error(
        "source name {0:?} is not allowed: use 1–100 letters, digits, '.', '-' or '_', not starting with '.'"
    )]
    BadName(String),
    /// The extension is not one of the supported kinds.
    #[error("source {0:?} is not a supported kind: use .md, .txt, .html or .csv")]
    Unsupported(String),
    /// The file is larger than [`MAX_SOURCE_BYTES`].
    #[error("source {name:?} is {size} bytes; the limit is {MAX_SOURCE_BYTES}")]
    TooLarge {
        /// The source name.
        name: String,
        /// Its size in bytes.
        size: usize,
    },
    /// The file is not UTF-8 text.
    #[error("source {0:?} is not UTF-8 text")]
    NotUtf8(String),
    /// The file has no text to answer from.
    #[error("source {0:?} has no text")]
    Empty(String),
    /// The file would give more than [`crate::chunk::MAX_CHUNKS_PER_SOURCE`] passages.
    #[error("source {0:?} gives more than 5000 passages; split it")]
    TooManyPassages(String),
    /// An HTML page nested deeper than [`crate::chunk::MAX_HTML_DEPTH`].
    #[error("source {0:?} nests its HTML deeper than 512 elements")]
    TooDeep(String),
    /// A CSV file could not be read.
    #[error("source {name:?}: {reason}")]
    BadCsv {
        /// The source name.
        name: String,
        /// What is wrong, with the line.
        reason: String,
    },
}

impl SourceError {
    /// A machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            SourceError::BadName(_) => "bad_source_name",
            SourceError::Unsupported(_) => "unsupported_source",
            SourceError::TooLarge { .. } => "source_too_large",
            SourceError::TooManyPassages(_) => "too_many_passages",
            SourceError::TooDeep(_) => "html_too_deep",
            SourceError::NotUtf8(_) => "source_not_utf8",
            SourceError::Empty(_) => "empty_source",
            SourceError::BadCsv { .. } => "bad_csv",
        }
    }
}

/// Checks a source name (it becomes part of an object key) and returns its kind.
pub fn check_name(name: &str) -> Result<SourceKind, SourceError> {
    let chars = name.chars().count();
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | '_');
    // Bytes too: a name is one segment of an object key (at most 255 bytes).
    if chars == 0
        || chars > MAX_NAME_CHARS
        || name.len() > MAX_NAME_BYTES
        || name.starts_with('.')
        || !name.chars().all(allowed)
    {
        return Err(SourceError::BadName(name.to_owned()));
    }
    SourceKind::of(name).ok_or_else(|| SourceError::Unsupported(name.to_owned()))
}

/// The longest source name, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 200;

/// A source's bytes checked for size and encoding: the text and its kind.
pub fn decode<'a>(name: &str, bytes: &'a [u8]) -> Result<(SourceKind, &'a str), SourceError> {
    let kind = check_name(name)?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(SourceError::TooLarge {
            name: name.to_owned(),
            size: bytes.len(),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| SourceError::NotUtf8(name.to_owned()))?;
    // A byte-order mark some editors write.
    Ok((kind, text.strip_prefix('\u{feff}').unwrap_or(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name("prices.csv"), Ok(SourceKind::Csv));
        assert_eq!(check_name("Доставка_2026.md"), Ok(SourceKind::Markdown));
        assert_eq!(check_name("page.HTM"), Ok(SourceKind::Html));
        for bad in ["", ".hidden.md", "../x.md", "a/b.md", "a b.md", "x\u{0}.md"] {
            assert_eq!(
                check_name(bad).unwrap_err().code(),
                "bad_source_name",
                "{bad:?}"
            );
        }
        assert_eq!(
            check_name("x.pdf").unwrap_err().code(),
            "unsupported_source"
        );
        assert_eq!(
            check_name("noext").unwrap_err().code(),
            "unsupported_source"
        );
        let long = format!("{}.md", "я".repeat(MAX_NAME_CHARS));
        assert_eq!(check_name(&long).unwrap_err().code(), "bad_source_name");
    }

    #[test]
    fn bytes_are_checked() {
        assert_eq!(
            decode("a.txt", "\u{feff}привет".as_bytes()).unwrap().1,
            "привет"
        );
        assert_eq!(
            decode("a.txt", &[0xff, 0xfe]).unwrap_err().code(),
            "source_not_utf8"
        );
        let big = vec![b'a'; MAX_SOURCE_BYTES + 1];
        assert_eq!(
            decode("a.txt", &big).unwrap_err().code(),
            "source_too_large"
        );
    }
}
