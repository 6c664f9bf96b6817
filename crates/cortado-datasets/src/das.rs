//! DAS datasets as PocketCoffea builds them (§2.2): the valid files, their
//! events and sizes from DBS; where their replicas are from Rucio
//! (`list_replicas`, one JSON object per line); each site's XRootD prefix
//! (or LFN→PFN rules) from the sites' `storage.json` in SITECONF. All over
//! HTTPS with the X509 proxy (`cortado_source::http::tls_config`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Where the CMS services are (the environment overrides each default).
#[derive(Debug, Clone)]
pub struct Services {
    /// DBS base URL (`CORTADO_DBS_URL`; <https://cmsweb.cern.ch:8443/dbs>).
    pub dbs: String,
    /// Rucio server (`RUCIO_HOST`, else `rucio_host` of `$RUCIO_HOME/etc/rucio.cfg`).
    pub rucio: String,
    /// Rucio authentication server (`RUCIO_AUTH_HOST`, else `auth_host`).
    pub rucio_auth: String,
    /// Rucio account (`RUCIO_ACCOUNT`, else `account`).
    pub account: Option<String>,
    /// The SITECONF folder (`CMS_SITECONF`; /cvmfs/cms.cern.ch/SITECONF).
    pub siteconf: PathBuf,
}

/// A `key = value` of the `[client]` section of an INI file.
fn ini_client_value(text: &str, key: &str) -> Option<String> {
    let mut in_client = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_client = line == "[client]";
        } else if in_client {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

impl Services {
    /// The services from the environment and `rucio.cfg`.
    pub fn from_env() -> Services {
        let home = std::env::var("RUCIO_HOME")
            .unwrap_or_else(|_| "/cvmfs/cms.cern.ch/rucio/current".into());
        let cfg =
            std::fs::read_to_string(Path::new(&home).join("etc/rucio.cfg")).unwrap_or_default();
        let pick = |env: &str, key: &str, default: &str| {
            std::env::var(env)
                .ok()
                .or_else(|| ini_client_value(&cfg, key))
                .unwrap_or_else(|| default.to_string())
        };
        Services {
            dbs: std::env::var("CORTADO_DBS_URL")
                .unwrap_or_else(|_| "https://cmsweb.cern.ch:8443/dbs".into()),
            rucio: pick("RUCIO_HOST", "rucio_host", "https://cms-rucio.cern.ch"),
            rucio_auth: pick(
                "RUCIO_AUTH_HOST",
                "auth_host",
                "https://cms-rucio-auth.cern.ch",
            ),
            account: std::env::var("RUCIO_ACCOUNT")
                .ok()
                .or_else(|| ini_client_value(&cfg, "account")),
            siteconf: std::env::var("CMS_SITECONF")
                .unwrap_or_else(|_| "/cvmfs/cms.cern.ch/SITECONF".into())
                .into(),
        }
    }
}

/// The site choice of `-as/-bs/-ps/-rs/-ir` (PocketCoffea's order: an
/// allow list alone decides; otherwise the block list, then the regex, or
/// the first available site; the redirector when none is left).
#[derive(Debug, Clone, Default)]
pub struct SiteFilter {
    /// `-as`: only these sites.
    pub allow: Vec<String>,
    /// `-bs`: never these (also matching without `_Disk`).
    pub block: Vec<String>,
    /// `-ps`: these first, in this order.
    pub priority: Vec<String>,
    /// `-rs`: sites whose name this regular expression finds.
    pub regex: Option<regex::Regex>,
    /// `-ir`: the redirector for a file no allowed site has.
    pub include_redirector: bool,
    /// `-sort`: how Rucio sorts the replicas (`geoip`, `custom_table`,
    /// `random`; anything else, such as `priority`, sends no sort).
    pub sort: Option<String>,
}

/// The CMS global redirector PocketCoffea writes into `_redirector.json`.
pub const REDIRECTOR: &str = "root://xrootd-cms.infn.it//";

/// A valid file of a dataset, from DBS.
#[derive(Debug, Clone, PartialEq)]
pub struct DasFile {
    /// Its logical file name (`/store/...`).
    pub lfn: String,
    /// Events.
    pub events: u64,
    /// Bytes.
    pub size: u64,
    /// Its Adler-32 checksum (8 hex digits) when DBS gives it.
    pub adler32: Option<String>,
}

/// A DAS dataset resolved: its valid files (DBS order) and, per file, the
/// site replica chosen (PFN and site).
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The valid files.
    pub files: Vec<DasFile>,
    /// (LFN, PFN, site) of each file, in the order the replicas were listed.
    pub replicas: Vec<(String, String, String)>,
}

/// How a site turns an LFN into its XRootD PFN.
#[derive(Debug, Clone)]
enum SiteRule {
    Prefix(String),
    Rules(Vec<(regex::Regex, String)>),
}

/// The sites' XRootD access (`global-ro`/`global-rw`, DISK) from
/// `<siteconf>/T*/storage.json`, by RSE name.
fn sites_map(siteconf: &Path) -> Result<BTreeMap<String, SiteRule>, String> {
    let rd =
        std::fs::read_dir(siteconf).map_err(|e| format!("SITECONF {}: {e}", siteconf.display()))?;
    let mut out = BTreeMap::new();
    let mut dirs: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    dirs.sort();
    for d in dirs {
        if !d
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('T'))
        {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(d.join("storage.json")) else {
            continue;
        };
        let Ok(Value::Array(volumes)) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        for v in volumes {
            let (Some(rse), Some("DISK")) = (v["rse"].as_str(), v["type"].as_str()) else {
                continue;
            };
            for p in v["protocols"].as_array().into_iter().flatten() {
                let access = p["access"].as_str().unwrap_or_default();
                if p["protocol"].as_str() != Some("XRootD")
                    || !["global-ro", "global-rw"].contains(&access)
                {
                    continue;
                }
                if let Some(prefix) = p["prefix"].as_str() {
                    out.insert(rse.to_string(), SiteRule::Prefix(prefix.to_string()));
                } else if let Some(rules) = p["rules"].as_array() {
                    let mut list = Vec::new();
                    for r in rules {
                        let (Some(lfn), Some(pfn)) = (r["lfn"].as_str(), r["pfn"].as_str()) else {
                            continue;
                        };
                        let re = regex::Regex::new(&format!("^(?:{lfn})")).map_err(|e| {
                            format!("{}: rule '{lfn}': {e}", d.join("storage.json").display())
                        })?;
                        list.push((re, pfn.to_string()));
                    }
                    out.insert(rse.to_string(), SiteRule::Rules(list));
                }
            }
        }
    }
    Ok(out)
}

/// `prefix` and `lfn` joined with one slash between them where neither
/// has it and the prefix's own kept (`root://host//` + `/store/a` →
/// `root://host//store/a`, the double slash of an absolute XRootD path).
pub fn join_prefix(prefix: &str, lfn: &str) -> String {
    match (prefix.ends_with('/'), lfn.starts_with('/')) {
        (true, true) => format!("{prefix}{}", &lfn[1..]),
        (false, false) => format!("{prefix}/{lfn}"),
        _ => format!("{prefix}{lfn}"),
    }
}

/// The PFN of `lfn` at a site.
fn pfn(lfn: &str, rule: &SiteRule) -> Option<String> {
    match rule {
        SiteRule::Prefix(p) => Some(join_prefix(p, lfn)),
        SiteRule::Rules(rules) => rules.iter().find_map(|(re, pfn)| {
            let caps = re.captures(lfn)?;
            let mut out = pfn.clone();
            for i in (1..caps.len()).rev() {
                out = out.replace(&format!("${i}"), caps.get(i).map_or("", |m| m.as_str()));
            }
            Some(out)
        }),
    }
}

/// The message of a failed request: the status and what the service said
/// (DBS: its JSON error's message; Rucio: `ExceptionClass`/`ExceptionMessage`).
fn failure(url: &str, mut resp: ureq::http::Response<ureq::Body>) -> String {
    let code = resp.status().as_u16();
    let class = resp
        .headers()
        .get("ExceptionClass")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_string()
        .unwrap_or_default();
    let said = match serde_json::from_str::<Value>(&body) {
        Ok(v) => {
            let v = v.as_array().and_then(|a| a.first()).cloned().unwrap_or(v);
            v["ExceptionMessage"]
                .as_str()
                .or(v["error"]["message"].as_str())
                .or(v["message"].as_str())
                .map(str::to_string)
                .unwrap_or(body.clone())
        }
        Err(_) => body.trim().chars().take(300).collect(),
    };
    match class {
        Some(c) => format!("{url}: HTTP {code}: {c}: {said}"),
        None => format!("{url}: HTTP {code}: {said}"),
    }
}

/// A request that failed before any answer: a TLS alert (the server
/// refusing the client certificate) names the X509 proxy.
fn transport(url: &str, e: ureq::Error) -> String {
    let text = e.to_string();
    let tls =
        text.contains("alert") || text.contains("certificate") || text.contains("Certificate");
    if tls {
        format!(
            "{url}: {text} (the server refused the TLS connection: is the X509 proxy valid and \
             not expired? voms-proxy-init -voms cms)"
        )
    } else {
        format!("{url}: {text}")
    }
}

/// GETs `url` and parses its JSON.
fn get_json(agent: &ureq::Agent, url: &str) -> Result<Value, String> {
    let mut resp = agent.get(url).call().map_err(|e| transport(url, e))?;
    if resp.status().as_u16() != 200 {
        return Err(failure(url, resp));
    }
    let text = resp
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .map_err(|e| format!("{url}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{url}: not JSON: {e}"))
}

/// `%`-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The files of `das` in DBS `instance`: the valid ones (in DBS's order)
/// and the names of the invalid ones.
fn dbs_files(
    agent: &ureq::Agent,
    s: &Services,
    instance: &str,
    query: &str,
) -> Result<(Vec<DasFile>, Vec<String>), String> {
    let url = format!(
        "{}/{instance}/DBSReader/files?{query}&detail=True",
        s.dbs.trim_end_matches('/')
    );
    let v = get_json(agent, &url)?;
    let list = v
        .as_array()
        .ok_or_else(|| format!("{url}: not a list of files"))?;
    let (mut valid, mut invalid) = (Vec::new(), Vec::new());
    for f in list {
        let lfn = f["logical_file_name"]
            .as_str()
            .ok_or_else(|| format!("{url}: a file without logical_file_name"))?;
        if f["is_file_valid"].as_i64() == Some(0) {
            invalid.push(lfn.to_string());
            continue;
        }
        valid.push(DasFile {
            lfn: lfn.to_string(),
            events: f["event_count"].as_u64().unwrap_or(0),
            size: f["file_size"].as_u64().unwrap_or(0),
            adler32: f["adler32"]
                .as_str()
                .filter(|a| !a.is_empty() && *a != "NOTSET")
                .map(|a| format!("{:0>8}", a.to_ascii_lowercase())),
        });
    }
    Ok((valid, invalid))
}

/// A Rucio token for the account, authenticated by the X509 proxy.
fn rucio_token(agent: &ureq::Agent, s: &Services) -> Result<String, String> {
    let account = s
        .account
        .as_deref()
        .ok_or("no Rucio account: set RUCIO_ACCOUNT (or `account` in $RUCIO_HOME/etc/rucio.cfg)")?;
    let url = format!("{}/auth/x509_proxy", s.rucio_auth.trim_end_matches('/'));
    let resp = agent
        .get(&url)
        .header("X-Rucio-Account", account)
        .call()
        .map_err(|e| transport(&url, e))?;
    if resp.status().as_u16() != 200 {
        return Err(failure(&url, resp));
    }
    resp.headers()
        .get("X-Rucio-Auth-Token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| format!("{url}: no X-Rucio-Auth-Token in the answer"))
}

/// A file's name and its replicas' sites, each with whether it is usable
/// (DISK, not volatile, available), in the order Rucio sorted them.
type FileReplicas = (String, Vec<(String, bool)>);

/// Every file's replicas (`list_replicas`).
fn rucio_replicas(
    agent: &ureq::Agent,
    s: &Services,
    token: &str,
    das: &str,
    sort: Option<&str>,
) -> Result<Vec<FileReplicas>, String> {
    let url = format!("{}/replicas/list", s.rucio.trim_end_matches('/'));
    let mut body = serde_json::json!({"dids": [{"scope": "cms", "name": das}]});
    if let Some(sort) = sort.filter(|s| ["geoip", "custom_table", "random"].contains(s)) {
        body["sort"] = Value::String(sort.to_string());
    }
    let mut resp = agent
        .post(&url)
        .header("X-Rucio-Auth-Token", token)
        .header("Accept", "application/x-json-stream")
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .map_err(|e| format!("{url}: {e}"))?;
    if resp.status().as_u16() != 200 {
        return Err(failure(&url, resp));
    }
    let text = resp
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .map_err(|e| format!("{url}: {e}"))?;
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("{url}: line {}: not JSON: {e}", i + 1))?;
        let name = v["name"]
            .as_str()
            .ok_or_else(|| format!("{url}: line {}: no name", i + 1))?;
        let states = &v["states"];
        // the sites in Rucio's order of the PFNs: their `priority` (the JSON
        // object's order is not kept when it is parsed)
        let mut pfns: Vec<&Value> = v["pfns"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, m)| m)
            .collect();
        pfns.sort_by_key(|m| m["priority"].as_u64().unwrap_or(u64::MAX));
        let mut sites: Vec<(String, bool)> = Vec::new();
        for meta in pfns {
            let Some(rse) = meta["rse"].as_str() else {
                continue;
            };
            if sites.iter().any(|(s, _)| s == rse) {
                continue;
            }
            let usable = meta["type"].as_str() == Some("DISK")
                && !meta["volatile"].as_bool().unwrap_or(false)
                && states[rse].as_str() == Some("AVAILABLE");
            sites.push((rse.to_string(), usable));
        }
        out.push((name.to_string(), sites));
    }
    Ok(out)
}

/// The replica chosen for one file among its `sites` (usable ones with an
/// XRootD prefix), as PocketCoffea chooses it; `None`: no site is left.
fn choose(
    lfn: &str,
    sites: &[(String, bool)],
    map: &BTreeMap<String, SiteRule>,
    f: &SiteFilter,
) -> Option<(String, String)> {
    let ok = |site: &str| sites.iter().any(|(s, u)| s == site && *u) && map.contains_key(site);
    let mut found: Vec<String> = if !f.allow.is_empty() {
        f.allow.iter().filter(|s| ok(s)).cloned().collect()
    } else {
        sites
            .iter()
            .map(|(s, _)| s.clone())
            .filter(|s| {
                !f.block
                    .iter()
                    .any(|b| b == s || b == &s.replace("_Disk", ""))
            })
            .filter(|s| f.regex.as_ref().is_none_or(|r| r.is_match(s)))
            .filter(|s| ok(s))
            .collect()
    };
    for p in f.priority.iter().rev() {
        if let Some(i) = found.iter().position(|s| s == p) {
            let s = found.remove(i);
            found.insert(0, s);
        }
    }
    if let Some(site) = found.first() {
        return pfn(lfn, &map[site]).map(|p| (p, site.clone()));
    }
    (f.include_redirector && !sites.is_empty())
        .then(|| (join_prefix(REDIRECTOR, lfn), "redirector".to_string()))
}

/// Resolves `das`: valid files and events from DBS, then a replica for
/// each from Rucio (DBS `prod/global`) or from the blocks' origin site
/// (another DBS instance). Errors name the dataset and the service.
pub fn resolve(
    das: &str,
    instance: Option<&str>,
    s: &Services,
    f: &SiteFilter,
) -> Result<Resolved, String> {
    let opts = cortado_source::RemoteOptions::from_env();
    let agent = cortado_source::http::agent(&opts)?;
    let instance = instance.unwrap_or("prod/global");
    let (files, invalid) = dbs_files(&agent, s, instance, &format!("dataset={}", encode(das)))?;
    if files.is_empty() {
        return Err(format!(
            "DBS ({instance}) has no valid file of this dataset{}",
            if invalid.is_empty() {
                String::new()
            } else {
                format!(" ({} invalid)", invalid.len())
            }
        ));
    }
    let map = sites_map(&s.siteconf)?;
    let mut replicas = Vec::new();
    if instance == "prod/global" {
        let token = rucio_token(&agent, s)?;
        for (name, sites) in rucio_replicas(&agent, s, &token, das, f.sort.as_deref())? {
            if invalid.contains(&name) {
                continue;
            }
            let chosen = choose(&name, &sites, &map, f).ok_or_else(|| {
                let listed: Vec<String> = sites
                    .iter()
                    .map(|(s, u)| format!("{s}{}", if *u { "" } else { " (not available)" }))
                    .collect();
                format!(
                    "no allowed site has file {name} (its replicas: {}); change the site filters or use -ir",
                    if listed.is_empty() { "none".to_string() } else { listed.join(", ") }
                )
            })?;
            replicas.push((name.clone(), chosen.0, chosen.1));
        }
    } else {
        let url = format!(
            "{}/{instance}/DBSReader/blocks?dataset={}&detail=True",
            s.dbs.trim_end_matches('/'),
            encode(das)
        );
        for b in get_json(&agent, &url)?.as_array().into_iter().flatten() {
            let (Some(block), Some(site)) =
                (b["block_name"].as_str(), b["origin_site_name"].as_str())
            else {
                continue;
            };
            let rule = map.get(site).ok_or_else(|| {
                format!("site {site} (of block {block}) has no XRootD access in SITECONF")
            })?;
            let (bfiles, _) = dbs_files(
                &agent,
                s,
                instance,
                &format!("block_name={}", encode(block)),
            )?;
            for bf in bfiles {
                let p = pfn(&bf.lfn, rule)
                    .ok_or_else(|| format!("no rule of site {site} maps {}", bf.lfn))?;
                replicas.push((bf.lfn.clone(), p, site.to_string()));
            }
        }
    }
    Ok(Resolved { files, replicas })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_rules_and_prefixes_make_pfns() {
        let rule = SiteRule::Rules(vec![(
            regex::Regex::new("^(?:/+store/(.*))").unwrap(),
            "root://xrd.site//data/store/$1".into(),
        )]);
        assert_eq!(
            pfn("/store/mc/a.root", &rule).as_deref(),
            Some("root://xrd.site//data/store/mc/a.root")
        );
        assert_eq!(pfn("/other/a.root", &rule), None);
        let prefix = SiteRule::Prefix("root://xrd.site//".into());
        assert_eq!(
            pfn("/store/a.root", &prefix).as_deref(),
            Some("root://xrd.site//store/a.root")
        );
    }

    #[test]
    fn sites_are_chosen_as_pocketcoffea_chooses_them() {
        let map: BTreeMap<String, SiteRule> = ["T1_US_FNAL_Disk", "T2_DE_DESY", "T2_IT_Pisa"]
            .iter()
            .map(|s| (s.to_string(), SiteRule::Prefix(format!("root://{s}/"))))
            .collect();
        let sites = vec![
            ("T1_US_FNAL_Disk".to_string(), true),
            ("T2_DE_DESY".to_string(), true),
            ("T2_IT_Pisa".to_string(), false),
            ("T3_CH_X".to_string(), true),
        ];
        let site = |f: &SiteFilter| choose("/store/a.root", &sites, &map, f).map(|(_, s)| s);
        assert_eq!(
            site(&SiteFilter::default()).as_deref(),
            Some("T1_US_FNAL_Disk")
        );
        let block = SiteFilter {
            block: vec!["T1_US_FNAL".into()],
            ..Default::default()
        };
        assert_eq!(site(&block).as_deref(), Some("T2_DE_DESY"));
        let allow = SiteFilter {
            allow: vec!["T2_IT_Pisa".into()],
            ..Default::default()
        };
        assert_eq!(site(&allow), None, "Pisa's replica is not available");
        let redirect = SiteFilter {
            include_redirector: true,
            ..allow.clone()
        };
        assert_eq!(site(&redirect).as_deref(), Some("redirector"));
        let regex = SiteFilter {
            regex: Some(regex::Regex::new("T2_(DE|IT)").unwrap()),
            ..Default::default()
        };
        assert_eq!(site(&regex).as_deref(), Some("T2_DE_DESY"));
        let prio = SiteFilter {
            priority: vec!["T2_DE_DESY".into()],
            ..Default::default()
        };
        assert_eq!(site(&prio).as_deref(), Some("T2_DE_DESY"));
    }

    #[test]
    fn rucio_cfg_client_values() {
        let cfg = "[common]\nx = 1\n[client]\nrucio_host = https://r\naccount=me\n";
        assert_eq!(
            ini_client_value(cfg, "rucio_host").as_deref(),
            Some("https://r")
        );
        assert_eq!(ini_client_value(cfg, "account").as_deref(), Some("me"));
        assert_eq!(ini_client_value(cfg, "x"), None);
    }
}
