//! The XRootD and HTTP clients against a real server (Debian's
//! xrootd-server, started by `.ci/xrootd_start.sh`): a data server with
//! root:// and XrdHttp http://, and a redirector in front of a second data
//! server. The URLs come from `CORTADO_TEST_XROOTD`,
//! `CORTADO_TEST_XROOTD_HTTP` and `CORTADO_TEST_XROOTD_REDIRECTOR`, the
//! exported folder from `CORTADO_TEST_XROOTD_DIR` (where the tests put
//! their files).

use std::path::PathBuf;

use cortado_source::{open, HttpFile, Source, SourceError, XrdFile};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: start the server with `eval $(.ci/xrootd_start.sh)`")
    })
}

/// A file of `n` pseudo-random bytes in the exported folder; its name,
/// local path and contents.
fn put(name: &str, n: usize) -> (String, PathBuf, Vec<u8>) {
    let mut x = 0x1234_5678_9abc_def0u64;
    let data: Vec<u8> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let name = format!("{}-{name}", std::process::id());
    let path = PathBuf::from(var("CORTADO_TEST_XROOTD_DIR")).join(&name);
    std::fs::write(&path, &data).unwrap();
    (name, path, data)
}

/// Reads of every shape through the source at `url` equal `data`.
fn check_reads(url: &str, data: &[u8]) {
    let f = open(url).unwrap();
    assert_eq!(f.size(), data.len() as u64);
    assert_eq!(f.read_at(0, 100).unwrap(), &data[..100]);
    assert_eq!(f.read_at(4_999_990, 10).unwrap(), &data[4_999_990..]);
    assert_eq!(f.read_at(12, 0).unwrap(), Vec::<u8>::new());
    // ranges of every size, more than one readv's worth (1,024 elements)
    let ranges: Vec<(u64, usize)> = (0..1500u64)
        .map(|i| (i * 3001 % 4_000_000, (i as usize * 37) % 5000))
        .chain([(100, 3_000_000), (4_999_999, 1)])
        .collect();
    let got = f.read_many(&ranges).unwrap();
    for (&(o, l), g) in ranges.iter().zip(&got) {
        assert_eq!(
            g.as_slice(),
            &data[o as usize..o as usize + l],
            "range {o}+{l}"
        );
    }
    // beyond the end
    let e = f.read_at(4_999_999, 2).unwrap_err().to_string();
    assert!(e.contains("only 5000000 bytes"), "{e}");
    assert!(f.read_many(&[(0, 1), (4_999_000, 2000)]).is_err());
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh)"]
fn reads_and_vector_reads_equal_the_file() {
    let (name, path, data) = put("plain.bin", 5_000_000);
    check_reads(&format!("{}/{name}", var("CORTADO_TEST_XROOTD")), &data);
    std::fs::remove_file(path).unwrap();
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh)"]
fn http_range_and_multi_range_reads_equal_the_file() {
    let (name, path, data) = put("http.bin", 5_000_000);
    let url = format!("{}/{name}", var("CORTADO_TEST_XROOTD_HTTP"));
    check_reads(&url, &data);
    // 40 ranges 100 kB apart: two multi-range requests of 32 and 8 ranges
    let f = HttpFile::open(&url).unwrap();
    let ranges: Vec<(u64, usize)> = (0..40u64).map(|i| (i * 100_000 + 7, 1000)).collect();
    let before = f.requests();
    let got = f.read_many(&ranges).unwrap();
    assert_eq!(f.multi_range(), Some(true));
    assert_eq!(f.requests() - before, 2);
    for (&(o, l), g) in ranges.iter().zip(&got) {
        assert_eq!(g.as_slice(), &data[o as usize..o as usize + l]);
    }
    // a missing file: the URL and the status
    let url = format!("{}/no-such-file.root", var("CORTADO_TEST_XROOTD_HTTP"));
    let e = open(&url).unwrap_err();
    assert!(!e.is_transient());
    let msg = e.to_string();
    assert!(msg.starts_with(&url) && msg.contains("HTTP 404"), "{msg}");
    std::fs::remove_file(path).unwrap();
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh)"]
fn a_redirector_sends_the_client_to_the_data_server() {
    let (name, path, data) = put("redirected.bin", 300_000);
    let url = format!("{}/{name}", var("CORTADO_TEST_XROOTD_REDIRECTOR"));
    let f = XrdFile::open(&url).unwrap();
    assert_eq!(f.size(), 300_000);
    assert_eq!(f.read_at(1000, 50_000).unwrap(), &data[1000..51_000]);
    let before = f.requests();
    let many = f.read_many(&[(0, 10), (299_990, 10)]).unwrap();
    assert_eq!(many[1], &data[299_990..]);
    assert_eq!(f.requests() - before, 1, "one vector read");
    std::fs::remove_file(path).unwrap();
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh)"]
fn missing_files_and_closed_ports_are_clear_errors() {
    let url = format!("{}/no-such-file.root", var("CORTADO_TEST_XROOTD"));
    let e = open(&url).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with(&url), "{msg}");
    assert!(msg.contains("kXR_NotFound"), "{msg}");
    assert!(!e.is_transient());
    // through the redirector: no server has it
    let url = format!(
        "{}/no-such-file.root",
        var("CORTADO_TEST_XROOTD_REDIRECTOR")
    );
    let msg = open(&url).unwrap_err().to_string();
    assert!(msg.contains("no-such-file.root"), "{msg}");
    // nothing listens: a network error, retried, then reported with the host
    let opts = cortado_source::RemoteOptions {
        retries: 1,
        ..Default::default()
    };
    let e = XrdFile::open_with("root://127.0.0.1:1//a.root", opts).unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::Remote {
                transient: true,
                ..
            }
        ),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("127.0.0.1:1") && msg.contains("after 2 attempts"),
        "{msg}"
    );
    // a directory
    let dir = var("CORTADO_TEST_XROOTD");
    let e = open(&format!("{dir}/")).unwrap_err().to_string();
    assert!(e.contains("no file path") || e.contains("directory"), "{e}");
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh)"]
fn directories_are_listed_with_sizes() {
    let (name, path, _) = put("listed.bin", 1234);
    let dir =
        PathBuf::from(var("CORTADO_TEST_XROOTD_DIR")).join(format!("{}-sub", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let entries = cortado_source::list_dir(&var("CORTADO_TEST_XROOTD")).unwrap();
    let file = entries
        .iter()
        .find(|e| e.name == name)
        .expect("the file is listed");
    assert_eq!((file.size, file.is_dir), (1234, false));
    let sub = entries
        .iter()
        .find(|e| dir.ends_with(&e.name))
        .expect("the folder is listed");
    assert!(sub.is_dir);
    let e = cortado_source::list_dir(&format!("{}/no-such-dir", var("CORTADO_TEST_XROOTD")))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no-such-dir") && e.contains("kXR_NotFound"),
        "{e}"
    );
    std::fs::remove_file(path).unwrap();
    std::fs::remove_dir(dir).unwrap();
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh)"]
fn roots_switches_to_tls_and_reads_the_file() {
    // the test CA (the only TLS user of this test binary: set before the first TLS connection)
    std::env::set_var("X509_CERT_DIR", var("CORTADO_TEST_XROOTD_CA"));
    std::env::remove_var("SSL_CERT_FILE");
    let (name, path, data) = put("tls.bin", 5_000_000);
    check_reads(
        &format!("{}/{name}", var("CORTADO_TEST_XROOTD_TLS")),
        &data[..],
    );
    // a server that does not offer TLS
    let plain = var("CORTADO_TEST_XROOTD").replacen("root://", "roots://", 1);
    let e = open(&format!("{plain}/{name}")).unwrap_err().to_string();
    assert!(e.contains("the server does not offer TLS"), "{e}");
    std::fs::remove_file(path).unwrap();
}
