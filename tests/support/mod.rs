//! Running the driver binaries (the drivers of `drivers/`, the examples and fixtures), for the tests that treat them as MAAS does.

#![allow(dead_code)] // each test file uses its own part of this module

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// What a driver run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The repository's root, where `tests/e2e/fixtures` and `target/` are, from whichever
/// package's tests include this module.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("tests/e2e/fixtures").is_dir())
        .expect("the repository holds tests/e2e/fixtures")
}

/// The names of the files of `dir` (under the repository's root) that end in `suffix`,
/// without it, sorted.
fn names_in(dir: &str, suffix: &str) -> Vec<String> {
    let entries = std::fs::read_dir(repo_root().join(dir))
        .unwrap_or_else(|error| panic!("cannot list {dir}: {error}"));
    let mut names: Vec<String> = entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_suffix(suffix)?.to_owned())
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "nothing in {dir}");
    names
}

/// The drivers of `drivers/`, each a crate whose binary is `maaspd-NAME`, read from the
/// tree: a new one is built, found and checked without being listed anywhere.
pub fn drivers() -> Vec<String> {
    names_in("drivers", "")
        .into_iter()
        .filter(|name| {
            repo_root()
                .join("drivers")
                .join(name)
                .join("Cargo.toml")
                .is_file()
        })
        .collect()
}

/// Every driver binary, by name: the examples of `examples/`, the fixture chassis (every
/// kind of setting and action) and the drivers of `drivers/`.
pub fn every_binary() -> Vec<String> {
    let mut all = names_in("examples", ".rs");
    all.push("fixture-chassis".to_owned());
    all.extend(drivers());
    all
}

/// The path of a driver binary: a driver of `drivers/` (`maaspd-NAME`) or an example of
/// the root package (`examples/`, `tests/fixtures/`), built now if this test run has not
/// built it yet: `cargo test` builds them all, but `cargo test --test NAME` does not,
/// and a stale binary would be tested silently.
pub fn example(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let driver = repo_root()
        .join("drivers")
        .join(name)
        .join("Cargo.toml")
        .is_file();
    let (package, kind, binary) = if driver {
        let binary = format!("maaspd-{name}");
        (binary.clone(), "--bin", binary)
    } else {
        ("maaspd-examples".to_owned(), "--example", name.to_owned())
    };
    // target/debug/deps/<this test> -> target/debug/[examples/]<binary>
    let mut path = std::env::current_exe().expect("the test binary's path");
    path.pop();
    path.pop();
    if !driver {
        path.push("examples");
    }
    path.push(&binary);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !built.iter().any(|done| done == name) {
        let mut cargo = Command::new(env!("CARGO"));
        // Without the variables cargo sets for this test (CARGO_MANIFEST_DIR, CARGO_PKG_*,
        // ...): build scripts that watch them (ring's) would see them change, and rebuild
        // here and again at the next `cargo test`.
        for (variable, _) in std::env::vars_os() {
            let variable = variable.to_string_lossy();
            let set_for_this_test = ["CARGO_MANIFEST_", "CARGO_PKG_", "CARGO_CRATE_"]
                .iter()
                .any(|prefix| variable.starts_with(prefix))
                || [
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                ]
                .contains(&&*variable);
            if set_for_this_test {
                cargo.env_remove(&*variable);
            }
        }
        let status = cargo
            .args(["build", "--quiet", "-p", &package, kind, &binary])
            .current_dir(repo_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building {binary} failed");
        built.push(name.to_owned());
    }
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// Runs `binary` with `args`, `stdin` on its standard input, and RUST_BACKTRACE set, so
/// that a backtrace would show if anything panicked unguarded.
pub fn run(binary: &PathBuf, args: &[&str], stdin: &[u8]) -> Run {
    run_with_env(binary, args, stdin, &[])
}

/// [`run`] with variables set (or, with `None`, removed) on top of this process's
/// environment.
pub fn run_with_env(
    binary: &PathBuf,
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, Option<&OsStr>)],
) -> Run {
    let mut command = Command::new(binary);
    command
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let mut child = command.spawn().expect("the driver starts");
    // A driver that does not read its input closes the pipe: that is not an error here.
    let _ = child.stdin.take().expect("piped stdin").write_all(stdin);
    let output = child.wait_with_output().expect("the driver ends");
    Run {
        status: output.status.code().expect("the driver exits, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}
