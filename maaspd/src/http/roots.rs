//! The CA certificates a client checks a BMC's certificate against when the operator
//! asks: the system's, found by rustls-native-certs as OpenSSL finds them
//! (`SSL_CERT_FILE`, `SSL_CERT_DIR`, then the distribution's bundle), read once per
//! process.

use std::sync::OnceLock;

use ureq::tls::{Certificate, RootCerts};

use crate::{Error, Result};

/// The system's CA certificates, or a `settingsError` naming `setting` (the setting that
/// asked for verification) when none is usable. The result is the process's: the files
/// are read on first use only.
pub(super) fn system(setting: &str) -> Result<RootCerts> {
    static ROOTS: OnceLock<std::result::Result<RootCerts, String>> = OnceLock::new();
    ROOTS
        .get_or_init(load)
        .clone()
        .map_err(|why| Error::settings(format!("{setting} asks to check certificates, but {why}")))
}

fn load() -> std::result::Result<RootCerts, String> {
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        let why = match found.errors.first() {
            Some(error) => error.to_string(),
            None => "no CA certificate was found".to_owned(),
        };
        let variables = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
            .into_iter()
            .filter_map(|name| Some(format!("{name}={}", std::env::var(name).ok()?)))
            .collect::<Vec<_>>();
        let place = if variables.is_empty() {
            "the system's CA certificate store".to_owned()
        } else {
            variables.join(" and ")
        };
        return Err(format!(
            "{place} holds no PEM certificate it can use ({why})"
        ));
    }
    let certs: Vec<Certificate<'static>> = found
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    Ok(RootCerts::new_with_certs(&certs))
}
