//! A driver's one-shot CLI run read as MAAS reads it: its exit status and JSON document,
//! with the assertions the driver suites make of them.

#![allow(dead_code)] // each test file uses its own part of this module

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::{Run, run};

/// What one run printed and exited with, its document parsed.
#[derive(Debug)]
pub struct Outcome {
    pub status: i32,
    pub document: Value,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Runs `binary ACTION ARGS...` with `parameters` as `driverParameters`; `hidden` must
    /// show on neither stream (a secret the driver holds).
    pub fn of(
        binary: &PathBuf,
        action: &str,
        parameters: Value,
        args: &[&str],
        hidden: &str,
    ) -> Outcome {
        let input = json!({"driverParameters": parameters}).to_string();
        let mut all = vec![action];
        all.extend_from_slice(args);
        let outcome = Outcome::read(run(binary, &all, input.as_bytes()));
        outcome.keeps(hidden);
        outcome
    }

    /// A run's output, which must be one JSON document.
    pub fn read(run: Run) -> Outcome {
        let document = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {run:?}"));
        Outcome {
            status: run.status,
            document,
            stdout: run.stdout,
            stderr: run.stderr,
        }
    }

    /// Asserts success, and returns the document.
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 0, "{self:#?}");
        assert_eq!(self.document["error"], Value::Null, "{self:#?}");
        &self.document
    }

    /// Asserts success and returns the power state.
    pub fn state(&self) -> &str {
        self.ok()["data"]["status"].as_str().expect("a status")
    }

    /// Asserts the error `code` with each of `parts` in its message, and returns it.
    pub fn error(&self, code: &str, parts: &[&str]) -> String {
        assert_eq!(self.status, 1, "{self:#?}");
        assert_eq!(self.document["error"]["code"], code, "{self:#?}");
        let message = self.document["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        for part in parts {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
        message
    }

    /// Asserts that no output holds `secret`.
    pub fn keeps(&self, secret: &str) -> &Self {
        assert!(!self.stdout.contains(secret), "{secret:?} shows: {self:#?}");
        assert!(!self.stderr.contains(secret), "{secret:?} shows: {self:#?}");
        self
    }
}
