//! The ROOT file layer: the file header, keys (`TKey`), directories
//! (`TDirectory`) and reading the (possibly compressed) bytes of an object.

use std::sync::{Arc, OnceLock};

use cortado_source::Source;

use crate::compression;
use crate::error::{Error, Result};
use crate::rbuf::RBuf;
use crate::streamers::{self, StreamerInfo};

/// The fixed header at the start of every ROOT file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// ROOT version that wrote the file (e.g. 64000 for 6.40/00).
    pub version: i32,
    /// True for files with 64-bit seek pointers (written when larger than 2 GiB).
    pub big: bool,
    /// Offset of the first key (the top directory's key).
    pub begin: u64,
    /// Offset of the end of the file's data.
    pub end: u64,
    /// Offset of the free-segments record.
    pub seek_free: u64,
    /// Length of the top directory's key and name.
    pub nbytes_name: u32,
    /// The file's compression setting (`algorithm * 100 + level`).
    pub compress: i32,
    /// Offset of the key of the `TStreamerInfo` list.
    pub seek_info: u64,
    /// Length of the `TStreamerInfo` record.
    pub nbytes_info: u32,
    /// The file's unique identifier (`fUUID`, written by ROOT when the file
    /// is created), when the header holds one.
    pub uuid: Option<[u8; 16]>,
}

fn to_u64(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::corrupt(format!("negative {what} {v}")))
}

fn to_u32(v: i32, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::corrupt(format!("negative {what} {v}")))
}

impl FileHeader {
    /// Parses the header from the first bytes of a file.
    pub fn parse(data: &[u8]) -> Result<FileHeader> {
        let mut b = RBuf::new(data);
        let magic = b.bytes(4)?;
        if magic != b"root" {
            return Err(Error::corrupt(format!(
                "not a ROOT file: it starts with {:?} instead of \"root\"",
                String::from_utf8_lossy(magic)
            )));
        }
        let raw_version = b.i32()?;
        let big = raw_version >= 1_000_000;
        let version = raw_version % 1_000_000;
        let begin = to_u64(b.i32()? as i64, "fBEGIN")?;
        let (end, seek_free) = if big {
            (to_u64(b.i64()?, "fEND")?, to_u64(b.i64()?, "fSeekFree")?)
        } else {
            (
                to_u64(b.i32()? as i64, "fEND")?,
                to_u64(b.i32()? as i64, "fSeekFree")?,
            )
        };
        let _nbytes_free = b.i32()?;
        let _nfree = b.i32()?;
        let nbytes_name = to_u32(b.i32()?, "fNbytesName")?;
        let _units = b.u8()?;
        let compress = b.i32()?;
        let seek_info = if big {
            to_u64(b.i64()?, "fSeekInfo")?
        } else {
            to_u64(b.i32()? as i64, "fSeekInfo")?
        };
        let nbytes_info = to_u32(b.i32()?, "fNbytesInfo")?;
        // fUUID: a version (2 bytes) and 16 bytes; absent in a short header.
        let uuid = b
            .bytes(18)
            .ok()
            .and_then(|u| <[u8; 16]>::try_from(&u[2..]).ok());
        Ok(FileHeader {
            version,
            big,
            begin,
            end,
            seek_free,
            nbytes_name,
            compress,
            seek_info,
            nbytes_info,
            uuid,
        })
    }

    /// The file's UUID as ROOT and uproot print it
    /// (`269596fc-0b68-4802-84f8-616b87e1f586`).
    pub fn uuid_string(&self) -> Option<String> {
        let u = self.uuid?;
        let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
        Some(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }
}

/// A `TKey`: the header of every record in a ROOT file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// Total bytes of the record (key header + compressed object).
    pub nbytes: u32,
    /// Key version (> 1000 means 64-bit seeks).
    pub version: i16,
    /// Uncompressed length of the object.
    pub obj_len: u32,
    /// Length of the key header.
    pub key_len: u16,
    /// Cycle number.
    pub cycle: i16,
    /// Offset of this record in the file.
    pub seek_key: u64,
    /// Offset of the directory this key belongs to.
    pub seek_pdir: u64,
    /// Class of the object (`TTree`, `TDirectoryFile`, `TBasket`, ...).
    pub class_name: String,
    /// Name of the object.
    pub name: String,
    /// Title of the object.
    pub title: String,
}

impl Key {
    /// Parses a key header at the cursor.
    pub fn parse(b: &mut RBuf<'_>) -> Result<Key> {
        let nbytes = to_u32(b.i32()?, "key length fNbytes")?;
        let version = b.i16()?;
        let obj_len = to_u32(b.i32()?, "object length fObjlen")?;
        let _datime = b.u32()?;
        let key_len = u16::try_from(b.i16()?)
            .map_err(|_| Error::corrupt("negative key header length fKeylen"))?;
        let cycle = b.i16()?;
        let (seek_key, seek_pdir) = if version > 1000 {
            (
                to_u64(b.i64()?, "fSeekKey")?,
                to_u64(b.i64()?, "fSeekPdir")?,
            )
        } else {
            (
                to_u64(b.i32()? as i64, "fSeekKey")?,
                to_u64(b.i32()? as i64, "fSeekPdir")?,
            )
        };
        let class_name = b.tstring()?;
        let name = b.tstring()?;
        let title = b.tstring()?;
        Ok(Key {
            nbytes,
            version,
            obj_len,
            key_len,
            cycle,
            seek_key,
            seek_pdir,
            class_name,
            name,
            title,
        })
    }

    /// True when the object is stored without compression.
    pub fn is_uncompressed(&self) -> bool {
        self.nbytes.saturating_sub(self.key_len as u32) == self.obj_len
    }

    /// True for keys of subdirectories.
    pub fn is_directory(&self) -> bool {
        matches!(self.class_name.as_str(), "TDirectory" | "TDirectoryFile")
    }
}

/// A directory: its keys, in file order.
#[derive(Clone, Debug)]
pub struct Directory {
    /// The keys of the objects in this directory.
    pub keys: Vec<Key>,
}

impl Directory {
    /// What the directory holds, for messages: `it has: Events (TTree), Runs
    /// (TTree)` (each name and class once), or that it has no keys at all.
    pub fn describe(&self) -> String {
        let mut seen: Vec<String> = Vec::new();
        for k in &self.keys {
            let s = format!("{} ({})", k.name, k.class_name);
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        if seen.is_empty() {
            "its directory has no keys (it is empty, or damaged)".to_string()
        } else {
            format!("it has: {}", seen.join(", "))
        }
    }

    /// The key of `name` with the highest cycle, or the given `;cycle`.
    pub fn key(&self, name: &str) -> Option<&Key> {
        let (name, cycle) = match name.rsplit_once(';') {
            Some((n, c)) => match c.parse::<i16>() {
                Ok(c) => (n, Some(c)),
                Err(_) => (name, None),
            },
            None => (name, None),
        };
        self.keys
            .iter()
            .filter(|k| k.name == name && cycle.is_none_or(|c| k.cycle == c))
            .max_by_key(|k| k.cycle)
    }
}

/// An open ROOT file.
#[derive(Debug)]
pub struct RootFile {
    source: Arc<dyn Source>,
    header: FileHeader,
    top: Directory,
    streamers: OnceLock<Vec<StreamerInfo>>,
}

impl RootFile {
    /// Opens a file by path (or URL, for the schemes the source layer knows).
    pub fn open(location: &str) -> Result<RootFile> {
        let source = cortado_source::open(location)?;
        RootFile::from_source(source)
    }

    /// Opens `location`, sharing the open file between callers when it is
    /// remote (`root://`, `https://`): its header, directory and streamers
    /// are read once per process and its connections reused by every chunk
    /// (the 16 most recently used remote files are kept). A local file is
    /// opened afresh (cheap, and no descriptor is held between chunks).
    pub fn open_shared(location: &str) -> Result<Arc<RootFile>> {
        if !cortado_source::is_remote(location) {
            return RootFile::open(location).map(Arc::new);
        }
        static OPEN: std::sync::Mutex<Vec<(String, Arc<RootFile>)>> =
            std::sync::Mutex::new(Vec::new());
        const KEEP: usize = 16;
        let cached = {
            let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
            let at = open.iter().position(|(l, _)| l == location);
            at.map(|i| {
                let entry = open.remove(i);
                let f = entry.1.clone();
                open.push(entry); // most recently used last
                f
            })
        };
        if let Some(f) = cached {
            return Ok(f);
        }
        let f = Arc::new(RootFile::open(location)?);
        let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        if !open.iter().any(|(l, _)| l == location) {
            if open.len() >= KEEP {
                open.remove(0);
            }
            open.push((location.to_string(), f.clone()));
        }
        Ok(f)
    }

    /// Opens a file from any byte source.
    pub fn from_source(source: Arc<dyn Source>) -> Result<RootFile> {
        let loc = source.location().to_string();
        Self::from_source_inner(source).map_err(|e| e.in_file(&loc))
    }

    fn from_source_inner(source: Arc<dyn Source>) -> Result<RootFile> {
        let size = source.size();
        let head = source.read_at(0, size.min(128) as usize)?;
        let header = FileHeader::parse(&head).map_err(|e| e.in_object("file header"))?;
        if header.end > size {
            return Err(Error::corrupt(format!(
                "the file header says the data ends at byte {} but the file has only {size} bytes (truncated file?)",
                header.end
            ))
            .in_object("file header"));
        }
        let dir_at = header.begin + header.nbytes_name as u64;
        let top = read_directory(source.as_ref(), dir_at)
            .map_err(|e| e.in_object("top directory").at_offset(dir_at))?;
        Ok(RootFile {
            source,
            header,
            top,
            streamers: OnceLock::new(),
        })
    }

    /// The byte source.
    pub fn source(&self) -> &Arc<dyn Source> {
        &self.source
    }

    /// Path or URL of the file.
    pub fn location(&self) -> &str {
        self.source.location()
    }

    /// The file header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The top directory.
    pub fn top_dir(&self) -> &Directory {
        &self.top
    }

    /// Finds the key of an object by path (`Events`, `dir/sub/tree`, optional `;cycle`).
    pub fn key(&self, path: &str) -> Result<Key> {
        let mut dir = self.top.clone();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let Some((last, dirs)) = parts.split_last() else {
            return Err(Error::not_found("empty object path".to_string()));
        };
        for (i, d) in dirs.iter().enumerate() {
            let key = dir.key(d).filter(|k| k.is_directory()).ok_or_else(|| {
                Error::not_found(format!(
                    "no directory '{}' in {}",
                    parts[..=i].join("/"),
                    self.location()
                ))
            })?;
            let bytes = self.read_object_bytes(key)?;
            dir = parse_directory_record(self.source.as_ref(), &bytes)?;
        }
        dir.key(last).cloned().ok_or_else(|| {
            Error::not_found(format!(
                "no object '{path}' in {}; {}",
                self.location(),
                dir.describe()
            ))
        })
    }

    /// Reads and decompresses the object stored under `key`.
    pub fn read_object_bytes(&self, key: &Key) -> Result<Vec<u8>> {
        let raw = self
            .source
            .read_at(key.seek_key, key.nbytes as usize)
            .map_err(Error::from)?;
        object_bytes(key, &raw).map_err(|e| {
            e.in_object(format!("{} {}", key.class_name, key.name))
                .at_offset(key.seek_key)
                .in_file(self.location())
        })
    }

    /// The `TStreamerInfo` records of the file (parsed once, on first use).
    pub fn streamer_infos(&self) -> Result<&[StreamerInfo]> {
        if let Some(s) = self.streamers.get() {
            return Ok(s);
        }
        let infos = self.read_streamer_infos().map_err(|e| {
            e.in_object("TStreamerInfo list")
                .at_offset(self.header.seek_info)
                .in_file(self.location())
        })?;
        Ok(self.streamers.get_or_init(|| infos))
    }

    fn read_streamer_infos(&self) -> Result<Vec<StreamerInfo>> {
        if self.header.seek_info == 0 {
            return Ok(Vec::new());
        }
        let raw = self
            .source
            .read_at(self.header.seek_info, self.header.nbytes_info as usize)?;
        let key = Key::parse(&mut RBuf::new(&raw))?;
        let bytes = object_bytes(&key, &raw)?;
        streamers::parse_streamer_list(&bytes, key.key_len as u32)
    }
}

/// Given the raw record (key header + payload), returns the uncompressed object.
pub fn object_bytes(key: &Key, raw: &[u8]) -> Result<Vec<u8>> {
    let (kl, nb) = (key.key_len as usize, key.nbytes as usize);
    if kl > nb || nb > raw.len() {
        return Err(Error::corrupt(format!(
            "key header length {kl} and record length {nb} do not fit the {} bytes read",
            raw.len()
        )));
    }
    let payload = &raw[kl..nb];
    if key.is_uncompressed() {
        Ok(payload.to_vec())
    } else {
        Ok(compression::decompress(payload, key.obj_len as usize)?.1)
    }
}

/// Reads the directory record at `at` and its list of keys.
fn read_directory(source: &dyn Source, at: u64) -> Result<Directory> {
    let len = (source.size().saturating_sub(at)).min(64) as usize;
    let rec = source.read_at(at, len)?;
    parse_directory_record(source, &rec)
}

/// Parses a `TDirectory` record and reads its keys list.
fn parse_directory_record(source: &dyn Source, rec: &[u8]) -> Result<Directory> {
    let mut b = RBuf::new(rec);
    let version = b.i16()?;
    let _ctime = b.u32()?;
    let _mtime = b.u32()?;
    let nbytes_keys = to_u32(b.i32()?, "fNbytesKeys")?;
    let _nbytes_name = b.i32()?;
    let seek_keys = if version > 1000 {
        let _seek_dir = b.i64()?;
        let _seek_parent = b.i64()?;
        to_u64(b.i64()?, "fSeekKeys")?
    } else {
        let _seek_dir = b.i32()?;
        let _seek_parent = b.i32()?;
        to_u64(b.i32()? as i64, "fSeekKeys")?
    };
    if seek_keys == 0 {
        // ROOT writes the list of keys of every directory it closes, even
        // an empty one: without it the record is damaged (zeroed?).
        return Err(Error::corrupt(format!(
            "the directory record (version {version}) points to no list of keys \
             (fSeekKeys is 0): the directory is damaged, or the file was not closed by ROOT"
        )));
    }
    let raw = source.read_at(seek_keys, nbytes_keys as usize)?;
    let mut kb = RBuf::new(&raw);
    let list_key = Key::parse(&mut kb).map_err(|e| e.at_offset(seek_keys))?;
    kb.seek(list_key.key_len as usize)?;
    let nkeys = kb.i32()?;
    if nkeys < 0 || nkeys as usize > raw.len() / 20 {
        return Err(
            Error::corrupt(format!("impossible number of keys {nkeys}")).at_offset(seek_keys)
        );
    }
    let mut keys = Vec::with_capacity(nkeys as usize);
    for _ in 0..nkeys {
        keys.push(Key::parse(&mut kb).map_err(|e| e.at_offset(seek_keys))?);
    }
    Ok(Directory { keys })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_header() -> Vec<u8> {
        let mut v = b"root".to_vec();
        v.extend(62206i32.to_be_bytes()); // version
        v.extend(100i32.to_be_bytes()); // begin
        v.extend(5000i32.to_be_bytes()); // end
        v.extend(4000i32.to_be_bytes()); // seek free
        v.extend(50i32.to_be_bytes());
        v.extend(1i32.to_be_bytes());
        v.extend(60i32.to_be_bytes()); // nbytes name
        v.push(4);
        v.extend(101i32.to_be_bytes());
        v.extend(3000i32.to_be_bytes()); // seek info
        v.extend(500i32.to_be_bytes());
        v
    }

    #[test]
    fn small_and_big_headers() {
        let h = FileHeader::parse(&small_header()).unwrap();
        assert_eq!(
            (h.version, h.big, h.begin, h.end, h.seek_info, h.nbytes_info),
            (62206, false, 100, 5000, 3000, 500)
        );
        assert_eq!(h.uuid, None, "a header cut before fUUID has none");
        let mut v = b"root".to_vec();
        v.extend(1_064_000i32.to_be_bytes());
        v.extend(100i32.to_be_bytes());
        v.extend(3_000_000_000i64.to_be_bytes()); // end beyond 2 GiB
        v.extend(2_999_000_000i64.to_be_bytes());
        v.extend(50i32.to_be_bytes());
        v.extend(1i32.to_be_bytes());
        v.extend(60i32.to_be_bytes());
        v.push(8);
        v.extend(505i32.to_be_bytes());
        v.extend(2_500_000_000i64.to_be_bytes());
        v.extend(500i32.to_be_bytes());
        v.extend(1u16.to_be_bytes());
        v.extend(0x0123_4567_89ab_cdef_0011_2233_4455_6677u128.to_be_bytes());
        let h = FileHeader::parse(&v).unwrap();
        assert_eq!(
            h.uuid_string().as_deref(),
            Some("01234567-89ab-cdef-0011-223344556677")
        );
        assert!(h.big);
        assert_eq!(
            (h.version, h.end, h.seek_info, h.compress),
            (64000, 3_000_000_000, 2_500_000_000, 505)
        );
    }

    #[test]
    fn uuid_as_uproot_reads_it() {
        // uproot.open(f).file.uuid
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/zmumu/data/dy_2018_small.root"
        );
        let f = RootFile::open(path).unwrap();
        assert_eq!(
            f.header().uuid_string().as_deref(),
            Some("269596fc-0b68-4802-84f8-616b87e1f586")
        );
    }

    #[test]
    fn header_errors() {
        assert!(FileHeader::parse(b"nope")
            .unwrap_err()
            .to_string()
            .contains("not a ROOT file"));
        let h = small_header();
        assert!(FileHeader::parse(&h[..20]).is_err());
    }

    #[test]
    fn big_key_has_64_bit_seeks() {
        let mut v = Vec::new();
        v.extend(100i32.to_be_bytes());
        v.extend(1004i16.to_be_bytes());
        v.extend(200i32.to_be_bytes());
        v.extend(0u32.to_be_bytes());
        v.extend(50i16.to_be_bytes());
        v.extend(1i16.to_be_bytes());
        v.extend(3_000_000_000i64.to_be_bytes());
        v.extend(100i64.to_be_bytes());
        for s in ["TTree", "Events", "t"] {
            v.push(s.len() as u8);
            v.extend(s.as_bytes());
        }
        let k = Key::parse(&mut RBuf::new(&v)).unwrap();
        assert_eq!(k.seek_key, 3_000_000_000);
        assert_eq!(k.class_name, "TTree");
        assert!(!k.is_uncompressed());
    }

    #[test]
    fn directory_key_lookup_by_cycle() {
        let mk = |name: &str, cycle| Key {
            nbytes: 0,
            version: 4,
            obj_len: 0,
            key_len: 0,
            cycle,
            seek_key: 0,
            seek_pdir: 0,
            class_name: "TTree".into(),
            name: name.into(),
            title: String::new(),
        };
        let d = Directory {
            keys: vec![mk("Events", 1), mk("Events", 2), mk("Runs", 1)],
        };
        assert_eq!(d.key("Events").unwrap().cycle, 2);
        assert_eq!(d.key("Events;1").unwrap().cycle, 1);
        assert!(d.key("Events;3").is_none());
        assert!(d.key("Nope").is_none());
        assert_eq!(d.describe(), "it has: Events (TTree), Runs (TTree)");
        assert_eq!(
            Directory { keys: vec![] }.describe(),
            "its directory has no keys (it is empty, or damaged)"
        );
    }
}
