//! The password every generated `power_pass` holds: no answer may contain it.

pub const SENTINEL: &str = "fuzz-S3NT1NEL-pa55w0rd";

/// Whether `output` shows the password.
pub fn leaks(output: &[u8]) -> bool {
    output
        .windows(SENTINEL.len())
        .any(|window| window == SENTINEL.as_bytes())
}
