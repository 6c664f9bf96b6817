//! `roots://`: the XRootD connection switched to TLS after the protocol
//! request (`kXR_wantTLS` asked, `kXR_gotoTLS` answered), with rustls.
//! The server's certificate is checked against the CA certificates of
//! `X509_CERT_DIR` and `SSL_CERT_FILE` when set, else Mozilla's roots.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};

/// A connection's byte stream: plain TCP, or TLS over it.
pub(crate) enum Stream {
    /// `root://`.
    Plain(TcpStream),
    /// `roots://`, after the switch.
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// The CA certificates a client trusts (read once per process).
fn config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            let mut files: Vec<std::path::PathBuf> = Vec::new();
            if let Ok(dir) = std::env::var("X509_CERT_DIR") {
                if let Ok(rd) = std::fs::read_dir(dir) {
                    files.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_file()));
                }
            }
            if let Ok(f) = std::env::var("SSL_CERT_FILE") {
                files.push(f.into());
            }
            for f in files {
                let Ok(certs) = CertificateDer::pem_file_iter(&f) else {
                    continue;
                };
                for c in certs.flatten() {
                    let _ = roots.add(c);
                }
            }
            if roots.is_empty() {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let c = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(c))
        })
        .clone()
}

/// Switches `tcp` to TLS with server `host` and completes the handshake;
/// a certificate the client does not trust is an error saying so.
pub(crate) fn upgrade(tcp: TcpStream, host: &str) -> Result<Stream, String> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("TLS: server name '{host}': {e}"))?;
    let conn = rustls::ClientConnection::new(config()?, name).map_err(|e| format!("TLS: {e}"))?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).map_err(|e| {
            format!(
                "TLS handshake with {host}: {e} (X509_CERT_DIR holds the CA certificates trusted)"
            )
        })?;
    }
    Ok(Stream::Tls(Box::new(s)))
}
