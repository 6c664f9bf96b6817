//! The XRootD protocol's wire format (version 5, as `XProtocol.hh`
//! defines it): request codes, response codes, error codes, and the
//! encoding of the requests cortado sends. All integers are big-endian.

/// The client's initial handshake: four zero int32 and then 4, 2012.
pub(crate) const HANDSHAKE: [u8; 20] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0x07, 0xdc,
];

/// The protocol version the client speaks (5.1.0).
pub(crate) const PROTOCOL_VERSION: u32 = 0x0000_0511;

/// Request codes.
pub(crate) mod req {
    pub const CLOSE: u16 = 3003;
    pub const DIRLIST: u16 = 3004;
    pub const PROTOCOL: u16 = 3006;
    pub const LOGIN: u16 = 3007;
    pub const OPEN: u16 = 3010;
    pub const READ: u16 = 3013;
    pub const READV: u16 = 3025;
}

/// Response status codes.
pub(crate) mod status {
    pub const OK: u16 = 0;
    pub const OKSOFAR: u16 = 4000;
    pub const ATTN: u16 = 4001;
    pub const AUTHMORE: u16 = 4002;
    pub const ERROR: u16 = 4003;
    pub const REDIRECT: u16 = 4004;
    pub const WAIT: u16 = 4005;
    pub const WAITRESP: u16 = 4006;
}

/// `kXR_attn` action: an asynchronous response to an earlier `kXR_waitresp`.
pub(crate) const ATTN_ASYNRESP: i32 = 5008;

/// `kXR_open` options: read only, and return the file's stat.
pub(crate) const OPEN_READ: u16 = 0x0010;
/// `kXR_retstat`.
pub(crate) const OPEN_RETSTAT: u16 = 0x0400;
/// Parameters of `kXR_dirlist` asking for each entry's stat (`kXR_dstat`).
pub(crate) fn dirlist_params() -> [u8; 16] {
    let mut p = [0u8; 16];
    p[15] = 2; // kXR_dstat
    p
}

/// The entries of a `kXR_dirlist` response with `kXR_dstat`: lines of
/// name and stat ("id size flags mtime"), after a leading "." entry.
pub(crate) fn parse_dirlist(body: &[u8]) -> Result<Vec<(String, u64, u32, i64)>, String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim_end_matches('\0');
    let lines: Vec<&str> = text.split('\n').filter(|l| !l.is_empty()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    if lines.first() == Some(&".") {
        i = 2; // the dummy entry of a kXR_dstat listing
    }
    while i < lines.len() {
        let name = lines[i];
        let stat = lines
            .get(i + 1)
            .ok_or_else(|| format!("no stat for '{name}' in the listing"))?;
        let (size, flags, mtime) = parse_stat(stat.as_bytes())?;
        out.push((name.to_string(), size, flags, mtime));
        i += 2;
    }
    Ok(out)
}

/// The login capability version (`kXR_ver005`).
pub(crate) const LOGIN_CAPVER: u8 = 5;

/// The most elements one `kXR_readv` may ask for (`XrdProto::maxRvecsz`).
pub(crate) const READV_MAX_ELEMENTS: usize = 1024;
/// The largest element cortado puts in a `kXR_readv` (servers refuse
/// elements above their transfer buffer, 2 MiB by default).
pub(crate) const READV_MAX_ELEMENT: usize = 1 << 20;
/// The largest `kXR_read` cortado sends (the server answers in pieces).
pub(crate) const READ_MAX: usize = 64 << 20;

/// The name of an error code, and whether trying again may succeed.
pub(crate) fn error_kind(code: i32) -> (&'static str, bool) {
    match code {
        3000 => ("kXR_ArgInvalid", false),
        3001 => ("kXR_ArgMissing", false),
        3002 => ("kXR_ArgTooLong", false),
        3003 => ("kXR_FileLocked", true),
        3004 => ("kXR_FileNotOpen", true),
        3005 => ("kXR_FSError", true),
        3006 => ("kXR_InvalidRequest", false),
        3007 => ("kXR_IOError", true),
        3008 => ("kXR_NoMemory", true),
        3009 => ("kXR_NoSpace", false),
        3010 => ("kXR_NotAuthorized", false),
        3011 => ("kXR_NotFound", false),
        3012 => ("kXR_ServerError", true),
        3013 => ("kXR_Unsupported", false),
        3014 => ("kXR_noserver", true),
        3015 => ("kXR_NotFile", false),
        3016 => ("kXR_isDirectory", false),
        3017 => ("kXR_Cancelled", true),
        3019 => ("kXR_ChkSumErr", true),
        3020 => ("kXR_inProgress", true),
        3021 => ("kXR_overQuota", false),
        3024 => ("kXR_Overloaded", true),
        3028 => ("kXR_TLSRequired", false),
        3029 => ("kXR_noReplicas", false),
        3030 => ("kXR_AuthFailed", false),
        3034 => ("kXR_ReqTimedOut", true),
        _ => ("unknown error", false),
    }
}

/// The 24-byte header of a request.
pub(crate) fn request(streamid: u16, code: u16, params: [u8; 16], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + data.len());
    out.extend_from_slice(&streamid.to_be_bytes());
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&params);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
    out
}

/// `kXR_protocol` answer flag: switch the connection to TLS now.
pub(crate) const GOTO_TLS: u32 = 0x4000_0000;

/// Parameters of `kXR_protocol`: our version, expecting a login; with
/// `tls`, TLS capable and wanting it (`kXR_ableTLS | kXR_wantTLS`).
pub(crate) fn protocol_params(tls: bool) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[..4].copy_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    if tls {
        p[4] = 0x02 | 0x04;
    }
    p[5] = 0x03; // kXR_ExpLogin
    p
}

/// Parameters of `kXR_login`: process id, user name (8 bytes), capabilities.
pub(crate) fn login_params(pid: u32, user: &str) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[..4].copy_from_slice(&pid.to_be_bytes());
    for (d, s) in p[4..12].iter_mut().zip(user.bytes()) {
        *d = s;
    }
    p[14] = LOGIN_CAPVER;
    p
}

/// Parameters of `kXR_open` for reading, returning the stat.
pub(crate) fn open_params() -> [u8; 16] {
    let mut p = [0u8; 16];
    // mode (2 bytes) is 0; options:
    p[2..4].copy_from_slice(&(OPEN_READ | OPEN_RETSTAT).to_be_bytes());
    p
}

/// Parameters of `kXR_read`: file handle, offset, length.
pub(crate) fn read_params(fh: [u8; 4], offset: u64, len: u32) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[..4].copy_from_slice(&fh);
    p[4..12].copy_from_slice(&offset.to_be_bytes());
    p[12..16].copy_from_slice(&len.to_be_bytes());
    p
}

/// Parameters of `kXR_close` and `kXR_stat` by handle.
pub(crate) fn handle_params(fh: [u8; 4]) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[..4].copy_from_slice(&fh);
    p
}

/// The body of `kXR_readv`: one 16-byte element per (offset, length).
pub(crate) fn readv_list(fh: [u8; 4], elements: &[(u64, usize)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * elements.len());
    for &(offset, len) in elements {
        out.extend_from_slice(&fh);
        out.extend_from_slice(&(len as u32).to_be_bytes());
        out.extend_from_slice(&offset.to_be_bytes());
    }
    out
}

/// Splits a `kXR_readv` response into its elements' data, checking that
/// they answer `elements` in order (a shorter element: the file ends).
pub(crate) fn parse_readv(body: &[u8], elements: &[(u64, usize)]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::with_capacity(elements.len());
    let mut pos = 0usize;
    for &(offset, len) in elements {
        let head = body.get(pos..pos + 16).ok_or_else(|| {
            format!(
                "readv response ends after {} of {} elements",
                out.len(),
                elements.len()
            )
        })?;
        let rlen = u32::from_be_bytes(head[4..8].try_into().expect("4 bytes")) as usize;
        let roff = u64::from_be_bytes(head[8..16].try_into().expect("8 bytes"));
        if roff != offset || rlen > len {
            return Err(format!(
                "readv element {} answers {rlen} bytes at {roff}, asked {len} at {offset}",
                out.len()
            ));
        }
        pos += 16;
        let data = body
            .get(pos..pos + rlen)
            .ok_or_else(|| format!("readv element {} is cut short", out.len()))?;
        out.push(data.to_vec());
        pos += rlen;
    }
    if pos != body.len() {
        return Err(format!(
            "readv response has {} bytes after its elements",
            body.len() - pos
        ));
    }
    Ok(out)
}

/// The stat string of `kXR_stat` / `kXR_open` with `kXR_retstat`:
/// "id size flags mtime" — returns (size, flags, mtime).
pub(crate) fn parse_stat(text: &[u8]) -> Result<(u64, u32, i64), String> {
    let s = String::from_utf8_lossy(text);
    let s = s.trim_end_matches('\0').trim();
    let f: Vec<&str> = s.split_whitespace().collect();
    let bad = || format!("unreadable stat '{s}'");
    if f.len() < 4 {
        return Err(bad());
    }
    Ok((
        f[1].parse().map_err(|_| bad())?,
        f[2].parse().map_err(|_| bad())?,
        f[3].parse().map_err(|_| bad())?,
    ))
}

/// Stat flag: a directory.
pub(crate) const STAT_IS_DIR: u32 = 2;
/// Stat flag: neither a file nor a directory.
pub(crate) const STAT_OTHER: u32 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_24_byte_headers_and_their_data() {
        let r = request(7, req::OPEN, open_params(), b"/a");
        assert_eq!(r.len(), 26);
        assert_eq!(&r[..4], &[0, 7, 0x0b, 0xc2]);
        assert_eq!(&r[6..8], &[0x04, 0x10]);
        assert_eq!(&r[20..24], &[0, 0, 0, 2]);
        let p = read_params([1, 2, 3, 4], 0x0102, 9);
        assert_eq!(&p[4..12], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(&p[12..], &[0, 0, 0, 9]);
    }

    #[test]
    fn readv_responses_are_checked_against_the_request() {
        let el = [(100u64, 3usize), (7, 2)];
        let mut body = Vec::new();
        for (o, d) in [(100u64, &b"abc"[..]), (7, &b"xy"[..])] {
            body.extend_from_slice(&[0; 4]);
            body.extend_from_slice(&(d.len() as u32).to_be_bytes());
            body.extend_from_slice(&o.to_be_bytes());
            body.extend_from_slice(d);
        }
        assert_eq!(
            parse_readv(&body, &el).unwrap(),
            vec![b"abc".to_vec(), b"xy".to_vec()]
        );
        assert!(parse_readv(&body[..body.len() - 1], &el).is_err());
        assert!(parse_readv(&body, &[(100, 3), (8, 2)]).is_err());
        let mut longer = body.clone();
        longer.push(0);
        assert!(parse_readv(&longer, &el).is_err());
    }

    #[test]
    fn dirlist_responses() {
        let body = b".\n0 0 0 0\na.root\n1 100 16 5\nsub\n2 4096 19 6\0";
        let e = parse_dirlist(body).unwrap();
        assert_eq!(
            e,
            vec![("a.root".into(), 100, 16, 5), ("sub".into(), 4096, 19, 6)]
        );
        assert!(parse_dirlist(b".\n0 0 0 0\na.root\n").is_err());
        assert!(parse_dirlist(b"").unwrap().is_empty());
    }

    #[test]
    fn stat_strings() {
        assert_eq!(
            parse_stat(b"123 681078 16 1764683185\0").unwrap(),
            (681078, 16, 1764683185)
        );
        assert!(parse_stat(b"1 x 16 2").is_err());
        assert!(parse_stat(b"").is_err());
    }
}
