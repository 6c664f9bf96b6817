//! `root://` URLs.

/// A parsed `root[s]://[user@]host[:port]//path[?cgi]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XrdUrl {
    /// `roots://`: the connection switches to TLS.
    pub tls: bool,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port (1094 when not given).
    pub port: u16,
    /// The path on the server (`/store/...`).
    pub path: String,
    /// The URL's CGI (after `?`), passed to the server with the path.
    pub cgi: Option<String>,
}

impl XrdUrl {
    /// Parses `url`; the message says what is wrong.
    pub fn parse(url: &str) -> Result<XrdUrl, String> {
        let (rest, tls) = if let Some(r) = url.strip_prefix("root://") {
            (r, false)
        } else if let Some(r) = url.strip_prefix("roots://") {
            (r, true)
        } else {
            return Err("not a root:// URL".into());
        };
        let (hostport, path) = rest
            .split_once('/')
            .ok_or("the URL has no path (root://host//path/to/file.root)")?;
        let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
        let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
            let (h, p) = h.split_once(']').ok_or("unclosed '[' in the host")?;
            (h, p.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err("the URL has no host".into());
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| format!("bad port '{p}'"))?,
            None => 1094,
        };
        let (path, cgi) = match path.split_once('?') {
            Some((p, c)) => (p, Some(c.to_string())),
            None => (path, None),
        };
        // root://host//abs/path: the path is /abs/path
        let path = format!("/{}", path.trim_start_matches('/'));
        if path == "/" {
            return Err("the URL has no file path".into());
        }
        Ok(XrdUrl {
            tls,
            host: host.to_string(),
            port,
            path,
            cgi,
        })
    }

    /// The path as sent to a server, with the URL's CGI and `opaque` (what
    /// a redirect added) after `?`.
    pub fn path_with(&self, opaque: Option<&str>) -> String {
        let cgi: Vec<&str> = self
            .cgi
            .as_deref()
            .into_iter()
            .chain(opaque)
            .filter(|s| !s.is_empty())
            .collect();
        if cgi.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, cgi.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_cms_sites_parse() {
        let u = XrdUrl::parse("root://cms-xrd-global.cern.ch//store/mc/a.root").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("cms-xrd-global.cern.ch", 1094, "/store/mc/a.root")
        );
        let u = XrdUrl::parse("root://user@[::1]:1095//a.root?svcClass=t1").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 1095));
        assert_eq!(u.path_with(Some("tried=x")), "/a.root?svcClass=t1&tried=x");
        assert_eq!(XrdUrl::parse("root://h:1/a").unwrap().path, "/a");
        assert!(XrdUrl::parse("roots://h//a").unwrap().tls);
        assert!(!XrdUrl::parse("root://h//a").unwrap().tls);
        for bad in [
            "root://h",
            "root://:1//a",
            "root://h:x//a",
            "root://h//",
            "http://h/a",
        ] {
            assert!(XrdUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
