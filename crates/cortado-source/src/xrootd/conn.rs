//! One XRootD connection: TCP, handshake, protocol negotiation, login, then
//! one request at a time with its (possibly partial, deferred or
//! redirected) response.

use super::proto::{self, req, status};
use super::tls::{self, Stream};
use crate::remote::Timeouts;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

/// What went wrong on a connection.
#[derive(Debug)]
pub(crate) enum ConnError {
    /// The network (refused, reset, timed out): may pass.
    Io(std::io::Error),
    /// The server said something this client does not understand.
    Protocol(String),
    /// The server wants an authentication this client does not have, or
    /// TLS failed (no TLS offered, a certificate not trusted).
    Auth(String),
}

impl std::fmt::Display for ConnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnError::Io(e) => write!(f, "{e}"),
            ConnError::Protocol(m) => write!(f, "protocol error: {m}"),
            ConnError::Auth(m) => write!(f, "{m}"),
        }
    }
}

impl From<std::io::Error> for ConnError {
    fn from(e: std::io::Error) -> Self {
        ConnError::Io(e)
    }
}

/// A server's answer to a request.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Done: the whole response body.
    Ok(Vec<u8>),
    /// Go to another server (`kXR_redirect`).
    Redirect {
        /// Host (or a whole URL when `port` is negative).
        host: String,
        /// Port.
        port: i32,
        /// CGI to add to the path there.
        opaque: Option<String>,
    },
    /// Ask again after a while (`kXR_wait`): seconds, and the server's reason.
    Wait(u32, #[allow(dead_code)] String),
    /// Refused (`kXR_error`).
    Error(i32, String),
}

/// A logged-in connection.
pub(crate) struct Conn {
    stream: Stream,
    sid: u16,
    /// "host:port", for messages.
    pub(crate) addr: String,
}

/// The text of a NUL-terminated message.
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_end_matches('\0')
        .trim()
        .to_string()
}

fn be32(b: &[u8]) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}

impl Conn {
    /// Connects to `host:port`, shakes hands, negotiates the protocol
    /// (switching to TLS when `tls`: `roots://`) and logs in anonymously.
    pub(crate) fn open(host: &str, port: u16, t: Timeouts, tls: bool) -> Result<Conn, ConnError> {
        let addr = format!("{host}:{port}");
        let mut last = None;
        let mut stream = None;
        for a in (host, port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, t.connect) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = match (stream, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(e.into()),
            (None, None) => {
                return Err(ConnError::Io(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no address for {host}"),
                )))
            }
        };
        stream.set_read_timeout(Some(t.io))?;
        stream.set_write_timeout(Some(t.io))?;
        stream.set_nodelay(true)?;
        let mut c = Conn {
            stream: Stream::Plain(stream),
            sid: 0,
            addr,
        };
        c.handshake(host, tls)?;
        Ok(c)
    }

    fn handshake(&mut self, host: &str, tls: bool) -> Result<(), ConnError> {
        self.stream.write_all(&proto::HANDSHAKE)?;
        let (_, st, body) = self.read_message()?;
        if st != status::OK || body.len() < 8 {
            return Err(ConnError::Protocol(format!(
                "handshake answered with status {st} and {} bytes",
                body.len()
            )));
        }
        match self.call(req::PROTOCOL, proto::protocol_params(tls), &[])? {
            Reply::Ok(body) => {
                if tls {
                    let flags = body
                        .get(4..8)
                        .map_or(0, |b| u32::from_be_bytes(b.try_into().expect("4 bytes")));
                    if flags & proto::GOTO_TLS == 0 {
                        return Err(ConnError::Auth(
                            "the server does not offer TLS (roots://); use root://".into(),
                        ));
                    }
                    // the TCP stream moves into TLS; a duplicate handle holds its place
                    let placeholder = Stream::Plain(self.try_clone_plain()?);
                    let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, placeholder)
                    else {
                        return Err(ConnError::Protocol("TLS asked twice".into()));
                    };
                    self.stream = tls::upgrade(tcp, host).map_err(ConnError::Auth)?;
                }
            }
            other => return Err(unexpected("kXR_protocol", other)),
        }
        let pid = std::process::id();
        match self.call(req::LOGIN, proto::login_params(pid, "cortado"), &[])? {
            Reply::Ok(body) => {
                let sec = text(body.get(16..).unwrap_or(&[]));
                if sec.contains("&P=") {
                    let protocols: Vec<&str> = sec
                        .split("&P=")
                        .skip(1)
                        .map(|p| p.split(',').next().unwrap_or(p))
                        .collect();
                    return Err(ConnError::Auth(format!(
                        "the server requires authentication ({}); cortado's XRootD client \
                         reads anonymously only (docs/remote.md)",
                        protocols.join(", ")
                    )));
                }
                Ok(())
            }
            other => Err(unexpected("kXR_login", other)),
        }
    }

    /// A second handle on the plain TCP stream (to move the first into TLS).
    fn try_clone_plain(&self) -> Result<TcpStream, ConnError> {
        match &self.stream {
            Stream::Plain(s) => Ok(s.try_clone()?),
            Stream::Tls(_) => Err(ConnError::Protocol("already TLS".into())),
        }
    }

    /// Reads one message: (stream id, status, body).
    fn read_message(&mut self) -> Result<(u16, u16, Vec<u8>), ConnError> {
        read_message(&mut self.stream)
    }

    /// Sends request `code` and reads its reply (partial responses
    /// joined; a deferred response awaited).
    pub(crate) fn call(
        &mut self,
        code: u16,
        params: [u8; 16],
        data: &[u8],
    ) -> Result<Reply, ConnError> {
        self.sid = self.sid.wrapping_add(1).max(1);
        let sid = self.sid;
        self.stream
            .write_all(&proto::request(sid, code, params, data))?;
        read_reply(&mut self.stream, sid)
    }
}

/// Reads one message from `r`: (stream id, status, body). The body grows
/// as bytes arrive (a length announced but not sent allocates nothing).
fn read_message(r: &mut impl Read) -> Result<(u16, u16, Vec<u8>), ConnError> {
    let mut h = [0u8; 8];
    r.read_exact(&mut h)?;
    let sid = u16::from_be_bytes([h[0], h[1]]);
    let st = u16::from_be_bytes([h[2], h[3]]);
    let dlen = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as u64;
    if dlen > (256 << 20) {
        return Err(ConnError::Protocol(format!("a response of {dlen} bytes")));
    }
    let mut body = Vec::new();
    r.take(dlen).read_to_end(&mut body)?;
    if body.len() as u64 != dlen {
        return Err(ConnError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the connection closed after {} of {dlen} bytes", body.len()),
        )));
    }
    Ok((sid, st, body))
}

/// The largest whole answer accepted: a vector read of 1,024 elements of
/// 1 MiB, and some room.
const MAX_REPLY: usize = 1100 << 20;

/// Reads the reply to the request of stream `sid` from `r`: partial
/// responses joined, a deferred response (`kXR_waitresp`, then `kXR_attn`)
/// awaited; anything else is a protocol error.
pub(crate) fn read_reply(r: &mut impl Read, sid: u16) -> Result<Reply, ConnError> {
    let mut acc: Vec<u8> = Vec::new();
    loop {
        let (rsid, mut st, mut body) = read_message(r)?;
        if st == status::ATTN {
            // an asynchronous response: action, 4 reserved bytes, then a
            // whole response (header and body)
            if be32(&body) != Some(proto::ATTN_ASYNRESP) || body.len() < 16 {
                continue; // other attention messages carry nothing for us
            }
            let inner_sid = u16::from_be_bytes([body[8], body[9]]);
            st = u16::from_be_bytes([body[10], body[11]]);
            body = body[16..].to_vec();
            if inner_sid != sid {
                return Err(ConnError::Protocol(format!(
                    "a deferred response for stream {inner_sid}, expected {sid}"
                )));
            }
        } else if rsid != sid {
            return Err(ConnError::Protocol(format!(
                "a response for stream {rsid}, expected {sid}"
            )));
        }
        if acc.len() + body.len() > MAX_REPLY {
            return Err(ConnError::Protocol(format!(
                "an answer of more than {MAX_REPLY} bytes"
            )));
        }
        match st {
            status::OKSOFAR => acc.extend_from_slice(&body),
            status::OK => {
                acc.extend_from_slice(&body);
                return Ok(Reply::Ok(acc));
            }
            status::ERROR => {
                let code = be32(&body).unwrap_or(0);
                return Ok(Reply::Error(code, text(body.get(4..).unwrap_or(&[]))));
            }
            status::REDIRECT => {
                let port = be32(&body).ok_or_else(|| short("kXR_redirect"))?;
                let target = text(&body[4..]);
                let (host, opaque) = match target.split_once('?') {
                    Some((h, o)) => (h.to_string(), Some(o.to_string())),
                    None => (target, None),
                };
                return Ok(Reply::Redirect { host, port, opaque });
            }
            status::WAIT => {
                let secs = be32(&body).ok_or_else(|| short("kXR_wait"))?;
                return Ok(Reply::Wait(
                    secs.max(0) as u32,
                    text(body.get(4..).unwrap_or(&[])),
                ));
            }
            status::WAITRESP => {} // the response follows as kXR_attn
            status::AUTHMORE => {
                return Err(ConnError::Auth(
                    "the server asks for more authentication".into(),
                ))
            }
            other => {
                return Err(ConnError::Protocol(format!("unknown status {other}")));
            }
        }
    }
}

fn short(what: &str) -> ConnError {
    ConnError::Protocol(format!("a {what} response too short"))
}

fn unexpected(what: &str, r: Reply) -> ConnError {
    match r {
        Reply::Error(code, msg) => ConnError::Protocol(format!(
            "{what} refused: {msg} ({})",
            proto::error_kind(code).0
        )),
        other => ConnError::Protocol(format!("{what} answered {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(sid: u16, st: u16, body: &[u8]) -> Vec<u8> {
        let mut m = sid.to_be_bytes().to_vec();
        m.extend_from_slice(&st.to_be_bytes());
        m.extend_from_slice(&(body.len() as u32).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn partial_deferred_and_redirected_replies() {
        let mut bytes = msg(3, status::OKSOFAR, b"ab");
        bytes.extend(msg(3, status::OK, b"c"));
        let r = read_reply(&mut std::io::Cursor::new(bytes), 3).unwrap();
        assert!(matches!(r, Reply::Ok(b) if b == b"abc"));
        // waitresp, then the answer inside kXR_attn/kXR_asynresp
        let mut attn = proto::ATTN_ASYNRESP.to_be_bytes().to_vec();
        attn.extend_from_slice(&[0; 4]);
        attn.extend(msg(5, status::OK, b"late"));
        let mut bytes = msg(5, status::WAITRESP, &10i32.to_be_bytes());
        bytes.extend(msg(0, status::ATTN, &attn));
        let r = read_reply(&mut std::io::Cursor::new(bytes), 5).unwrap();
        assert!(matches!(r, Reply::Ok(b) if b == b"late"));
        let mut body = 1096i32.to_be_bytes().to_vec();
        body.extend_from_slice(b"data.site?tried=x\0");
        let r = read_reply(
            &mut std::io::Cursor::new(msg(1, status::REDIRECT, &body)),
            1,
        )
        .unwrap();
        assert!(
            matches!(&r, Reply::Redirect { host, port: 1096, opaque: Some(o) } if host == "data.site" && o == "tried=x"),
            "{r:?}"
        );
    }

    #[test]
    fn broken_replies_are_errors_not_hangs() {
        let cases: Vec<Vec<u8>> = vec![
            msg(2, status::OK, b"x"),                  // another stream
            msg(1, 9999, b""),                         // unknown status
            msg(1, status::REDIRECT, b"\0\0"),         // too short
            msg(1, status::OK, b"abc")[..10].to_vec(), // cut short
            vec![0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff],  // 4 GiB announced
            msg(1, status::OKSOFAR, b"a"),             // ends without the final part
        ];
        for c in cases {
            assert!(
                read_reply(&mut std::io::Cursor::new(c.clone()), 1).is_err(),
                "{c:?}"
            );
        }
    }
}
