//! An HTTP server that answers a single range with 206 but several ranges
//! with the whole file and 200 (as S3, or a server past its `max_ranges`):
//! cortado then reads range by range, with the same bytes.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use cortado_source::{HttpFile, Source};

/// Serves `data` on a free port until the process ends; returns its URL.
fn serve(data: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut range = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.strip_prefix("Range: bytes=") {
                    range = Some(v.trim().to_string());
                }
            }
            let (status, body, extra) = match range.as_deref() {
                Some(r) if !r.contains(',') => {
                    let (a, b) = r.split_once('-').unwrap();
                    let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
                    let b = b.min(data.len() - 1);
                    (
                        "206 Partial Content",
                        data[a..=b].to_vec(),
                        format!("Content-Range: bytes {a}-{b}/{}\r\n", data.len()),
                    )
                }
                _ => ("200 OK", data.clone(), String::new()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
        }
    });
    format!("http://127.0.0.1:{port}/file.root")
}

#[test]
fn a_server_ignoring_multi_range_requests_is_read_range_by_range() {
    let data: Vec<u8> = (0..2_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let f = HttpFile::open(&serve(data.clone())).unwrap();
    let ranges: Vec<(u64, usize)> = (0..10u64)
        .map(|i| (i * 150_000 + 3, 100 + i as usize))
        .collect();
    let got = f.read_many(&ranges).unwrap();
    assert_eq!(f.multi_range(), Some(false));
    for (&(o, l), g) in ranges.iter().zip(&got) {
        assert_eq!(g.as_slice(), &data[o as usize..o as usize + l]);
    }
    // and again, straight to single ranges
    assert_eq!(
        f.read_many(&ranges[..3]).unwrap()[2],
        &data[300_003..300_105]
    );
}
