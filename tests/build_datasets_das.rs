//! `cortado build-datasets` with DAS dataset names, against a local
//! stand-in for DBS and Rucio that speaks their wire formats over HTTPS
//! with client certificates (`tests/fakes/cms_services.py`; the real
//! services cannot be reached from here), and SITECONF `storage.json`
//! files: file lists, events and invalid files from DBS, replicas and site
//! choice from Rucio, the three outputs, and every failure named. With the
//! test XRootD server, the sites' prefixes point at real files and the
//! zmumu example runs from the built fileset.

mod common;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

const DY: &str = "/DYJetsToLL_M-50_TuneCP5_13TeV-amcatnloFXFX-pythia8/RunIISummer20UL18NanoAODv9-106X_upgrade2018_realistic_v16_L1v1-v2/NANOAODSIM";
const TT: &str = "/TTTo2L2Nu_TuneCP5_13TeV-powheg-pythia8/RunIISummer20UL18NanoAODv9-106X_upgrade2018_realistic_v16_L1v1-v1/NANOAODSIM";
const PRIV: &str = "/TTTo2L2Nu/user-private-v1/USER";
const GONE: &str = "/QCD_Pt-15to7000/RunIISummer20UL18NanoAODv9-106X/NANOAODSIM";
const BROKEN: &str = "/WJetsToLNu/RunIISummer20UL18NanoAODv9-106X/NANOAODSIM";
const WRONGSUM: &str = "/DYJetsToLL_M-10to50/RunIISummer20UL18NanoAODv9-106X/NANOAODSIM";

/// The fake services, stopped when dropped.
struct Fake {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn replica(rse: &str, state: &str) -> Value {
    json!({"rse": rse, "state": state, "type": "DISK", "volatile": false})
}

/// Starts the fake with its world: DY at two sites (the first one down for
/// file 2), one invalid DY file; tt̄ at one site; a private dataset in
/// phys03 (blocks); QCD only at a site that is down; WJets failing in DBS.
fn start(dir: &Path) -> Fake {
    let dy_lfn = "/store/mc/RunIISummer20UL18NanoAODv9/DYJetsToLL/dy_2018_small.root";
    let tt_lfn = "/store/mc/RunIISummer20UL18NanoAODv9/TTTo2L2Nu/tt_2018_small.root";
    let data = common::root().join("examples/zmumu/data");
    let adler = |f: &str| cortado_datasets::download::adler32_of(&data.join(f)).unwrap();
    let world = json!({"datasets": {
        DY: {"files": [
                {"lfn": dy_lfn, "events": 5000, "size": 681078, "adler32": adler("dy_2018_small.root")},
                {"lfn": "/store/mc/RunIISummer20UL18NanoAODv9/DYJetsToLL/invalid.root", "events": 7, "size": 9, "valid": 0}],
             "replicas": {dy_lfn: [replica("T1_US_FNAL_Disk", "AVAILABLE"), replica("T2_XX_Test", "AVAILABLE")]}},
        TT: {"files": [{"lfn": tt_lfn, "events": 5000, "size": 954443, "adler32": adler("tt_2018_small.root")}],
             "replicas": {tt_lfn: [replica("T2_XX_Test", "AVAILABLE")]}},
        PRIV: {"files": [{"lfn": "/store/user/someone/tt.root", "events": 12, "size": 34}],
               "blocks": [{"name": format!("{PRIV}#abc"), "site": "T2_XX_Test", "files": ["/store/user/someone/tt.root"]}]},
        GONE: {"files": [{"lfn": "/store/mc/QCD/q.root", "events": 1, "size": 1}],
               "replicas": {"/store/mc/QCD/q.root": [replica("T2_YY_Down", "TEMPORARY_UNAVAILABLE")]}},
        BROKEN: {"files": [], "dbs_error": "database connection lost"},
        WRONGSUM: {"files": [{"lfn": dy_lfn, "events": 5000, "size": 681078, "adler32": "0badc0de"}],
                   "replicas": {dy_lfn: [replica("T2_XX_Test", "AVAILABLE")]}}
    }});
    std::fs::write(dir.join("world.json"), world.to_string()).unwrap();
    let mut child = Command::new("python3")
        .arg(common::root().join("tests/fakes/cms_services.py"))
        .arg(dir)
        .arg(dir.join("world.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs the fake DBS/Rucio");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("port=")
        .unwrap_or_else(|| panic!("the fake said {line:?}"))
        .parse()
        .unwrap();
    Fake {
        child,
        port,
        dir: dir.to_path_buf(),
    }
}

/// SITECONF with T1_US_FNAL_Disk (a prefix), T2_XX_Test (LFN rules to
/// `xx_base`) and a tape endpoint that must be ignored.
fn siteconf(dir: &Path, xx_base: &str) -> PathBuf {
    let sc = dir.join("SITECONF");
    for (site, storage) in [
        (
            "T1_US_FNAL",
            json!([
            {"site": "T1_US_FNAL", "volume": "FNAL_dCache_EOS", "type": "DISK", "rse": "T1_US_FNAL_Disk",
             "protocols": [{"protocol": "XRootD", "access": "global-ro", "prefix": "root://cmsxrootd.fnal.gov//"}]},
            {"site": "T1_US_FNAL", "volume": "tape", "type": "TAPE", "rse": "T1_US_FNAL_Tape",
             "protocols": [{"protocol": "XRootD", "access": "global-ro", "prefix": "root://tape//"}]}]),
        ),
        (
            "T2_XX_Test",
            json!([
            {"site": "T2_XX_Test", "volume": "disk", "type": "DISK", "rse": "T2_XX_Test",
             "protocols": [{"protocol": "WebDAV", "access": "global-ro", "prefix": "https://nope/"},
                           {"protocol": "XRootD", "access": "global-ro",
                            "rules": [{"lfn": "/+store/mc/RunIISummer20UL18NanoAODv9/[^/]+/(.*)", "pfn": format!("{xx_base}/$1")},
                                      {"lfn": "/+store/(.*)", "pfn": "root://xx.example//store/$1"}]}]}]),
        ),
    ] {
        std::fs::create_dir_all(sc.join(site)).unwrap();
        std::fs::write(sc.join(site).join("storage.json"), storage.to_string()).unwrap();
    }
    sc
}

/// `cortado build-datasets --cfg CFG` with the fake's DBS and CA (no proxy yet).
fn command(fake: &Fake, cfg: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cortado"));
    c.args(["build-datasets", "--cfg", cfg.to_str().unwrap()])
        .env(
            "CORTADO_DBS_URL",
            format!("https://127.0.0.1:{}/dbs", fake.port),
        )
        .env("X509_CERT_DIR", &fake.dir) // ca.pem
        .env_remove("SSL_CERT_FILE");
    c
}

/// `cortado build-datasets` against the fake, with Rucio and SITECONF.
fn build(
    fake: &Fake,
    sc: &Path,
    cfg: &Path,
    account: &str,
    extra: &[&str],
) -> std::process::Output {
    command(fake, cfg)
        .args(extra)
        .env("RUCIO_HOST", format!("https://127.0.0.1:{}", fake.port))
        .env(
            "RUCIO_AUTH_HOST",
            format!("https://127.0.0.1:{}", fake.port),
        )
        .env("RUCIO_HOME", fake.dir.join("no-rucio-home"))
        .env("RUCIO_ACCOUNT", account)
        .env("CMS_SITECONF", sc)
        .env("X509_USER_PROXY", fake.dir.join("proxy.pem"))
        .output()
        .unwrap()
}

/// `cortado build-datasets` against the fake's DBS with the X509 proxy `proxy`:
/// whether it failed, and its standard error.
fn with_proxy(fake: &Fake, cfg: &Path, proxy: &Path) -> (bool, String) {
    let o = command(fake, cfg)
        .env("X509_USER_PROXY", proxy)
        .output()
        .unwrap();
    (
        o.status.code() == Some(1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn definitions(dir: &Path, entries: &[(&str, &str, Value)]) -> PathBuf {
    let mut defs = serde_json::Map::new();
    for (key, das, meta) in entries {
        let sample = key.trim_end_matches("_M-50");
        defs.insert(
            key.to_string(),
            json!({"sample": sample, "json_output": format!("datasets/{key}.json"),
            "files": [{"das_names": [das], "metadata": meta}]}),
        );
    }
    let p = dir.join("defs.json");
    std::fs::write(&p, Value::Object(defs).to_string()).unwrap();
    p
}

fn read(p: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

fn mc() -> Value {
    json!({"year": "2018", "isMC": true, "xsec": 6077.22})
}

#[test]
#[ignore = "needs python3 and openssl (the fake DBS/Rucio)"]
fn das_datasets_become_site_redirector_and_local_filesets() {
    let dir = common::tmpdir("das", "outputs");
    let fake = start(&dir);
    let sc = siteconf(&dir, "root://xx.example//mc");
    let cfg = definitions(
        &dir,
        &[
            ("DYJetsToLL_M-50", DY, mc()),
            (
                "PRIV",
                PRIV,
                json!({"year": "2018", "isMC": true, "xsec": 1}),
            ),
        ],
    );
    // the private dataset lives in phys03 (its blocks' origin site)
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        r#""das_names":["/TTTo2L2Nu/user-private-v1/USER"]"#,
        r#""das_names":["/TTTo2L2Nu/user-private-v1/USER"],"dbs_instance":"prod/phys03""#,
    );
    std::fs::write(&cfg, text).unwrap();
    let o = build(
        &fake,
        &sc,
        &cfg,
        "tester",
        &["-l", "/eos/local", "-sort", "random"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ds = "DYJetsToLL_M-50_2018";
    let main = read(&dir.join("datasets/DYJetsToLL_M-50.json"));
    // the first site Rucio lists, through its prefix; the invalid file left out
    assert_eq!(main[ds]["files"], json!(["root://cmsxrootd.fnal.gov//store/mc/RunIISummer20UL18NanoAODv9/DYJetsToLL/dy_2018_small.root"]));
    assert_eq!(main[ds]["metadata"]["nevents"], "5000");
    assert_eq!(main[ds]["metadata"]["size"], "681078");
    assert_eq!(main[ds]["metadata"]["das_names"], format!("['{DY}']"));
    let red = read(&dir.join("datasets/DYJetsToLL_M-50_redirector.json"));
    assert_eq!(red[ds]["files"], json!(["root://xrootd-cms.infn.it//store/mc/RunIISummer20UL18NanoAODv9/DYJetsToLL/dy_2018_small.root"]));
    let local = read(&dir.join("datasets/DYJetsToLL_M-50_local.json"));
    assert_eq!(
        local[ds]["files"],
        json!(["/eos/local/store/mc/RunIISummer20UL18NanoAODv9/DYJetsToLL/dy_2018_small.root"])
    );
    let private = read(&dir.join("datasets/PRIV.json"));
    assert_eq!(
        private["PRIV_2018"]["files"],
        json!(["root://xx.example//store/user/someone/tt.root"])
    );
    // blocking FNAL: the second site, through its LFN rules
    let o = build(
        &fake,
        &sc,
        &cfg,
        "tester",
        &["-k", "DYJetsToLL_M-50", "-o", "-bs", "T1_US_FNAL"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let main = read(&dir.join("datasets/DYJetsToLL_M-50.json"));
    assert_eq!(
        main[ds]["files"],
        json!(["root://xx.example//mc/dy_2018_small.root"])
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
#[ignore = "needs python3 and openssl (the fake DBS/Rucio)"]
fn every_das_failure_names_the_dataset_and_the_service() {
    let dir = common::tmpdir("das", "failures");
    let fake = start(&dir);
    let sc = siteconf(&dir, "root://xx.example//mc");
    let cfg = definitions(
        &dir,
        &[
            ("QCD", GONE, mc()),
            ("WJets", BROKEN, mc()),
            ("EMPTY", "/Nothing/Here-v1/NANOAODSIM", mc()),
        ],
    );
    let o = build(&fake, &sc, &cfg, "tester", &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for want in [
        "3 file(s) or folder(s) cannot be read; nothing was written",
        "QCD_2018 /QCD_Pt-15to7000",
        "no allowed site has file /store/mc/QCD/q.root (its replicas: T2_YY_Down (not available))",
        "WJets_2018",
        "HTTP 500: database connection lost",
        "EMPTY_2018",
        "has no valid file of this dataset",
    ] {
        assert!(err.contains(want), "no {want:?} in:\n{err}");
    }
    assert!(!dir.join("datasets").exists());
    // the redirector for a file no site has
    let cfg = definitions(&dir, &[("QCD", GONE, mc())]);
    let o = build(&fake, &sc, &cfg, "tester", &["-ir"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        read(&dir.join("datasets/QCD.json"))["QCD_2018"]["files"],
        json!(["root://xrootd-cms.infn.it//store/mc/QCD/q.root"])
    );
    // Rucio refusing the account
    let cfg = definitions(&dir, &[("DY", DY, mc())]);
    let o = build(&fake, &sc, &cfg, "nobody", &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("/auth/x509_proxy: HTTP 401: CannotAuthenticate: Cannot authenticate"),
        "{err}"
    );
    // an expired proxy: the server refuses it, the error says so
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(&fake.dir)
            .output()
            .unwrap()
    };
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "old.key",
        "-out",
        "old.csr",
        "-subj",
        "/CN=old proxy",
    ]);
    std::fs::write(
        fake.dir.join("old.ext"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    let sign = [
        "x509", "-req", "-in", "old.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
    ];
    run(&[
        &sign[..],
        &["-out", "old.pem", "-days", "-1", "-extfile", "old.ext"],
    ]
    .concat());
    // and a version-1 certificate (no extensions), which the TLS library refuses
    run(&[&sign[..], &["-out", "v1.pem", "-days", "1"]].concat());
    let old = [
        std::fs::read(fake.dir.join("old.pem")).unwrap(),
        std::fs::read(fake.dir.join("old.key")).unwrap(),
    ]
    .concat();
    std::fs::write(dir.join("expired.pem"), old).unwrap();
    let (failed, err) = with_proxy(&fake, &cfg, &dir.join("expired.pem"));
    assert!(
        failed && err.contains("is the X509 proxy valid and not expired"),
        "{err}"
    );
    let v1 = [
        std::fs::read(fake.dir.join("v1.pem")).unwrap(),
        std::fs::read(fake.dir.join("old.key")).unwrap(),
    ]
    .concat();
    std::fs::write(dir.join("v1.pem"), v1).unwrap();
    let (failed, err) = with_proxy(&fake, &cfg, &dir.join("v1.pem"));
    assert!(
        failed && err.contains("not a usable client certificate"),
        "{err}"
    );
    // no proxy: the server refuses the TLS handshake; a clear error, not a hang
    let (failed, err) = with_proxy(&fake, &cfg, &dir.join("missing-proxy.pem"));
    assert!(
        failed && err.contains("X509 proxy") && err.contains("missing-proxy.pem"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
#[ignore = "needs python3, openssl (the fake DBS/Rucio) and an XRootD server (.ci/xrootd_start.sh)"]
fn the_example_runs_from_a_fileset_built_from_das() {
    let var = |n: &str| {
        std::env::var(n)
            .unwrap_or_else(|_| panic!("{n} is not set: eval \"$(.ci/xrootd_start.sh)\""))
    };
    let dir = common::tmpdir("das", "run");
    // the "site" T2_XX_Test serves the example's files from the test XRootD server
    let sub = format!("cortado-das-{}", std::process::id());
    let served = PathBuf::from(var("CORTADO_TEST_XROOTD_DIR")).join(&sub);
    std::fs::create_dir_all(&served).unwrap();
    let data = common::root().join("examples/zmumu/data");
    for f in ["dy_2018_small.root", "tt_2018_small.root"] {
        std::fs::copy(data.join(f), served.join(f)).unwrap();
    }
    let fake = start(&dir);
    std::fs::create_dir_all(dir.join("wrongsum")).unwrap();
    let sc = siteconf(&dir, &format!("{}/{sub}", var("CORTADO_TEST_XROOTD")));
    let cfg = definitions(
        &dir,
        &[
            ("DYJetsToLL_M-50", DY, mc()),
            (
                "TTTo2L2Nu",
                TT,
                json!({"year": "2018", "isMC": true, "xsec": 88.29}),
            ),
        ],
    );
    let o = build(&fake, &sc, &cfg, "tester", &["-as", "T2_XX_Test"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // the example's data file, and the two built filesets
    let mut fileset = read(&common::root().join("examples/zmumu/datasets/fileset.json"));
    let obj = fileset.as_object_mut().unwrap();
    obj.retain(|k, _| k.starts_with("DATA"));
    let data_files = obj["DATA_SingleMuon_2018_EraA"]["files"]
        .as_array_mut()
        .unwrap();
    data_files[0] = Value::String(
        data.join("data_2018_SingleMuon_small.root")
            .display()
            .to_string(),
    );
    std::fs::write(dir.join("datasets/data.json"), fileset.to_string()).unwrap();
    let yaml = dir.join("analysis.yaml");
    std::fs::write(&yaml, format!(
        "extends: {}\ndatasets:\n  jsons: [datasets/DYJetsToLL_M-50.json, datasets/TTTo2L2Nu.json, datasets/data.json]\n",
        common::root().join("examples/zmumu/analysis.yaml").display()
    )).unwrap();
    assert!(build(
        &fake,
        &sc,
        &cfg,
        "tester",
        &["-as", "T2_XX_Test", "--check"]
    )
    .status
    .success());
    // --download: the files copied under the local prefix, from the site
    let local = dir.join("copies");
    let lp = local.to_str().unwrap();
    let down = |extra: &[&str]| {
        let mut args = vec!["-as", "T2_XX_Test", "-o", "-l", lp, "--download"];
        args.extend_from_slice(extra);
        build(&fake, &sc, &cfg, "tester", &args)
    };
    let o = down(&[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.contains("DYJetsToLL_M-50_2018: 1 copied, 0 resumed, 0 already there, 0 failed"),
        "{out}"
    );
    let copy = local.join("store/mc/RunIISummer20UL18NanoAODv9/DYJetsToLL/dy_2018_small.root");
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(data.join("dy_2018_small.root")).unwrap()
    );
    // again: kept; after an interruption: resumed from the partial copy
    let out = String::from_utf8_lossy(&down(&[]).stdout).into_owned();
    assert!(
        out.contains("DYJetsToLL_M-50_2018: 0 copied, 0 resumed, 1 already there"),
        "{out}"
    );
    let bytes = std::fs::read(&copy).unwrap();
    std::fs::remove_file(&copy).unwrap();
    std::fs::write(
        copy.with_file_name("dy_2018_small.root.part"),
        &bytes[..bytes.len() / 2],
    )
    .unwrap();
    let out = String::from_utf8_lossy(&down(&[]).stdout).into_owned();
    assert!(
        out.contains("DYJetsToLL_M-50_2018: 0 copied, 1 resumed"),
        "{out}"
    );
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
    // the local fileset names the copies
    let lj = read(&dir.join("datasets/DYJetsToLL_M-50_local.json"));
    assert_eq!(
        lj["DYJetsToLL_M-50_2018"]["files"][0],
        copy.display().to_string()
    );
    // a checksum DBS does not agree with: refused, nothing left behind
    let bad_cfg = definitions(&dir.join("wrongsum"), &[("WRONG", WRONGSUM, mc())]);
    let o = build(
        &fake,
        &sc,
        &bad_cfg,
        "tester",
        &["-l", dir.join("wrong").to_str().unwrap(), "--download"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("checksum mismatch")
            && err.contains("DBS says 0badc0de"),
        "{err}"
    );
    assert!(!dir
        .join("wrong/store/mc/RunIISummer20UL18NanoAODv9/DYJetsToLL/dy_2018_small.root")
        .exists());
    assert!(!dir
        .join("wrong/store/mc/RunIISummer20UL18NanoAODv9/DYJetsToLL/dy_2018_small.root.part")
        .exists());
    let (a, b) = (dir.join("das"), dir.join("local"));
    common::run_ok(yaml.to_str().unwrap(), a.to_str().unwrap(), &[]);
    common::run_ok("examples/zmumu/analysis.yaml", b.to_str().unwrap(), &[]);
    assert!(
        common::numbers(&a) == common::numbers(&b),
        "the outputs differ"
    );
    std::fs::remove_dir_all(served).unwrap();
    std::fs::remove_dir_all(dir).ok();
}
