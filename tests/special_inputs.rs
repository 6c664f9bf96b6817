//! Inputs that are not regular files (a directory, a FIFO) are refused at
//! once with one clear message — a FIFO used to block `open` forever, and
//! I/O errors were printed twice in one message.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cortado inspect PATH`; fails the test (rather than hanging) when it
/// does not finish within 20 seconds. Returns (success, standard error).
fn inspect(path: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args(["inspect", path])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > Duration::from_secs(20) {
            child.kill().ok();
            child.wait().ok();
            panic!("cortado inspect {path} did not finish in 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.success(), err)
}

#[test]
fn a_directory_a_fifo_and_a_missing_file_give_one_clear_message() {
    let dir = common::tmpdir("special", "inputs");
    let adir = dir.join("adir.root");
    std::fs::create_dir_all(&adir).unwrap();
    let (ok, err) = inspect(adir.to_str().unwrap());
    assert!(!ok);
    assert!(
        err.contains("adir.root: is a directory, not a regular file"),
        "{err}"
    );
    assert_eq!(err.matches("directory").count(), 1, "repeated: {err}");

    let fifo = dir.join("pipe.root");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let (ok, err) = inspect(fifo.to_str().unwrap());
    assert!(!ok);
    assert!(err.contains("pipe.root: is a FIFO (named pipe)"), "{err}");

    let missing = dir.join("missing.root");
    let (ok, err) = inspect(missing.to_str().unwrap());
    assert!(!ok);
    assert!(err.contains("missing.root: open: "), "{err}");
    assert_eq!(err.matches("os error 2").count(), 1, "repeated: {err}");
    std::fs::remove_dir_all(&dir).ok();
}
