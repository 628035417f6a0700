//! A TLS client certificate, which a client presents to a BMC that asks for one (LXD
//! knows its clients by theirs): the certificate and its private key read from PEM and
//! checked against each other before any connection, so that bad material is a
//! `settingsError` naming the setting, and never a failure deep inside TLS.

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, parse_pem};

use crate::{Error, Result, Secret};

/// A certificate chain and its key, ready for ureq, and the chain's identity.
pub(super) struct Identity {
    pub(super) cert: ClientCert,
    /// The chain's DER in base64: public, and what tells two identities' connection
    /// pools apart (the key belongs to the certificate, so it adds nothing, and it is
    /// never part of a pool's name).
    pub(super) id: String,
}

/// `cert_pem` (the certificate first, then any intermediates) with `key` (PEM: PKCS#8,
/// PKCS#1 RSA or SEC1 EC), or a `settingsError` naming `cert_setting` or `key_setting`.
/// No message quotes the key.
pub(super) fn identity(
    cert_pem: &str,
    cert_setting: &str,
    key: &Secret,
    key_setting: &str,
) -> Result<Identity> {
    let bad_cert = |why: &str| Error::settings(format!("driverParameters.{cert_setting}: {why}"));
    let bad_key = |why: &str| Error::settings(format!("driverParameters.{key_setting}: {why}"));
    let mut chain: Vec<Certificate<'static>> = Vec::new();
    for item in parse_pem(cert_pem.as_bytes()) {
        match item {
            Ok(PemItem::Certificate(cert)) => chain.push(cert),
            Ok(_) => {}
            Err(_) => return Err(bad_cert("not readable as PEM")),
        }
    }
    if chain.is_empty() {
        return Err(bad_cert(
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        ));
    }
    // Only the key's own items are looked at; what the parser says of the text is not
    // repeated, as it might quote it.
    let mut keys = parse_pem(key.expose().as_bytes()).filter_map(|item| match item {
        Ok(PemItem::PrivateKey(key)) => Some(Ok(key)),
        Ok(_) => None,
        Err(_) => Some(Err(())),
    });
    let private: PrivateKey<'static> = match keys.next() {
        Some(Ok(private)) => private,
        Some(Err(())) => return Err(bad_key("not readable as PEM")),
        None => {
            return Err(bad_key(
                "holds no PEM private key (-----BEGIN PRIVATE KEY-----, or an RSA or EC key)",
            ));
        }
    };
    // ureq gives rustls the pair when it first connects, and panics if rustls refuses
    // it: the same check here makes that a settings error.
    let Ok(der) = PrivateKeyDer::from_pem_slice(key.expose().as_bytes()) else {
        return Err(bad_key("not readable as PEM"));
    };
    let ders: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|cert| CertificateDer::from(cert.der().to_vec()))
        .collect();
    let provider = rustls::crypto::ring::default_provider();
    match rustls::sign::CertifiedKey::from_der(ders, der, &provider) {
        Ok(_) => {}
        Err(rustls::Error::InconsistentKeys(_)) => {
            return Err(bad_key(&format!(
                "not the private key of the certificate in driverParameters.{cert_setting}"
            )));
        }
        Err(_) => {
            return Err(bad_key(
                "not a private key TLS can sign with here (RSA, ECDSA P-256 or P-384, or \
                 Ed25519)",
            ));
        }
    }
    use base64::Engine as _;
    let id = chain
        .iter()
        .map(|cert| base64::engine::general_purpose::STANDARD.encode(cert.der()))
        .collect::<Vec<_>>()
        .join(",");
    Ok(Identity {
        cert: ClientCert::new_with_certs(&chain, private),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    // A throwaway self-signed pair (ECDSA P-384, as LXD's own clients make), and a second
    // certificate with another key, made for these tests only.
    const CERT: &str = concat!(
        "-----BEGIN CERTIFICATE-----\n",
        "MIIBxDCCAUqgAwIBAgIUB0pDYZxgyr0oQavSD2od6qKxQH0wCgYIKoZIzj0EAwIw\n",
        "GDEWMBQGA1UEAwwNbWFhc3BkLXRlc3QtYTAgFw0yNjExMzAwMzIzMTdaGA8yMTI2\n",
        "MTEwNjAzMjMxN1owGDEWMBQGA1UEAwwNbWFhc3BkLXRlc3QtYTB2MBAGByqGSM49\n",
        "AgEGBSuBBAAiA2IABGabVDSHtZMyNKJMRhlvC1jV9kUWo8yX/0G8lQIieGFabXxo\n",
        "Wuf6+RkhH2V9s0lp1LD/bj9O+5j6hySJClU93fifOxE4uUg0VBHlRA4h0oppo9Sf\n",
        "JpYZivZU0HZE98Ii+KNTMFEwHQYDVR0OBBYEFL6yg5gx0VyQwmGg+N4aXzghN9II\n",
        "MB8GA1UdIwQYMBaAFL6yg5gx0VyQwmGg+N4aXzghN9IIMA8GA1UdEwEB/wQFMAMB\n",
        "Af8wCgYIKoZIzj0EAwIDaAAwZQIxAK6WnZ/6dhunWbca9w3aoDYPtpFZ9zL/rYg7\n",
        "I7XZHIIWwUfaa2p5m+8hKCQHRdfN+gIwZHvwEMa8Hd8ERMjpHfQjYY5dT0fg7zZi\n",
        "BY/xQ0lXxXuYIt8fedK4bhqezU1zRET2\n",
        "-----END CERTIFICATE-----\n"
    );
    const KEY: &str = concat!(
        "-----BEGIN PRIVATE KEY-----\n",
        "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBlaQOxkVrffvXBCTmY\n",
        "nHSj1yifffVCCJFpnd0C4SCxEM58Lx9IIxomP2Oq8vAU2FahZANiAARmm1Q0h7WT\n",
        "MjSiTEYZbwtY1fZFFqPMl/9BvJUCInhhWm18aFrn+vkZIR9lfbNJadSw/24/TvuY\n",
        "+ockiQpVPd34nzsROLlINFQR5UQOIdKKaaPUnyaWGYr2VNB2RPfCIvg=\n",
        "-----END PRIVATE KEY-----\n"
    );
    const OTHER_CERT: &str = concat!(
        "-----BEGIN CERTIFICATE-----\n",
        "MIIBxDCCAUqgAwIBAgIUSp355a9sWBWNXg7zMpzBFxa2TmcwCgYIKoZIzj0EAwIw\n",
        "GDEWMBQGA1UEAwwNbWFhc3BkLXRlc3QtYjAgFw0yNjExMzAwMzIzMTdaGA8yMTI2\n",
        "MTEwNjAzMjMxN1owGDEWMBQGA1UEAwwNbWFhc3BkLXRlc3QtYjB2MBAGByqGSM49\n",
        "AgEGBSuBBAAiA2IABDe0u8UEyaYsAH0/GbOzWumaR9FFooCwYNCRzBuScxJjQVJz\n",
        "bZxH3tWqFNXBIuQ9oRhx5RJK93dDwTn9ic/Ml2AJ21nQMan05S5x8fXd1HrkXiAH\n",
        "0U4Y203TG3U9Z5VlpqNTMFEwHQYDVR0OBBYEFOBJ8lnmPRdk77XE+Zyh3LB/UB+G\n",
        "MB8GA1UdIwQYMBaAFOBJ8lnmPRdk77XE+Zyh3LB/UB+GMA8GA1UdEwEB/wQFMAMB\n",
        "Af8wCgYIKoZIzj0EAwIDaAAwZQIwFpYeAUUjNUuy/E33l4jRu4URpBr2hbIn4ydn\n",
        "SnASL6gAT9Vsxhp+3L4SP1cA1defAjEA8URvyEJRnMiz3kWC7BAYxNbRqpca1Oo6\n",
        "WoIWg0wyC0t0fV857I+UZmRdfQKqgZWE\n",
        "-----END CERTIFICATE-----\n"
    );

    fn message(result: Result<Identity>) -> (ErrorCode, String) {
        let error = result.err().expect("refused");
        (error.code(), error.message().to_owned())
    }

    #[test]
    fn a_certificate_with_its_key_is_an_identity_named_by_the_certificate_alone() {
        let identity = identity(CERT, "certificate", &Secret::new(KEY), "key").unwrap();
        let body: String = KEY
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        assert!(!identity.id.contains(&body));
        assert!(!identity.id.is_empty());
        let other = identity_of(OTHER_CERT);
        assert_ne!(identity.id, other);
    }

    /// The identity `cert` would have, whatever its key (the check refuses a wrong one,
    /// so this computes it the same way).
    fn identity_of(cert: &str) -> String {
        use base64::Engine as _;
        let Some(Ok(PemItem::Certificate(cert))) = parse_pem(cert.as_bytes()).next() else {
            panic!("a certificate")
        };
        base64::engine::general_purpose::STANDARD.encode(cert.der())
    }

    #[test]
    fn a_key_of_another_certificate_is_a_settings_error_naming_both_and_quoting_neither() {
        let (code, text) = message(identity(
            OTHER_CERT,
            "certificate",
            &Secret::new(KEY),
            "key",
        ));
        assert_eq!(code, ErrorCode::Settings);
        assert_eq!(
            text,
            "driverParameters.key: not the private key of the certificate in \
             driverParameters.certificate"
        );
    }

    #[test]
    fn text_that_is_no_certificate_or_no_key_is_a_settings_error_naming_the_setting() {
        let (code, text) = message(identity("garbage", "certificate", &Secret::new(KEY), "key"));
        assert_eq!(code, ErrorCode::Settings);
        assert!(
            text.starts_with("driverParameters.certificate: holds no PEM certificate"),
            "{text}"
        );
        let sentinel = "Sentinel-Key-5f3a";
        for key in [
            sentinel.to_owned(),
            format!("-----BEGIN PRIVATE KEY-----\n{sentinel}\n-----END PRIVATE KEY-----\n"),
            format!("-----BEGIN PRIVATE KEY-----\nMIG2{sentinel}\n"),
            CERT.to_owned(),
        ] {
            let (code, text) = message(identity(CERT, "certificate", &Secret::new(key), "key"));
            assert_eq!(code, ErrorCode::Settings);
            assert!(text.starts_with("driverParameters.key: "), "{text}");
            assert!(!text.contains(sentinel), "{text}");
        }
    }
}
