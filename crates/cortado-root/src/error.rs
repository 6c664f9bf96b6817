//! Errors of the ROOT reader. Every error says where it happened: the file, the
//! object or branch, the basket and the byte offset in the file, as far as known.

use std::fmt;

use cortado_source::SourceError;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// Reading bytes from the source failed (I/O error, file shorter than expected).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A structure ended before the bytes it needs: the file is truncated or an
    /// offset/length inside it is corrupt.
    #[error("truncated data: need {need} bytes at position {pos} of a {len}-byte buffer")]
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Position in the buffer.
        pos: usize,
        /// Length of the buffer.
        len: usize,
    },
    /// The bytes do not have the expected structure.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A valid ROOT feature that this reader does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A named object, tree or branch does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A compressed block could not be decompressed.
    #[error("{algorithm} decompression failed: {message}")]
    Decompress {
        /// The algorithm named in the block header.
        algorithm: &'static str,
        /// What the decompressor reported.
        message: String,
    },
}

/// An error with the location where it happened (boxed: errors are rare and
/// `Result`s stay small on the hot path).
#[derive(Debug)]
pub struct Error(Box<Located>);

/// The contents of an [`Error`].
#[derive(Debug)]
pub struct Located {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The file (path or URL).
    pub file: Option<String>,
    /// The object being read (`TTree Events`, `TStreamerInfo list`, ...).
    pub object: Option<String>,
    /// The branch being read.
    pub branch: Option<String>,
    /// The basket index within the branch.
    pub basket: Option<usize>,
    /// The byte offset in the file of the key/basket being decoded.
    pub offset: Option<u64>,
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error without location.
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(Located {
            kind,
            file: None,
            object: None,
            branch: None,
            basket: None,
            offset: None,
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// True when trying again may succeed (an I/O failure of the source,
    /// not corrupt or truncated data).
    pub fn is_transient(&self) -> bool {
        matches!(&self.0.kind, ErrorKind::Source(e) if e.is_transient())
    }

    /// Where it went wrong.
    pub fn location(&self) -> &Located {
        &self.0
    }

    /// A corrupt-data error.
    pub fn corrupt(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Corrupt(msg.into()))
    }

    /// An unsupported-feature error.
    pub fn unsupported(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported(msg.into()))
    }

    /// A not-found error.
    pub fn not_found(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotFound(msg.into()))
    }

    /// Sets the file if not set yet.
    pub fn in_file(mut self, file: &str) -> Error {
        if self.0.file.is_none() {
            self.0.file = Some(file.to_string());
        }
        self
    }

    /// Sets the object if not set yet.
    pub fn in_object(mut self, object: impl Into<String>) -> Error {
        if self.0.object.is_none() {
            self.0.object = Some(object.into());
        }
        self
    }

    /// Sets the branch if not set yet.
    pub fn in_branch(mut self, branch: &str) -> Error {
        if self.0.branch.is_none() {
            self.0.branch = Some(branch.to_string());
        }
        self
    }

    /// Sets the basket index if not set yet.
    pub fn in_basket(mut self, basket: usize) -> Error {
        if self.0.basket.is_none() {
            self.0.basket = Some(basket);
        }
        self
    }

    /// Sets the file offset if not set yet.
    pub fn at_offset(mut self, offset: u64) -> Error {
        if self.0.offset.is_none() {
            self.0.offset = Some(offset);
        }
        self
    }
}

impl From<SourceError> for Error {
    fn from(e: SourceError) -> Error {
        Error::new(ErrorKind::Source(e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A source error already names the file.
        let l = &self.0;
        let source_names_file = matches!(l.kind, ErrorKind::Source(_));
        if let (Some(file), false) = (&l.file, source_names_file) {
            write!(f, "{file}: ")?;
        }
        if let Some(o) = &l.object {
            write!(f, "{o}: ")?;
        }
        if let Some(b) = &l.branch {
            write!(f, "branch '{b}': ")?;
        }
        match (l.basket, l.offset) {
            (Some(k), Some(o)) => write!(f, "basket {k} at byte offset {o}: ")?,
            (Some(k), None) => write!(f, "basket {k}: ")?,
            (None, Some(o)) => write!(f, "at byte offset {o}: ")?,
            (None, None) => {}
        }
        write!(f, "{}", l.kind)
    }
}

/// The message is complete (a source error's text is part of it), so
/// [`std::error::Error::source`] is `None`: printers of error chains
/// (`anyhow`'s `{:#}`) would otherwise repeat it. The cause stays available
/// through [`Error::kind`].
impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_every_location() {
        let e = Error::corrupt("bad offsets")
            .in_basket(3)
            .at_offset(1234)
            .in_branch("Muon_pt")
            .in_object("TTree Events")
            .in_file("f.root");
        assert_eq!(
            e.to_string(),
            "f.root: TTree Events: branch 'Muon_pt': basket 3 at byte offset 1234: corrupt data: bad offsets"
        );
        // The first location set wins.
        let e = Error::corrupt("x").in_file("a").in_file("b");
        assert_eq!(e.location().file.as_deref(), Some("a"));
    }

    /// The message followed by its chain of sources, as `anyhow` prints it with `{:#}`.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text += &format!(": {c}");
            cause = c.source();
        }
        text
    }

    #[test]
    fn a_source_error_is_not_repeated_by_chain_printers() {
        let io = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let e = Error::from(SourceError::Io {
            location: "adir".into(),
            what: "read 128 bytes at offset 0".into(),
            error: io,
        })
        .in_file("adir");
        assert_eq!(
            chain(&e),
            "adir: read 128 bytes at offset 0: permission denied"
        );
        assert!(matches!(e.kind(), ErrorKind::Source(_)));
    }
}
