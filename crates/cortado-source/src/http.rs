//! `http://` and `https://` sources: range requests with `ureq` (one agent
//! per file, its connections kept alive and reused). A list of byte ranges
//! is merged into spans (ranges closer than 64 kB read as one), and the
//! spans travel as multi-range requests (`Range: bytes=a-b,c-d,…`, answered
//! `multipart/byteranges`) when the server supports them, else as single
//! ranges, several requests in flight at once.
//!
//! TLS: the server's certificate is checked against the CA certificates of
//! `X509_CERT_DIR` (the grid's `/etc/grid-security/certificates`) and
//! `SSL_CERT_FILE` when set, else Mozilla's roots; the client presents the
//! X509 proxy of `X509_USER_PROXY` (or `/tmp/x509up_u<uid>`) when there is one.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use ureq::tls::{Certificate, ClientCert, PemItem, RootCerts, TlsConfig};

use crate::remote::{self, err, Failure, RemoteOptions};
use crate::{check_range, Source, SourceError};

/// Ranges closer than this are read as one span.
const MERGE_GAP: u64 = 64 << 10;
/// The largest span.
const MAX_SPAN: usize = 16 << 20;
/// Spans per multi-range request.
const RANGES_PER_REQUEST: usize = 32;

/// Multi-range support: not known yet, supported, not supported.
const MULTI_UNKNOWN: u8 = 0;
const MULTI_YES: u8 = 1;
const MULTI_NO: u8 = 2;

/// A file on an HTTP(S) server.
pub struct HttpFile {
    url: String,
    size: u64,
    agent: ureq::Agent,
    opts: RemoteOptions,
    multi: AtomicU8,
    requests: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for HttpFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HttpFile({}, {} bytes)", self.url, self.size)
    }
}

impl From<ureq::Error> for Failure {
    fn from(e: ureq::Error) -> Self {
        let transient = matches!(
            e,
            ureq::Error::Io(_)
                | ureq::Error::Timeout(_)
                | ureq::Error::ConnectionFailed
                | ureq::Error::HostNotFound
        );
        Failure {
            message: e.to_string(),
            transient,
        }
    }
}

/// The failure an HTTP status means.
fn status_failure(code: u16) -> Failure {
    let (what, transient) = match code {
        401 => ("not authorised (HTTP 401)", false),
        403 => ("permission denied (HTTP 403)", false),
        404 => ("no such file (HTTP 404)", false),
        416 => ("range not satisfiable (HTTP 416)", false),
        408 | 429 => ("the server is busy", true),
        500..=599 => ("server error", true),
        _ => ("unexpected answer", false),
    };
    Failure {
        message: format!("{what} (HTTP {code})"),
        transient,
    }
}

/// The (first byte, last byte, total size) of a `Content-Range: bytes a-b/n`.
fn content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let v = v.trim().strip_prefix("bytes")?.trim();
    let (range, total) = v.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    Some((
        a.trim().parse().ok()?,
        b.trim().parse().ok()?,
        total.trim().parse().ok(),
    ))
}

/// The TLS settings of cortado's HTTPS clients: the CA certificates of
/// `X509_CERT_DIR` and `SSL_CERT_FILE` (else Mozilla's roots) and, as
/// client certificate, the X509 proxy of `X509_USER_PROXY` (or
/// `/tmp/x509up_u<uid>`) when there is one.
pub fn tls_config() -> Result<TlsConfig, String> {
    let mut roots: Vec<Certificate<'static>> = Vec::new();
    let mut pem_files: Vec<std::path::PathBuf> = Vec::new();
    if let Ok(dir) = std::env::var("X509_CERT_DIR") {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut v: Vec<_> = rd.flatten().map(|e| e.path()).collect();
            v.sort();
            pem_files.extend(v.into_iter().filter(|p| {
                p.extension().is_some_and(|e| e == "pem" || e == "crt")
                    || p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| e.chars().all(|c| c.is_ascii_digit()))
            }));
        }
    }
    if let Ok(f) = std::env::var("SSL_CERT_FILE") {
        pem_files.push(f.into());
    }
    for p in pem_files {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        for item in ureq::tls::parse_pem(&bytes).flatten() {
            if let PemItem::Certificate(c) = item {
                roots.push(c);
            }
        }
    }
    let mut b = TlsConfig::builder();
    if !roots.is_empty() {
        b = b.root_certs(RootCerts::new_with_certs(&roots));
    }
    let proxy = std::env::var("X509_USER_PROXY").ok().or_else(|| {
        // SAFETY: getuid has no preconditions and cannot fail
        let p = format!("/tmp/x509up_u{}", unsafe { libc::getuid() });
        std::path::Path::new(&p).exists().then_some(p)
    });
    if let Some(p) = proxy {
        let bytes = std::fs::read(&p).map_err(|e| format!("X509 proxy {p}: {e}"))?;
        let (mut chain, mut key) = (Vec::new(), None);
        for item in ureq::tls::parse_pem(&bytes) {
            match item.map_err(|e| format!("X509 proxy {p}: {e}"))? {
                PemItem::Certificate(c) => chain.push(c),
                PemItem::PrivateKey(k) => key = Some(k),
                _ => {}
            }
        }
        let key = key.ok_or_else(|| format!("X509 proxy {p}: no private key in it"))?;
        if chain.is_empty() {
            return Err(format!("X509 proxy {p}: no certificate in it"));
        }
        usable_client_cert(&p).map_err(|e| format!("X509 proxy {p}: {e}"))?;
        b = b.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(b.build())
}

/// An HTTP(S) agent with `opts`' timeouts and [`tls_config`]; statuses
/// are answers, not errors (the caller reads them).
pub fn agent(opts: &RemoteOptions) -> Result<ureq::Agent, String> {
    let t = Some(Duration::from_secs(opts.timeout_s));
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(opts.connect_s)))
        .timeout_recv_response(t)
        .timeout_recv_body(t)
        .max_idle_connections_per_host(opts.streams.max(1))
        .tls_config(tls_config()?)
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

/// Whether rustls takes the certificates and key of the PEM file `path`
/// as a client certificate (ureq would panic on one it refuses, such as an
/// X.509 version-1 certificate).
fn usable_client_cert(path: &str) -> Result<(), String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| e.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::from_pem_file(path).map_err(|e| e.to_string())?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_client_auth_cert(certs, key)
        .map(|_| ())
        .map_err(|e| format!("not a usable client certificate: {e}"))
}

impl HttpFile {
    /// Opens `url` with options from the environment.
    pub fn open(url: &str) -> Result<HttpFile, SourceError> {
        HttpFile::open_with(url, RemoteOptions::from_env())
    }

    /// Opens `url` with `opts`: asks for its first byte, which gives the
    /// size and proves that the server answers range requests.
    pub fn open_with(url: &str, opts: RemoteOptions) -> Result<HttpFile, SourceError> {
        let agent = agent(&opts).map_err(|m| err(url, "open", m, false))?;
        let mut f = HttpFile {
            url: url.to_string(),
            size: 0,
            agent,
            opts,
            multi: AtomicU8::new(MULTI_UNKNOWN),
            requests: Default::default(),
        };
        f.size = f.retry("open", |f| {
            let a = f.get(&[(0, 1)])?;
            match (a.parts.first().map(|p| p.0), a.total) {
                (Some(0), Some(n)) => Ok(n),
                _ => Err(Failure {
                    message: "the server did not give the file's size (Content-Range)".into(),
                    transient: false,
                }),
            }
        })?;
        Ok(f)
    }

    /// The range requests answered so far (the first one, at opening, included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Whether the server answered multi-range requests (`None`: not tried yet).
    pub fn multi_range(&self) -> Option<bool> {
        match self.multi.load(Ordering::Relaxed) {
            MULTI_YES => Some(true),
            MULTI_NO => Some(false),
            _ => None,
        }
    }

    /// Runs `f` until it succeeds, fails permanently, or the retries are spent.
    fn retry<T>(
        &self,
        what: &str,
        f: impl Fn(&HttpFile) -> Result<T, Failure>,
    ) -> Result<T, SourceError> {
        remote::retry(&self.url, what, self.opts.retries, || f(self), |_| {})
    }

    /// GETs the byte ranges `spans` in one request.
    fn get(&self, spans: &[(u64, usize)]) -> Result<Answer, Failure> {
        let header: Vec<String> = spans
            .iter()
            .map(|&(o, l)| format!("{o}-{}", o + l.max(1) as u64 - 1))
            .collect();
        let mut resp = self
            .agent
            .get(&self.url)
            // "Range" as written: XrdHttp (5.5) ignores a lower-case "range"
            .header_raw("Range", format!("bytes={}", header.join(",")).as_bytes())
            .call()?;
        let code = resp.status().as_u16();
        if code == 200 && spans.len() > 1 {
            // the whole file for several ranges (S3, or past a server's
            // max_ranges): no part; the caller reads range by range
            return Ok(Answer {
                total: None,
                parts: Vec::new(),
            });
        }
        if code == 200 {
            return Err(Failure {
                message: "the server does not answer range requests (HTTP 200 for a range)".into(),
                transient: false,
            });
        }
        if code != 206 {
            return Err(status_failure(code));
        }
        let h = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let ctype = h("content-type").unwrap_or_default();
        let range = h("content-range");
        let want: u64 = spans.iter().map(|s| s.1 as u64 + 256).sum::<u64>() + (1 << 16);
        let body = resp.body_mut().with_config().limit(want).read_to_vec()?;
        remote::count_request(body.len());
        self.requests.fetch_add(1, Ordering::Relaxed);
        let boundary = ctype
            .to_ascii_lowercase()
            .starts_with("multipart/byteranges")
            .then(|| {
                ctype
                    .split(';')
                    .find_map(|p| p.trim().strip_prefix("boundary="))
                    .map(|s| s.trim_matches('"').to_string())
            });
        match boundary {
            Some(Some(b)) => multipart(&body, &b).map_err(|m| Failure {
                message: m,
                transient: true,
            }),
            Some(None) => Err(Failure {
                message: "a multipart answer without boundary".into(),
                transient: false,
            }),
            None => {
                let (a, b, total) = range.as_deref().and_then(content_range).ok_or(Failure {
                    message: "a 206 answer without Content-Range".into(),
                    transient: false,
                })?;
                let want = b.checked_sub(a).and_then(|d| d.checked_add(1));
                if want != Some(body.len() as u64) {
                    return Err(Failure {
                        message: format!("the answer has {} bytes for range {a}-{b}", body.len()),
                        transient: true,
                    });
                }
                Ok(Answer {
                    total,
                    parts: vec![(a, body)],
                })
            }
        }
    }

    /// The bytes of each span, from answers with as many spans per request
    /// as the server takes.
    fn read_spans(&self, spans: &[(u64, usize)]) -> Result<Vec<Vec<u8>>, SourceError> {
        let what = |g: &[(u64, usize)]| match g {
            [(o, l)] => format!("read {l} bytes at offset {o}"),
            _ => format!("read {} ranges", g.len()),
        };
        if self.multi.load(Ordering::Relaxed) != MULTI_NO && spans.len() > 1 {
            let groups: Vec<&[(u64, usize)]> = spans.chunks(RANGES_PER_REQUEST).collect();
            let r = remote::in_parallel(&groups, self.opts.streams, |g| {
                self.retry(&what(g), |f| {
                    let a = f.get(g)?;
                    Ok(g.iter().map(|&s| a.slice(s)).collect::<Vec<_>>())
                })
            });
            match r {
                Ok(parts) if parts.iter().flatten().all(Option::is_some) => {
                    self.multi.store(MULTI_YES, Ordering::Relaxed);
                    return Ok(parts.into_iter().flatten().flatten().collect());
                }
                // answered with fewer ranges than asked: one range per request
                Ok(_) => self.multi.store(MULTI_NO, Ordering::Relaxed),
                Err(e) => return Err(e),
            }
        }
        let singles: Vec<&[(u64, usize)]> = spans.chunks(1).collect();
        let parts = remote::in_parallel(&singles, self.opts.streams, |g| {
            self.retry(&what(g), |f| {
                f.get(g)?.slice(g[0]).ok_or(Failure {
                    message: "the answer does not hold the range asked for".into(),
                    transient: true,
                })
            })
        })?;
        Ok(parts)
    }
}

/// A range request's answer: the total size when given, and the parts
/// (offset, bytes).
struct Answer {
    total: Option<u64>,
    parts: Vec<(u64, Vec<u8>)>,
}

impl Answer {
    /// The bytes of `(offset, len)`, if a part holds them all.
    fn slice(&self, (o, l): (u64, usize)) -> Option<Vec<u8>> {
        self.parts.iter().find_map(|(start, data)| {
            let from = o.checked_sub(*start)? as usize;
            data.get(from..from + l).map(<[u8]>::to_vec)
        })
    }
}

/// The parts of a `multipart/byteranges` body.
fn multipart(body: &[u8], boundary: &str) -> Result<Answer, String> {
    let delim = format!("--{boundary}");
    let find = |from: usize, pat: &[u8]| {
        body.get(from..)
            .and_then(|b| b.windows(pat.len()).position(|w| w == pat))
            .map(|p| p + from)
    };
    let mut parts = Vec::new();
    let mut total = None;
    let mut pos = find(0, delim.as_bytes()).ok_or("a multipart answer without its boundary")?;
    loop {
        pos += delim.len();
        if body.get(pos..pos + 2) == Some(b"--") {
            break; // the closing delimiter
        }
        let head_end = find(pos, b"\r\n\r\n").ok_or("a multipart part without headers")?;
        let head = String::from_utf8_lossy(&body[pos..head_end]);
        let range = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim().eq_ignore_ascii_case("content-range").then_some(v)
            })
            .and_then(content_range)
            .ok_or("a multipart part without Content-Range")?;
        let (a, b, t) = range;
        total = total.or(t);
        let start = head_end + 4;
        let len = b
            .checked_sub(a)
            .and_then(|d| d.checked_add(1))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or("a part with a reversed or impossible range")?;
        let end = start
            .checked_add(len)
            .ok_or("a part with an impossible range")?;
        let data = body.get(start..end).ok_or("a multipart part cut short")?;
        parts.push((a, data.to_vec()));
        pos = find(end, delim.as_bytes()).ok_or("a multipart answer without its end")?;
    }
    Ok(Answer { total, parts })
}

/// `ranges` merged into spans: sorted, ranges closer than [`MERGE_GAP`]
/// joined up to [`MAX_SPAN`] bytes.
fn spans_of(ranges: &[(u64, usize)]) -> Vec<(u64, usize)> {
    let mut sorted: Vec<(u64, usize)> = ranges.iter().copied().filter(|r| r.1 > 0).collect();
    sorted.sort_unstable();
    let mut out: Vec<(u64, usize)> = Vec::new();
    for (o, l) in sorted {
        let end = o + l as u64;
        if let Some(last) = out.last_mut() {
            let last_end = last.0 + last.1 as u64;
            if o <= last_end + MERGE_GAP && (end.max(last_end) - last.0) as usize <= MAX_SPAN {
                last.1 = (end.max(last_end) - last.0) as usize;
                continue;
            }
        }
        out.push((o, l));
    }
    out
}

impl Source for HttpFile {
    fn location(&self) -> &str {
        &self.url
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn batches_reads(&self) -> bool {
        true
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        check_range(&self.url, offset, len, self.size)?;
        if len == 0 {
            return Ok(Vec::new());
        }
        let pieces = remote::split_ranges(&[(offset, len)], MAX_SPAN);
        let parts = self.read_spans(&pieces)?;
        Ok(parts.concat())
    }

    fn read_many(&self, ranges: &[(u64, usize)]) -> Result<Vec<Vec<u8>>, SourceError> {
        for &(o, l) in ranges {
            check_range(&self.url, o, l, self.size)?;
        }
        let spans = spans_of(ranges);
        let data = self.read_spans(&spans)?;
        let answer = Answer {
            total: Some(self.size),
            parts: spans.iter().map(|s| s.0).zip(data).collect(),
        };
        ranges
            .iter()
            .map(|&(o, l)| {
                if l == 0 {
                    return Ok(Vec::new());
                }
                answer.slice((o, l)).ok_or_else(|| {
                    err(
                        &self.url,
                        "read",
                        format!("range {o}+{l} missing from the answers"),
                        false,
                    )
                })
            })
            .collect()
    }
}

/// The HTTP parsers on arbitrary bytes ([`crate::fuzzing`]).
pub(crate) fn fuzz(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = content_range(&text);
    let boundary = text.lines().next().unwrap_or("b").trim_start_matches('-');
    if let Ok(a) = multipart(data, boundary) {
        let _ = a.slice((3, 5));
    }
    let ranges: Vec<(u64, usize)> = data
        .chunks(3)
        .map(|c| {
            (
                c[0] as u64 * 1000,
                c.get(1).copied().unwrap_or(0) as usize * 100,
            )
        })
        .collect();
    let _ = spans_of(&ranges);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(
            content_range("bytes 100-199/5000"),
            Some((100, 199, Some(5000)))
        );
        assert_eq!(content_range("bytes 0-0/*"), Some((0, 0, None)));
        assert_eq!(content_range("items 1-2/3"), None);
    }

    #[test]
    fn multipart_answers_split_into_their_parts() {
        let body = b"\r\n--123456\r\nContent-type: application/octet-stream\r\nContent-range: bytes 0-2/10\r\n\r\nabc\r\n--123456\r\nContent-range: bytes 7-8/10\r\n\r\nhi\r\n--123456--\r\n";
        let a = multipart(body, "123456").unwrap();
        assert_eq!(a.total, Some(10));
        assert_eq!(a.parts, vec![(0, b"abc".to_vec()), (7, b"hi".to_vec())]);
        assert_eq!(a.slice((1, 2)), Some(b"bc".to_vec()));
        assert_eq!(a.slice((2, 2)), None);
        assert!(multipart(&body[..body.len() - 20], "123456").is_err());
        assert!(multipart(body, "other").is_err());
        let huge = b"--b\r\nContent-Range: bytes 0-18446744073709551615/10\r\n\r\nx\r\n--b--";
        assert!(multipart(huge, "b").is_err());
    }

    #[test]
    fn close_ranges_merge_into_spans() {
        let s = spans_of(&[(1000, 10), (0, 100), (200_000, 5), (100, 0), (50, 10)]);
        assert_eq!(s, vec![(0, 1010), (200_000, 5)]);
        let big = spans_of(&[(0, MAX_SPAN), (MAX_SPAN as u64, 10)]);
        assert_eq!(big.len(), 2);
    }
}
