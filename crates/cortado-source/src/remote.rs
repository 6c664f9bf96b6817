//! What the remote sources (XRootD, HTTP) share: options from the
//! environment, back-off, request counting, and splitting, batching and
//! joining byte ranges.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::SourceError;

/// Timeouts, retries and parallelism of remote reads.
#[derive(Debug, Clone, Copy)]
pub struct RemoteOptions {
    /// Retries of a failed request that may pass (network errors, an
    /// overloaded or restarting server), with back-off (0.25 s doubling, ≤ 8 s).
    pub retries: u32,
    /// Seconds any one network operation may take.
    pub timeout_s: u64,
    /// Seconds a TCP connection may take.
    pub connect_s: u64,
    /// Connections per file reading at once.
    pub streams: usize,
    /// The longest wait a server may ask for, in seconds.
    pub max_wait_s: u32,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            retries: 5,
            timeout_s: 60,
            connect_s: 10,
            streams: 4,
            max_wait_s: 30,
        }
    }
}

impl RemoteOptions {
    /// The defaults, changed by `CORTADO_REMOTE_RETRIES`,
    /// `CORTADO_REMOTE_TIMEOUT` (seconds) and `CORTADO_REMOTE_STREAMS`.
    pub fn from_env() -> RemoteOptions {
        let mut o = RemoteOptions::default();
        let var = |n: &str| {
            std::env::var(n)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let Some(v) = var("CORTADO_REMOTE_RETRIES") {
            o.retries = v.min(100) as u32;
        }
        if let Some(v) = var("CORTADO_REMOTE_TIMEOUT") {
            o.timeout_s = v.max(1);
            o.connect_s = o.connect_s.min(o.timeout_s);
        }
        if let Some(v) = var("CORTADO_REMOTE_STREAMS") {
            o.streams = (v as usize).clamp(1, 64);
        }
        o
    }

    pub(crate) fn timeouts(&self) -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(self.connect_s),
            io: Duration::from_secs(self.timeout_s),
        }
    }
}

/// Timeouts of a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// TCP connect.
    pub connect: Duration,
    /// Any one read or write.
    pub io: Duration,
}

/// An error of one attempt at a remote operation, before it is given the URL.
pub(crate) struct Failure {
    /// What went wrong.
    pub message: String,
    /// Whether trying again may succeed.
    pub transient: bool,
}

/// A [`SourceError::Remote`] for `location`.
pub(crate) fn err(location: &str, what: &str, message: String, transient: bool) -> SourceError {
    SourceError::Remote {
        location: location.to_string(),
        what: what.to_string(),
        message,
        transient,
    }
}

/// Runs `attempt` until it succeeds, fails permanently, or `retries` are
/// spent, pausing with [`backoff`] and calling `before_retry` (to drop
/// connections) before each retry; the error names `location` and `what`.
pub(crate) fn retry<T>(
    location: &str,
    what: &str,
    retries: u32,
    mut attempt: impl FnMut() -> Result<T, Failure>,
    mut before_retry: impl FnMut(u32),
) -> Result<T, SourceError> {
    let mut n = 0;
    loop {
        match attempt() {
            Ok(v) => return Ok(v),
            Err(e) if e.transient && n < retries => {
                n += 1;
                before_retry(n);
                std::thread::sleep(backoff(n));
            }
            Err(e) => {
                let tried = if n > 0 {
                    format!(" (after {} attempts)", n + 1)
                } else {
                    String::new()
                };
                return Err(err(
                    location,
                    what,
                    format!("{}{tried}", e.message),
                    e.transient,
                ));
            }
        }
    }
}

/// The pause before retry `attempt` (1, 2, ...).
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((250u64 << attempt.saturating_sub(1).min(5)).min(8000))
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// Counts one remote request that returned `bytes`.
pub(crate) fn count_request(bytes: usize) {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// The remote data requests (reads, vector reads, HTTP range requests)
/// made by this process so far, and the bytes they returned.
pub fn remote_requests() -> (u64, u64) {
    (
        REQUESTS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

/// `ranges` cut into pieces of at most `max` bytes, in order.
pub(crate) fn split_ranges(ranges: &[(u64, usize)], max: usize) -> Vec<(u64, usize)> {
    let mut out = Vec::with_capacity(ranges.len());
    for &(o, l) in ranges {
        if l == 0 {
            out.push((o, 0));
        }
        let mut done = 0;
        while done < l {
            let n = (l - done).min(max);
            out.push((o + done as u64, n));
            done += n;
        }
    }
    out
}

/// Joins the pieces of [`split_ranges`] back into one buffer per range; a
/// piece shorter than asked means the file ended early.
pub(crate) fn join_ranges(
    ranges: &[(u64, usize)],
    pieces_at: &[(u64, usize)],
    pieces: Vec<Vec<u8>>,
    location: &str,
) -> Result<Vec<Vec<u8>>, SourceError> {
    let mut it = pieces_at.iter().zip(pieces);
    let mut out = Vec::with_capacity(ranges.len());
    for &(o, l) in ranges {
        let mut buf = Vec::with_capacity(l);
        if l == 0 {
            it.next();
        }
        while buf.len() < l {
            let Some((&(po, pl), data)) = it.next() else {
                break;
            };
            if data.len() != pl {
                return Err(SourceError::OutOfRange {
                    location: location.to_string(),
                    offset: po,
                    len: pl as u64,
                    size: po + data.len() as u64,
                });
            }
            buf.extend_from_slice(&data);
        }
        if buf.len() != l {
            return Err(SourceError::OutOfRange {
                location: location.to_string(),
                offset: o,
                len: l as u64,
                size: o + buf.len() as u64,
            });
        }
        out.push(buf);
    }
    Ok(out)
}

/// Runs `f` on every item with at most `streams` running at once; the
/// results in the items' order, or the first error.
pub(crate) fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    streams: usize,
    f: impl Fn(&T) -> Result<R, SourceError> + Sync,
) -> Result<Vec<R>, SourceError> {
    if items.len() <= 1 || streams <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<R, SourceError>>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..streams.min(items.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                let failed = r.is_err();
                *results[i].lock().expect("result lock") = Some(r);
                if failed {
                    next.store(items.len(), Ordering::Relaxed);
                }
            });
        }
    });
    let mut out = Vec::with_capacity(items.len());
    for r in results {
        match r.into_inner().expect("result lock") {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            None => {} // not run: an earlier item failed (its error is returned)
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_split_and_join_back() {
        let ranges = [(10u64, 5usize), (100, 0), (200, 7)];
        let pieces_at = split_ranges(&ranges, 3);
        assert_eq!(
            pieces_at,
            vec![(10, 3), (13, 2), (100, 0), (200, 3), (203, 3), (206, 1)]
        );
        let data = |o: u64, l: usize| (0..l).map(|i| (o as usize + i) as u8).collect::<Vec<u8>>();
        let pieces: Vec<Vec<u8>> = pieces_at.iter().map(|&(o, l)| data(o, l)).collect();
        let joined = join_ranges(&ranges, &pieces_at, pieces.clone(), "f").unwrap();
        assert_eq!(joined, vec![data(10, 5), vec![], data(200, 7)]);
        let mut short = pieces;
        short[4].pop();
        assert!(join_ranges(&ranges, &pieces_at, short, "f").is_err());
    }

    #[test]
    fn parallel_results_keep_their_order_and_errors_win() {
        let items: Vec<u32> = (0..50).collect();
        let r = in_parallel(&items, 4, |&i| Ok(i * 2)).unwrap();
        assert_eq!(r, (0..50).map(|i| i * 2).collect::<Vec<_>>());
        let e = in_parallel(&items, 4, |&i| {
            if i == 7 {
                Err(SourceError::OutOfRange {
                    location: "x".into(),
                    offset: 0,
                    len: 1,
                    size: 0,
                })
            } else {
                Ok(i)
            }
        });
        assert!(e.is_err());
    }

    #[test]
    fn backoff_doubles_up_to_eight_seconds() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(3), Duration::from_millis(1000));
        assert_eq!(backoff(30), Duration::from_millis(8000));
    }
}
