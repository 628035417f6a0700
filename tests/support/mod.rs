//! Running the example driver binaries, for the tests that treat them as MAAS does.

#![allow(dead_code)] // each test file uses its own part of this module

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What a driver run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The path of an example binary; `cargo test` builds the examples before the tests.
pub fn example(name: &str) -> PathBuf {
    // target/debug/deps/<this test> -> target/debug/examples/<name>
    let mut path = std::env::current_exe().expect("the test binary's path");
    path.pop();
    path.pop();
    path.push("examples");
    path.push(name);
    assert!(
        path.exists(),
        "{} is not built: run the tests with `cargo test`, which builds the examples",
        path.display()
    );
    path
}

/// Runs `binary` with `args`, `stdin` on its standard input, and RUST_BACKTRACE set, so
/// that a backtrace would show if anything panicked unguarded.
pub fn run(binary: &PathBuf, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(binary)
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the driver starts");
    // A driver that does not read its input closes the pipe: that is not an error here.
    let _ = child.stdin.take().expect("piped stdin").write_all(stdin);
    let output = child.wait_with_output().expect("the driver ends");
    Run {
        status: output.status.code().expect("the driver exits, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}
