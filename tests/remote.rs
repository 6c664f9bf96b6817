//! The zmumu example read over XRootD (a data server, one over TLS, and a
//! redirector in front of another) and over HTTP (XrdHttp) from Debian's xrootd-server
//! (`.ci/xrootd_start.sh`): every histogram, cutflow and sum of weights
//! equals the local run's; a truncated remote file gets the error a local
//! one gets.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: start the server with `eval $(.ci/xrootd_start.sh)`")
    })
}

/// The example's data files copied into the server's folder (under a
/// folder of this process); returns that folder's name.
fn publish(name: &str) -> (String, PathBuf) {
    let sub = format!("cortado-test-{}-{name}", std::process::id());
    let dir = PathBuf::from(var("CORTADO_TEST_XROOTD_DIR")).join(&sub);
    std::fs::create_dir_all(&dir).unwrap();
    for f in std::fs::read_dir(common::root().join("examples/zmumu/data")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "root") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    (sub, dir)
}

/// The example's configuration reading its fileset with each file's
/// folder replaced by `base` (a URL); returns the configuration's path.
fn config_at(dir: &Path, base: &str) -> PathBuf {
    let root = common::root();
    let text = std::fs::read_to_string(root.join("examples/zmumu/datasets/fileset.json")).unwrap();
    let mut fileset: Value = serde_json::from_str(&text).unwrap();
    for ds in fileset.as_object_mut().unwrap().values_mut() {
        for f in ds["files"].as_array_mut().unwrap() {
            let name = Path::new(f.as_str().unwrap()).file_name().unwrap();
            *f = Value::String(format!("{base}/{}", name.to_str().unwrap()));
        }
    }
    std::fs::write(dir.join("fileset.json"), fileset.to_string()).unwrap();
    let cfg = dir.join("remote.yaml");
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\ndatasets:\n  jsons: [fileset.json]\n",
            root.join("examples/zmumu/analysis.yaml").display()
        ),
    )
    .unwrap();
    cfg
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh)"]
fn the_example_over_root_and_http_equals_the_local_run() {
    let tmp = common::tmpdir("remote", "example");
    let local = tmp.join("local");
    common::run_ok(
        "examples/zmumu/analysis.yaml",
        local.to_str().unwrap(),
        &["-c", "2000"],
    );
    let want = common::numbers(&local);
    let (sub, published) = publish("example");
    // roots://: the test CA, for the runs this test starts
    std::env::set_var("X509_CERT_DIR", var("CORTADO_TEST_XROOTD_CA"));
    for (name, base) in [
        ("roots", var("CORTADO_TEST_XROOTD_TLS")),
        ("root", var("CORTADO_TEST_XROOTD")),
        ("redirector", var("CORTADO_TEST_XROOTD_REDIRECTOR")),
        ("http", var("CORTADO_TEST_XROOTD_HTTP")),
        ("https", var("CORTADO_TEST_XROOTD_HTTPS")),
    ] {
        let dir = tmp.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = config_at(&dir, &format!("{base}/{sub}"));
        let out = dir.join("out");
        // chunks of 2,000 events, on two threads
        common::run_ok(
            cfg.to_str().unwrap(),
            out.to_str().unwrap(),
            &["-c", "2000", "-s", "2"],
        );
        let got = common::numbers(&out);
        assert!(
            got == want,
            "{name}: the output differs from the local run's"
        );
    }
    std::fs::remove_dir_all(published).unwrap();
    std::fs::remove_dir_all(tmp).ok();
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh)"]
fn a_truncated_or_missing_remote_file_gets_the_local_error() {
    let tmp = common::tmpdir("remote", "truncated");
    let (sub, published) = publish("truncated");
    // the DY file cut in half, locally and on the server
    let dy = published.join("dy_2018_small.root");
    let bytes = std::fs::read(&dy).unwrap();
    std::fs::write(&dy, &bytes[..bytes.len() / 2]).unwrap();
    let local_dir = tmp.join("local");
    std::fs::create_dir_all(&local_dir).unwrap();
    let local_cfg = config_at(&local_dir, published.to_str().unwrap());
    let local = common::run(
        local_cfg.to_str().unwrap(),
        local_dir.join("out").to_str().unwrap(),
        &[],
    );
    assert!(!local.status.success());
    let local_err =
        String::from_utf8_lossy(&local.stderr).replace(published.to_str().unwrap(), "DIR");
    for base in [var("CORTADO_TEST_XROOTD"), var("CORTADO_TEST_XROOTD_HTTP")] {
        let dir = tmp.join(base.split(':').next().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("{base}/{sub}");
        let cfg = config_at(&dir, &url);
        let o = common::run(
            cfg.to_str().unwrap(),
            dir.join("out").to_str().unwrap(),
            &[],
        );
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr).replace(&url, "DIR");
        // the same message after the configuration's position
        let first = |s: &str| {
            s.lines()
                .find(|l| l.contains("dy_2018_small.root"))
                .and_then(|l| l.split_once("dataset ").map(|(_, m)| m.to_string()))
        };
        assert_eq!(
            first(&err),
            first(&local_err),
            "{base}:\n{err}\nlocal:\n{local_err}"
        );
    }
    // a file the server does not have: its URL and the server's message
    std::fs::remove_file(&dy).unwrap();
    let url = format!("{}/{sub}", var("CORTADO_TEST_XROOTD"));
    let dir = tmp.join("missing");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = config_at(&dir, &url);
    let o = common::run(
        cfg.to_str().unwrap(),
        dir.join("out").to_str().unwrap(),
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains(&format!("{url}/dy_2018_small.root")) && err.contains("kXR_NotFound"),
        "{err}"
    );
    std::fs::remove_dir_all(published).unwrap();
    std::fs::remove_dir_all(tmp).ok();
}

#[test]
#[ignore = "needs an XRootD server (.ci/xrootd_start.sh, as root: the test restarts it)"]
fn a_data_server_stopped_and_restarted_mid_run_is_survived() {
    let tmp = common::tmpdir("remote", "restart");
    let local = tmp.join("local");
    let args = ["-c", "100", "-e", "iterative"];
    common::run_ok(
        "examples/zmumu/analysis.yaml",
        local.to_str().unwrap(),
        &args,
    );
    let want = common::numbers(&local);
    // the spare server running (a previous test may have left it stopped)
    let start = std::process::Command::new(common::root().join(".ci/xrootd_start.sh"))
        .output()
        .unwrap();
    assert!(
        start.status.success(),
        "{}",
        String::from_utf8_lossy(&start.stderr)
    );
    let (sub, published) = publish("restart");
    // the spare server: no other test reads from it
    let cfg = config_at(&tmp, &format!("{}/{sub}", var("CORTADO_TEST_XROOTD_SPARE")));
    let out = tmp.join("remote");
    let t0 = std::time::Instant::now();
    let mut child = common::spawn_run(cfg.to_str().unwrap(), out.to_str().unwrap(), &args, true);
    // stop the data server while the run reads, restart it a second later
    std::thread::sleep(std::time::Duration::from_millis(300));
    let base = PathBuf::from(var("CORTADO_TEST_XROOTD_DIR"));
    let pid_file = base.parent().unwrap().join("spare/run/xrootd.pid");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let killed = std::process::Command::new("kill")
        .arg(pid.trim())
        .status()
        .unwrap();
    assert!(
        killed.success(),
        "the spare server (pid {pid}) was not running"
    );
    while Path::new(&format!("/proc/{}", pid.trim())).exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let stopped_after = t0.elapsed();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let restart = std::process::Command::new(common::root().join(".ci/xrootd_start.sh"))
        .output()
        .unwrap();
    assert!(
        restart.status.success(),
        "{}",
        String::from_utf8_lossy(&restart.stderr)
    );
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "the run failed:\n{err}");
    // the run was still reading when the server went away
    assert!(
        t0.elapsed() > stopped_after + std::time::Duration::from_millis(900),
        "the run ended before the server came back ({:?})",
        t0.elapsed()
    );
    assert!(
        common::numbers(&out) == want,
        "the output differs from the local run's"
    );
    std::fs::remove_dir_all(published).unwrap();
    std::fs::remove_dir_all(tmp).ok();
}
