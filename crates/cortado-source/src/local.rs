//! Local files and in-memory sources.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{check_range, Source, SourceError};

/// A file on the local file system, read with positioned reads (`pread`), so
/// many threads can read it at once without seeking.
#[derive(Debug)]
pub struct LocalFile {
    path: PathBuf,
    display: String,
    file: File,
    size: u64,
}

impl LocalFile {
    /// Opens `path` for reading. Only regular files are accepted: a
    /// directory, FIFO, device or socket is refused ([`SourceError::NotAFile`]).
    /// The file is opened without blocking (`O_NONBLOCK`, which does not
    /// change reads of regular files) and checked with `fstat` on the open
    /// descriptor, so a FIFO put in the file's place after a check cannot
    /// make the open hang.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SourceError> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = path.as_ref().to_path_buf();
        let display = path.display().to_string();
        let io = |what: &str, error| SourceError::Io {
            location: display.clone(),
            what: what.to_string(),
            error,
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .map_err(|e| io("open", e))?;
        let meta = file.metadata().map_err(|e| io("stat", e))?;
        if let Some(kind) = not_regular(&meta.file_type()) {
            return Err(SourceError::NotAFile {
                location: display,
                kind,
            });
        }
        let size = meta.len();
        Ok(LocalFile {
            path,
            display,
            file,
            size,
        })
    }

    /// The path this file was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What a file type is, when it is not a regular file.
fn not_regular(t: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("directory")
    } else if t.is_fifo() {
        Some("FIFO (named pipe)")
    } else if t.is_char_device() {
        Some("character device")
    } else if t.is_block_device() {
        Some("block device")
    } else if t.is_socket() {
        Some("socket")
    } else {
        Some("special file")
    }
}

impl Source for LocalFile {
    fn location(&self) -> &str {
        &self.display
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn modified_ns(&self) -> Option<u64> {
        let t = self.file.metadata().and_then(|m| m.modified()).ok()?;
        let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
        u64::try_from(d.as_nanos()).ok()
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        check_range(&self.display, offset, len, self.size)?;
        let mut buf = vec![0u8; len];
        self.file
            .read_exact_at(&mut buf, offset)
            .map_err(|source| match source.kind() {
                // The file shrank after we looked at its size.
                std::io::ErrorKind::UnexpectedEof => SourceError::OutOfRange {
                    location: self.display.clone(),
                    offset,
                    len: len as u64,
                    size: self.file.metadata().map(|m| m.len()).unwrap_or(0),
                },
                _ => SourceError::Io {
                    location: self.display.clone(),
                    what: format!("read {len} bytes at offset {offset}"),
                    error: source,
                },
            })?;
        Ok(buf)
    }
}

/// An in-memory source, for tests, fuzzing and data already fetched.
#[derive(Debug, Clone)]
pub struct MemorySource {
    name: String,
    data: Arc<Vec<u8>>,
}

impl MemorySource {
    /// Wraps `data`, reporting errors under `name`.
    pub fn new(name: impl Into<String>, data: Vec<u8>) -> Self {
        MemorySource {
            name: name.into(),
            data: Arc::new(data),
        }
    }
}

impl Source for MemorySource {
    fn location(&self) -> &str {
        &self.name
    }

    fn size(&self) -> u64 {
        self.data.len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        check_range(&self.name, offset, len, self.size())?;
        let start = offset as usize;
        Ok(self.data[start..start + len].to_vec())
    }
}
