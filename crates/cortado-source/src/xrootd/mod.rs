//! `root://` sources: cortado's XRootD client (no Rust crate speaks the
//! protocol). A file is opened by following the redirects (a CMS global
//! redirector sends the client to a site's data server, which may answer
//! "wait"); reads go to the data server found, over a small pool of
//! connections so that several requests are in flight at once; a list of
//! byte ranges travels as vector reads (`kXR_readv`, up to 1,024 ranges per
//! request). Network failures and servers' transient errors are retried
//! with back-off, from the redirector again when the data server is gone;
//! permanent errors (no such file, not authorised) name the URL and carry
//! the server's message.
//!
//! `roots://` switches the connection to TLS (rustls) when the server
//! offers it. Anonymous access only: a server asking for GSI or token
//! authentication is refused with a clear error (`docs/remote.md`).

use std::sync::Mutex;
use std::time::Duration;

mod conn;
mod proto;
mod tls;
mod url;

pub use url::XrdUrl;

use crate::remote::{self, err, Failure, RemoteOptions};
use crate::{check_range, Source, SourceError};
use conn::{Conn, ConnError, Reply};

/// The most redirects (and waits) one open follows.
const MAX_HOPS: usize = 16;

/// A logged-in connection with the file open on it.
struct Session {
    conn: Conn,
    fh: [u8; 4],
}

/// Where the file was found: the data server, and the CGI its redirect added.
#[derive(Clone, Debug)]
struct Target {
    host: String,
    port: u16,
    opaque: Option<String>,
}

impl From<ConnError> for Failure {
    fn from(e: ConnError) -> Self {
        Failure {
            transient: matches!(e, ConnError::Io(_)),
            message: e.to_string(),
        }
    }
}

fn server_error(code: i32, msg: &str) -> Failure {
    let (name, transient) = proto::error_kind(code);
    Failure {
        message: format!("{msg} ({name}, {code})"),
        transient,
    }
}

/// A file on an XRootD server.
pub struct XrdFile {
    url: XrdUrl,
    location: String,
    size: u64,
    mtime: i64,
    opts: RemoteOptions,
    target: Mutex<Option<Target>>,
    idle: Mutex<Vec<Session>>,
    requests: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for XrdFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "XrdFile({}, {} bytes)", self.location, self.size)
    }
}

impl XrdFile {
    /// Opens `location` (`root://host[:port]//path[?cgi]`) with options
    /// from the environment ([`RemoteOptions::from_env`]).
    pub fn open(location: &str) -> Result<XrdFile, SourceError> {
        XrdFile::open_with(location, RemoteOptions::from_env())
    }

    /// Opens `location` with `opts`.
    pub fn open_with(location: &str, opts: RemoteOptions) -> Result<XrdFile, SourceError> {
        let url = XrdUrl::parse(location).map_err(|m| err(location, "open", m, false))?;
        let mut f = XrdFile {
            url,
            location: location.to_string(),
            size: 0,
            mtime: 0,
            opts,
            target: Mutex::new(None),
            idle: Mutex::new(Vec::new()),
            requests: Default::default(),
        };
        let (session, size, mtime) = f.retry("open", |f| f.new_session())?;
        f.size = size;
        f.mtime = mtime;
        f.idle.lock().expect("idle lock").push(session);
        Ok(f)
    }

    /// The file's modification time (seconds since 1970), from the server.
    pub fn mtime(&self) -> i64 {
        self.mtime
    }

    /// The data requests (reads and vector reads) answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `f` until it succeeds, fails permanently, or the retries are spent.
    fn retry<T>(
        &self,
        what: &str,
        mut f: impl FnMut(&XrdFile) -> Result<T, Failure>,
    ) -> Result<T, SourceError> {
        remote::retry(
            &self.location,
            what,
            self.opts.retries,
            || f(self),
            |n| {
                // the connections and the data server may be gone
                self.idle.lock().expect("idle lock").clear();
                if n >= 2 {
                    *self.target.lock().expect("target lock") = None;
                }
            },
        )
    }

    /// Opens the file on a new connection: at the data server found
    /// before, or from the URL's server through its redirects. When the
    /// data server found before refuses (it lost the file, it left the
    /// federation), the URL's server is asked again once.
    fn new_session(&self) -> Result<(Session, u64, i64), Failure> {
        let known = self.target.lock().expect("target lock").clone();
        match self.session_from(known.clone()) {
            Err(e) if known.is_some() && !e.transient => {
                *self.target.lock().expect("target lock") = None;
                self.session_from(None)
            }
            r => r,
        }
    }

    /// [`XrdFile::new_session`] from `start` (`None`: the URL's server).
    fn session_from(&self, start: Option<Target>) -> Result<(Session, u64, i64), Failure> {
        let mut at = start.unwrap_or(Target {
            host: self.url.host.clone(),
            port: self.url.port,
            opaque: None,
        });
        for _ in 0..MAX_HOPS {
            let mut conn = Conn::open(&at.host, at.port, self.opts.timeouts(), self.url.tls)
                .map_err(|e| {
                    let mut f = Failure::from(e);
                    f.message = format!("{}:{}: {}", at.host, at.port, f.message);
                    f
                })?;
            let path = self.url.path_with(at.opaque.as_deref());
            match conn.call(proto::req::OPEN, proto::open_params(), path.as_bytes())? {
                Reply::Ok(body) => {
                    let fh: [u8; 4] =
                        body.get(..4)
                            .and_then(|b| b.try_into().ok())
                            .ok_or_else(|| {
                                Failure::from(ConnError::Protocol("open: no handle".into()))
                            })?;
                    let (size, flags, mtime) = proto::parse_stat(body.get(12..).unwrap_or(&[]))
                        .map_err(|m| Failure::from(ConnError::Protocol(m)))?;
                    if flags & (proto::STAT_IS_DIR | proto::STAT_OTHER) != 0 {
                        return Err(Failure {
                            message: "is a directory or special file, not a regular file".into(),
                            transient: false,
                        });
                    }
                    *self.target.lock().expect("target lock") = Some(at);
                    return Ok((Session { conn, fh }, size, mtime));
                }
                Reply::Redirect { host, port, opaque } => {
                    let Ok(port) = u16::try_from(port) else {
                        return Err(Failure {
                            message: format!(
                                "redirected to a URL or a bad port ({host}, {port}), which cortado \
                                 does not follow"
                            ),
                            transient: false,
                        });
                    };
                    at = Target {
                        host: unbracket(&host),
                        port,
                        opaque,
                    };
                }
                Reply::Wait(secs, _msg) => {
                    std::thread::sleep(Duration::from_secs(secs.min(self.opts.max_wait_s) as u64))
                }
                Reply::Error(code, msg) => {
                    return Err(server_error(code, &format!("{}: {msg}", conn.addr)))
                }
            }
        }
        Err(Failure {
            message: format!("more than {MAX_HOPS} redirects or waits"),
            transient: true,
        })
    }

    /// Runs `f` on an idle session (or a new one), keeping the session
    /// for the next request when `f` succeeds.
    fn with_session<T>(
        &self,
        f: impl Fn(&mut Session) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let idle = self.idle.lock().expect("idle lock").pop();
        let mut s = match idle {
            Some(s) => s,
            None => self.new_session()?.0,
        };
        let r = f(&mut s)?;
        let mut idle = self.idle.lock().expect("idle lock");
        if idle.len() < self.opts.streams.max(1) {
            idle.push(s);
        } else {
            drop(idle);
            let _ = s
                .conn
                .call(proto::req::CLOSE, proto::handle_params(s.fh), &[]);
        }
        Ok(r)
    }

    /// A read answered with something else than data: a wait (the server
    /// is busy: wait as asked, then try again) or a redirect (the file
    /// moved: find it again from the URL's server), both retried.
    fn not_data(&self, r: Reply) -> Failure {
        match r {
            Reply::Wait(secs, _) => {
                std::thread::sleep(Duration::from_secs(secs.min(self.opts.max_wait_s) as u64));
                Failure {
                    message: "the server asked to wait".into(),
                    transient: true,
                }
            }
            Reply::Redirect { .. } => {
                *self.target.lock().expect("target lock") = None;
                Failure {
                    message: "the server redirected a read".into(),
                    transient: true,
                }
            }
            other => Failure::from(ConnError::Protocol(format!("a read answered {other:?}"))),
        }
    }

    /// One `kXR_readv` of `elements` on one session.
    fn readv(&self, elements: &[(u64, usize)]) -> Result<Vec<Vec<u8>>, SourceError> {
        self.retry("vector read", |f| {
            f.with_session(|s| {
                let list = proto::readv_list(s.fh, elements);
                match s.conn.call(proto::req::READV, [0; 16], &list)? {
                    Reply::Ok(body) => {
                        remote::count_request(body.len());
                        f.requests
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        proto::parse_readv(&body, elements)
                            .map_err(|m| Failure::from(ConnError::Protocol(m)))
                    }
                    Reply::Error(code, msg) => Err(server_error(code, &msg)),
                    other => Err(f.not_data(other)),
                }
            })
        })
    }
}

/// A host name as a redirect gives it, IPv6 brackets removed.
fn unbracket(host: &str) -> String {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .to_string()
}

/// An entry of a directory on an XRootD server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name in the directory.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Modification time (seconds since 1970).
    pub mtime: i64,
}

/// Lists the directory `url` (`root://host//path/to/dir`), following
/// redirects and waits, retrying transient failures; entries sorted by name.
pub fn list_dir(url: &str) -> Result<Vec<DirEntry>, SourceError> {
    let opts = RemoteOptions::from_env();
    let u = XrdUrl::parse(url).map_err(|m| err(url, "list", m, false))?;
    let mut v = remote::retry(url, "list", opts.retries, || list_once(&u, &opts), |_| {})?;
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(v)
}

/// One listing attempt.
fn list_once(u: &XrdUrl, opts: &RemoteOptions) -> Result<Vec<DirEntry>, Failure> {
    let (mut host, mut port, mut opaque) = (u.host.clone(), u.port, None::<String>);
    for _ in 0..MAX_HOPS {
        let mut conn = Conn::open(&host, port, opts.timeouts(), u.tls)?;
        let path = u.path_with(opaque.as_deref());
        match conn.call(
            proto::req::DIRLIST,
            proto::dirlist_params(),
            path.as_bytes(),
        )? {
            Reply::Ok(body) => {
                let entries = proto::parse_dirlist(&body)
                    .map_err(|m| Failure::from(ConnError::Protocol(m)))?;
                return Ok(entries
                    .into_iter()
                    .map(|(name, size, flags, mtime)| DirEntry {
                        name,
                        size,
                        is_dir: flags & proto::STAT_IS_DIR != 0,
                        mtime,
                    })
                    .collect());
            }
            Reply::Redirect {
                host: h,
                port: p,
                opaque: o,
            } if u16::try_from(p).is_ok() => {
                (host, port, opaque) = (unbracket(&h), p as u16, o);
            }
            Reply::Redirect { host: h, .. } => {
                return Err(Failure {
                    message: format!("redirected to a URL ({h}), which cortado does not follow"),
                    transient: false,
                })
            }
            Reply::Wait(secs, _) => {
                std::thread::sleep(Duration::from_secs(secs.min(opts.max_wait_s) as u64))
            }
            Reply::Error(code, msg) => {
                return Err(server_error(code, &format!("{}: {msg}", conn.addr)))
            }
        }
    }
    Err(Failure {
        message: format!("more than {MAX_HOPS} redirects or waits"),
        transient: true,
    })
}

/// The XRootD parsers on arbitrary bytes ([`crate::fuzzing`]).
pub(crate) fn fuzz(data: &[u8]) {
    let _ = conn::read_reply(&mut std::io::Cursor::new(data), 1);
    let split = data.first().map_or(0, |&b| b as usize % 8);
    let elements: Vec<(u64, usize)> = (0..split).map(|i| (i as u64 * 7, i * 3)).collect();
    let _ = proto::parse_readv(data, &elements);
    let _ = proto::parse_dirlist(data);
    let _ = proto::parse_stat(data);
}

impl Source for XrdFile {
    fn location(&self) -> &str {
        &self.location
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn batches_reads(&self) -> bool {
        true
    }

    fn modified_ns(&self) -> Option<u64> {
        u64::try_from(self.mtime).ok().map(|s| s * 1_000_000_000)
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        check_range(&self.location, offset, len, self.size)?;
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let at = offset + out.len() as u64;
            let n = (len - out.len()).min(proto::READ_MAX);
            let what = format!("read {n} bytes at offset {at}");
            let part = self.retry(&what, |f| {
                f.with_session(|s| {
                    let p = proto::read_params(s.fh, at, n as u32);
                    match s.conn.call(proto::req::READ, p, &[])? {
                        Reply::Ok(body) => {
                            remote::count_request(body.len());
                            f.requests
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            Ok(body)
                        }
                        Reply::Error(code, msg) => Err(server_error(code, &msg)),
                        other => Err(f.not_data(other)),
                    }
                })
            })?;
            if part.is_empty() {
                return Err(SourceError::OutOfRange {
                    location: self.location.clone(),
                    offset,
                    len: len as u64,
                    size: at,
                });
            }
            out.extend_from_slice(&part);
        }
        out.truncate(len);
        Ok(out)
    }

    /// Vector reads: the ranges split into elements of at most 1 MiB,
    /// grouped by 1,024, the groups sent on up to `streams` connections at once.
    fn read_many(&self, ranges: &[(u64, usize)]) -> Result<Vec<Vec<u8>>, SourceError> {
        for &(o, l) in ranges {
            check_range(&self.location, o, l, self.size)?;
        }
        let elements = remote::split_ranges(ranges, proto::READV_MAX_ELEMENT);
        let groups: Vec<&[(u64, usize)]> = elements.chunks(proto::READV_MAX_ELEMENTS).collect();
        let parts: Vec<Vec<Vec<u8>>> =
            remote::in_parallel(&groups, self.opts.streams, |g| self.readv(g))?;
        let pieces: Vec<Vec<u8>> = parts.into_iter().flatten().collect();
        remote::join_ranges(ranges, &elements, pieces, &self.location)
    }
}

impl Drop for XrdFile {
    fn drop(&mut self) {
        // close the file on the connections still open (best effort)
        for mut s in self
            .idle
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
        {
            let _ = s
                .conn
                .call(proto::req::CLOSE, proto::handle_params(s.fh), &[]);
        }
    }
}
