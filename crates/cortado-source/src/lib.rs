//! Byte sources: where the bytes of a ROOT file come from.
//!
//! Everything above this crate asks for byte ranges (`offset`, `length`) and never
//! cares whether they come from a local disk, an XRootD server or an HTTP server.
//! A [`Source`] is shared between threads, so reads take `&self`.

use std::fmt;
use std::sync::Arc;

pub mod http;
mod local;
mod remote;
pub mod xrootd;

pub use http::HttpFile;
pub use local::{LocalFile, MemorySource};
pub use remote::{remote_requests, RemoteOptions};
pub use ureq;
pub use xrootd::{list_dir, DirEntry, XrdFile};

/// An error while reading bytes from a source.
///
/// The message of every variant is complete (it includes the operating
/// system's message): [`std::error::Error::source`] is `None`, so that
/// printers of error chains (`anyhow`'s `{:#}`) do not repeat it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The operating system refused or failed the operation.
    #[error("{location}: {what}: {error}")]
    Io {
        /// The file or URL.
        location: String,
        /// What was being done ("open", "read 4096 bytes at offset 100").
        what: String,
        /// The underlying error (its text is part of this error's message).
        error: std::io::Error,
    },
    /// The path names something that is not a regular file (a directory, a
    /// FIFO, a device, a socket): it is refused rather than read, as reading
    /// a FIFO or a device may block forever.
    #[error("{location}: is a {kind}, not a regular file: only regular files can be read")]
    NotAFile {
        /// The path.
        location: String,
        /// What it is ("directory", "FIFO (named pipe)", ...).
        kind: &'static str,
    },
    /// A remote server or the network failed (XRootD, HTTP).
    #[error("{location}: {what}: {message}")]
    Remote {
        /// The URL.
        location: String,
        /// What was being done ("open", "read 4096 bytes at offset 100").
        what: String,
        /// The server's message, or the network error.
        message: String,
        /// Whether trying again may succeed (a dropped connection, an
        /// overloaded server) rather than not (no such file, permission denied).
        transient: bool,
    },
    /// A read asked for bytes beyond the end of the source: the file is truncated
    /// or an offset inside it is corrupt.
    #[error("{location}: cannot read {len} bytes at offset {offset}: the source has only {size} bytes (truncated file or corrupt offset)")]
    OutOfRange {
        /// The file or URL.
        location: String,
        /// Requested offset.
        offset: u64,
        /// Requested length.
        len: u64,
        /// Size of the source.
        size: u64,
    },
}

impl SourceError {
    /// True for failures that may succeed when tried again (an I/O error
    /// other than a missing file or a refused permission); a truncated file
    /// stays truncated.
    pub fn is_transient(&self) -> bool {
        use std::io::ErrorKind as K;
        match self {
            SourceError::Io { error, .. } => !matches!(
                error.kind(),
                K::NotFound | K::PermissionDenied | K::InvalidInput | K::IsADirectory
            ),
            SourceError::Remote { transient, .. } => *transient,
            SourceError::OutOfRange { .. } | SourceError::NotAFile { .. } => false,
        }
    }
}

/// Random-access, thread-safe byte source.
pub trait Source: Send + Sync + fmt::Debug {
    /// Human-readable location (path or URL) used in error messages.
    fn location(&self) -> &str;
    /// Total size in bytes.
    fn size(&self) -> u64;
    /// Reads exactly `len` bytes starting at `offset`.
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError>;

    /// Reads several ranges; sources with per-request latency override this to
    /// batch them (vector reads). The result has one buffer per range, in order.
    fn read_many(&self, ranges: &[(u64, usize)]) -> Result<Vec<Vec<u8>>, SourceError> {
        ranges.iter().map(|&(o, l)| self.read_at(o, l)).collect()
    }

    /// Whether each request costs a round trip worth saving (a remote
    /// source): readers then fetch what they need with one
    /// [`Source::read_many`] before decoding, rather than range by range.
    fn batches_reads(&self) -> bool {
        false
    }

    /// The modification time in nanoseconds since 1970, when the source
    /// knows it.
    fn modified_ns(&self) -> Option<u64> {
        None
    }
}

/// Checks that `offset..offset+len` lies inside a source of `size` bytes.
pub fn check_range(location: &str, offset: u64, len: usize, size: u64) -> Result<(), SourceError> {
    let end = offset.checked_add(len as u64);
    match end {
        Some(end) if end <= size => Ok(()),
        _ => Err(SourceError::OutOfRange {
            location: location.to_string(),
            offset,
            len: len as u64,
            size,
        }),
    }
}

/// Opens a source for a path or URL: a local path (or `file://`),
/// `root://` (XRootD), `http://` or `https://`; another scheme is a clear error.
pub fn open(location: &str) -> Result<Arc<dyn Source>, SourceError> {
    if let Some((scheme, _)) = location.split_once("://") {
        return match scheme {
            "file" => Ok(Arc::new(LocalFile::open(&location["file://".len()..])?)),
            "root" | "roots" => Ok(Arc::new(XrdFile::open(location)?)),
            "http" | "https" => Ok(Arc::new(HttpFile::open(location)?)),
            _ => Err(SourceError::Io {
                location: location.to_string(),
                what: "open".to_string(),
                error: std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    format!(
                        "the '{scheme}://' scheme is not supported (local paths, file://, \
                         root://, http:// and https://)"
                    ),
                ),
            }),
        };
    }
    Ok(Arc::new(LocalFile::open(location)?))
}

/// Entry points for the fuzz targets (`fuzz/fuzz_targets/remote.rs`); not
/// part of the API.
#[doc(hidden)]
pub mod fuzzing {
    /// Feeds `data` to every parser of servers' answers: XRootD replies
    /// (partial, deferred, redirects, waits, errors), vector-read bodies,
    /// directory listings, stat strings; HTTP multipart bodies and
    /// `Content-Range` values. Must return (an error or a value) and never
    /// panic or hang.
    pub fn remote_responses(data: &[u8]) {
        crate::xrootd::fuzz(data);
        crate::http::fuzz(data);
    }
}

/// Whether `location` is a URL of a remote source (not a local path).
pub fn is_remote(location: &str) -> bool {
    location
        .split_once("://")
        .is_some_and(|(scheme, _)| scheme != "file")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    #[test]
    fn only_io_failures_that_may_pass_are_transient() {
        let io = |kind| SourceError::Io {
            location: "f".into(),
            what: "read".into(),
            error: std::io::Error::from(kind),
        };
        assert!(io(std::io::ErrorKind::Interrupted).is_transient());
        assert!(io(std::io::ErrorKind::TimedOut).is_transient());
        assert!(!io(std::io::ErrorKind::NotFound).is_transient());
        assert!(!io(std::io::ErrorKind::PermissionDenied).is_transient());
        let truncated = SourceError::OutOfRange {
            location: "f".into(),
            offset: 10,
            len: 10,
            size: 5,
        };
        assert!(!truncated.is_transient());
    }

    use super::*;

    #[test]
    fn memory_source_bounds() {
        let s = MemorySource::new("mem", (0u8..10).collect());
        assert_eq!(s.read_at(2, 3).unwrap(), vec![2, 3, 4]);
        assert_eq!(s.read_at(10, 0).unwrap(), Vec::<u8>::new());
        let err = s.read_at(8, 3).unwrap_err().to_string();
        assert!(err.contains("only 10 bytes"), "{err}");
        assert!(s.read_at(u64::MAX, 2).is_err());
    }

    #[test]
    fn local_file_reads_and_reports_truncation() {
        let dir = std::env::temp_dir().join(format!("cortado-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f.bin");
        std::fs::write(&p, b"hello world").unwrap();
        let f = LocalFile::open(&p).unwrap();
        assert_eq!(f.size(), 11);
        assert_eq!(f.read_at(6, 5).unwrap(), b"world");
        let e = f.read_at(6, 6).unwrap_err().to_string();
        assert!(e.contains("f.bin") && e.contains("truncated"), "{e}");
        let missing = LocalFile::open(dir.join("nope.root"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("nope.root") && missing.contains("open"),
            "{missing}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A temporary folder for one test.
    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("cortado-source-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Opens `path` in another thread: the test fails (rather than hangs)
    /// when the open does not return within 10 seconds.
    fn open_with_timeout(path: &Path) -> Result<LocalFile, SourceError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let p = path.to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(LocalFile::open(p));
        });
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("opening {} blocked", path.display()))
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = temp_dir("fifo");
        let p = dir.join("pipe.root");
        let _ = std::fs::remove_file(&p);
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
        let e = open_with_timeout(&p).unwrap_err();
        assert!(!e.is_transient());
        let e = e.to_string();
        assert!(e.contains("pipe.root") && e.contains("FIFO"), "{e}");
        // through the generic entry point too
        let e = open(p.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn directories_and_devices_are_refused() {
        let dir = temp_dir("dir");
        let e = open_with_timeout(&dir).unwrap_err().to_string();
        assert!(
            e.contains(dir.to_str().unwrap()) && e.contains("is a directory, not a regular file"),
            "{e}"
        );
        let e = open_with_timeout(Path::new("/dev/null"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/dev/null: is a character device"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn error_messages_are_whole_and_not_chained_again() {
        // the OS message is in the text; a chain printer must not repeat it
        let e = LocalFile::open("/nonexistent/cortado.root").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("/nonexistent/cortado.root: open: "), "{text}");
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn unsupported_scheme_is_an_error() {
        let e = open("gsiftp://host/file.root").unwrap_err().to_string();
        assert!(e.contains("not supported"), "{e}");
    }

    #[test]
    fn urls_are_remote_and_paths_are_not() {
        assert!(is_remote("root://h//a.root") && is_remote("https://h/a.root"));
        assert!(!is_remote("/data/a.root") && !is_remote("file:///data/a.root"));
        assert!(!is_remote("relative/a.root"));
    }
}
