//! Property tests: arbitrary bytes and arbitrary JSON fed to the CLI's input parser and
//! to the service's request handler, for every action of every test driver, through
//! `maaspd::testing`. Each answer must be one well-formed document carrying one of the
//! protocol's error codes, never a panic, and never the password the input held. Two
//! plain tests guard the generators: they must keep reaching the drivers' actions, not
//! only the parse errors.
//!
//! Each property runs proptest's default of 256 cases; the dedicated run sets more:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release -p maaspd --test fuzz
//! ```

mod cli;
mod drivers;
mod sentinel;
#[cfg(feature = "service")]
mod service;
mod strategies;
