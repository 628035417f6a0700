//! Every compile error `#[power_driver]` and `#[parameters]` report, with the compiler's
//! full output checked in beside each case (`tests/ui/fail/*.stderr`).
//!
//! trybuild also runs each pass case, without arguments: a generated `main` would exit
//! with a usage error, so pass cases use `main = false` and check the driver in-process.
//!
//! `tests/ui/snmp` holds `maaspd::snmp::outlet_settings!`'s mistakes, run when the
//! `snmp` feature is on (as in the workspace's test run, where the PDU drivers enable it).
//!
//! After a deliberate change to a message: `TRYBUILD=overwrite cargo test --test ui`,
//! then read the diff of the `.stderr` files.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
    // The toolkit's macros, with the features that bring them.
    #[cfg(feature = "snmp")]
    cases.compile_fail("tests/ui/snmp/*.rs");
}
