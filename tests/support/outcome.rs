//! A driver's one-shot CLI run read as MAAS reads it: its exit status and JSON document,
//! with the assertions the driver suites make of them.

#![allow(dead_code)] // each test file uses its own part of this module

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::{Run, run};

/// What one run printed and exited with, its document parsed.
pub struct Outcome {
    pub run: Run,
    pub document: Value,
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
        let run = run(binary, &all, input.as_bytes());
        assert!(
            !run.stdout.contains(hidden) && !run.stderr.contains(hidden),
            "{hidden:?} shows:\n{}{}",
            run.stdout,
            run.stderr
        );
        let document = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
        Outcome { run, document }
    }

    /// Asserts success.
    pub fn ok(&self) {
        assert_eq!(self.run.status, 0, "{}{}", self.run.stdout, self.run.stderr);
        assert_eq!(self.document["error"], Value::Null);
    }

    /// Asserts success and returns the power state.
    pub fn state(&self) -> &str {
        self.ok();
        self.document["data"]["status"].as_str().expect("a status")
    }

    /// Asserts the error `code` with each of `parts` in its message, and returns it.
    pub fn error(&self, code: &str, parts: &[&str]) -> String {
        assert_eq!(self.run.status, 1, "{}{}", self.run.stdout, self.run.stderr);
        assert_eq!(self.document["error"]["code"], code, "{}", self.run.stdout);
        let message = self.document["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        for part in parts {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
        message
    }
}
