//! Logging: `tracing` events as JSON lines (the cloud) or human-readable lines (local),
//! with personal data masked in every emitted line.
//!
//! [`init`] installs the global subscriber. Every line goes through
//! [`MaskingWriter`], which applies [`mask_text`]: even a
//! careless `tracing::info!(caller = %phone)` prints `+7916***4567`. Masking on purpose
//! is still the rule (see [`crate::mask`]); this is the safety net.
//!
//! The filter comes from `RUST_LOG` (the `tracing-subscriber` syntax), by default
//! [`DEFAULT_FILTER`]. JSON lines are flat (`timestamp`, `level`, `message`, the event's
//! fields, `target`, and the current span's fields under `span`), the shape Yandex Cloud
//! Logging and CloudWatch parse. Colours are off: escape codes would hide digits from
//! the mask.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use tracing::{Metadata, Subscriber};
/// The `RUST_LOG`-syntax filter [`subscriber`] takes (re-exported from `tracing-subscriber`).
pub use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::mask::mask_text;

/// The filter used when `RUST_LOG` is unset: our events at info, the AWS SDK quieter.
pub const DEFAULT_FILTER: &str =
    "info,aws_config=warn,aws_smithy_runtime=warn,aws_smithy_runtime_api=warn,hyper=warn";

/// The log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line (the default; what cloud log collectors parse).
    #[default]
    Json,
    /// One human-readable line per event (local development).
    Pretty,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "pretty" | "text" => Ok(Self::Pretty),
            _ => Err(format!("{s:?} is not a log format (json or pretty)")),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json => "json",
            Self::Pretty => "pretty",
        })
    }
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// `RUST_LOG` is not a valid filter.
    #[error("invalid RUST_LOG filter: {0}")]
    Filter(String),
    /// A global subscriber was installed before.
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled,
}

/// Installs the global subscriber: `format`, the `RUST_LOG` filter (default
/// [`DEFAULT_FILTER`]), masked lines to standard error.
pub fn init(format: LogFormat) -> Result<(), LoggingError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(directives),
        _ => EnvFilter::try_new(DEFAULT_FILTER),
    }
    .map_err(|e| LoggingError::Filter(e.to_string()))?;
    tracing::subscriber::set_global_default(subscriber(format, filter, io::stderr))
        .map_err(|_| LoggingError::AlreadyInstalled)
}

/// A subscriber writing masked lines in `format` to `writer`, for [`init`] and for
/// tests (with [`CaptureWriter`] and `tracing::subscriber::with_default`).
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(MaskingMakeWriter::new(writer));
    match format {
        LogFormat::Json => Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .finish(),
        ),
        LogFormat::Pretty => Box::new(builder.finish()),
    }
}

/// Wraps a [`MakeWriter`] so that every line written through it is masked.
#[derive(Clone, Debug)]
pub struct MaskingMakeWriter<M> {
    inner: M,
}

impl<M> MaskingMakeWriter<M> {
    /// Masks what `inner`'s writers receive.
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for MaskingMakeWriter<M> {
    type Writer = MaskingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskingWriter::new(self.inner.make_writer())
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        MaskingWriter::new(self.inner.make_writer_for(meta))
    }
}

/// A writer that buffers whole lines and writes them masked with
/// [`mask_text`]. A partial line is written when the writer is
/// flushed or dropped.
#[derive(Debug)]
pub struct MaskingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> MaskingWriter<W> {
    /// Masks what is written to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            buf: Vec::new(),
        }
    }

    /// Writes the complete lines buffered so far (all of the buffer if `all`).
    fn emit(&mut self, all: bool) -> io::Result<()> {
        let end = if all {
            self.buf.len()
        } else {
            match self.buf.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => return Ok(()),
            }
        };
        if end == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buf[..end]);
        let result = self.inner.write_all(mask_text(&text).as_bytes());
        self.buf.drain(..end);
        result
    }
}

impl<W: Write> Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        self.emit(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit(true)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for MaskingWriter<W> {
    fn drop(&mut self) {
        // A log line that cannot be written is lost; there is no one to tell.
        let _ = self.emit(true);
        let _ = self.inner.flush();
    }
}

/// An in-memory log destination for tests: everything written, shared between clones.
#[derive(Clone, Debug, Default)]
pub struct CaptureWriter {
    buf: Arc<Mutex<Vec<u8>>>,
}

impl CaptureWriter {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far, as text.
    pub fn contents(&self) -> String {
        let buf = self.buf.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl Write for CaptureWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CaptureWriter {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(format: LogFormat, emit: impl FnOnce()) -> String {
        let out = CaptureWriter::new();
        let filter = EnvFilter::try_new("info").unwrap();
        tracing::subscriber::with_default(subscriber(format, filter, out.clone()), emit);
        out.contents()
    }

    fn careless_events() {
        let phone = "+79161234567";
        let span = tracing::info_span!("call", caller = %phone, tenant = "acme");
        let _entered = span.enter();
        tracing::info!(caller = %phone, email = "ivan.petrov@example.ru", "incoming call");
        tracing::warn!(
            "callback requested to 8 (903) 765-43-21 by {}",
            "olga@mail.ru"
        );
        tracing::info!(latency_ms = 42, status = 200, "response");
    }

    fn assert_masked(out: &str) {
        for leak in [
            "79161234567",
            "9161234567",
            "765-43-21",
            "ivan.petrov",
            "olga@",
        ] {
            assert!(!out.contains(leak), "{leak} leaked in:\n{out}");
        }
        assert!(out.contains("+7916***4567"), "{out}");
        assert!(out.contains("8903***4321"), "{out}");
        assert!(out.contains("i***@example.ru"), "{out}");
        assert!(out.contains("o***@mail.ru"), "{out}");
    }

    #[test]
    fn json_lines_are_masked_and_still_json() {
        let out = capture(LogFormat::Json, careless_events);
        assert_masked(&out);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["message"], "incoming call");
        assert_eq!(lines[0]["caller"], "+7916***4567");
        assert_eq!(lines[0]["span"]["caller"], "+7916***4567");
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[2]["latency_ms"], 42);
        // The timestamp is not mistaken for a phone number.
        let ts = lines[0]["timestamp"].as_str().unwrap();
        assert!(!ts.contains('*'), "{ts}");
    }

    #[test]
    fn pretty_lines_are_masked() {
        let out = capture(LogFormat::Pretty, careless_events);
        assert_masked(&out);
        assert_eq!(out.lines().count(), 3, "{out}");
        assert!(out.contains("incoming call"));
    }

    #[test]
    fn writer_masks_only_whole_lines() {
        let out = CaptureWriter::new();
        let mut writer = MaskingWriter::new(out.clone());
        writer.write_all(b"call +7916").unwrap();
        assert_eq!(out.contents(), "");
        writer.write_all(b"1234567 done\nnext +7 903").unwrap();
        assert_eq!(out.contents(), "call +7916***4567 done\n");
        drop(writer);
        assert_eq!(out.contents(), "call +7916***4567 done\nnext +7 903");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("JSON".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert_eq!("pretty".parse::<LogFormat>().unwrap(), LogFormat::Pretty);
        assert!("xml".parse::<LogFormat>().is_err());
    }
}
