//! `--tls`: STARTTLS (RFC 3207) on the SMTP and submission services, with a real TLS
//! handshake (rustls) over the same sockets. The certificate is made when the server starts,
//! self-signed, for the server's name, `localhost` and the loopback addresses: a client that
//! checks certificates is given it with `--tls-cert FILE` (curl's `--cacert FILE`, Python's
//! `ssl.create_default_context(cafile=FILE)`), one that does not (swaks, smtplib's
//! `starttls()` without a context) takes it as it is. A new key every start: nothing secret
//! is ever written to disk.

use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// What the server proves itself with.
pub struct Identity {
    pub config: Arc<rustls::ServerConfig>,
    /// The certificate, PEM-encoded, for `--tls-cert`.
    pub pem: String,
    /// The SHA-256 fingerprint of the certificate, as `AB:CD:…`, printed at start.
    pub fingerprint: String,
}

/// A fresh self-signed certificate (ECDSA P-256) for `hostname`, `localhost`, 127.0.0.1
/// and ::1, and the TLS server configuration that presents it: TLS 1.2 and 1.3, ring's
/// cipher suites, no client certificates.
pub fn self_signed(hostname: &str) -> Result<Identity, String> {
    let made = || -> Result<_, rcgen::Error> {
        let names = [hostname, "localhost", "127.0.0.1", "::1"].map(str::to_string);
        let mut params = rcgen::CertificateParams::new(names)?;
        // What a client shows of it (swaks's "peer DN", a mail program's warning).
        params.distinguished_name.push(rcgen::DnType::CommonName, hostname);
        params.distinguished_name.push(rcgen::DnType::OrganizationName, "Mailroom (a simulated server)");
        let key = rcgen::KeyPair::generate()?;
        Ok((params.self_signed(&key)?, key))
    };
    let (cert, signing_key) = made().map_err(|e| format!("cannot make a certificate: {e}"))?;
    let der = cert.der().clone();
    let fingerprint = ring::digest::digest(&ring::digest::SHA256, &der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(vec![der], key))
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    Ok(Identity { config: Arc::new(config), pem: cert.pem(), fingerprint })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::pem::PemObject;

    /// The certificate names the server as clients reach it, and every start makes a new one.
    #[test]
    fn a_fresh_certificate_for_the_server_and_loopback() {
        let a = self_signed("mail.example.net").unwrap();
        let b = self_signed("mail.example.net").unwrap();
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_eq!(a.fingerprint.len(), 32 * 3 - 1);
        assert!(a.pem.starts_with("-----BEGIN CERTIFICATE-----"), "{}", a.pem);
        // A client checking the certificate for each name accepts it.
        let der = rustls::pki_types::CertificateDer::from_pem_slice(a.pem.as_bytes()).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
        let now = rustls::pki_types::UnixTime::now();
        for name in ["mail.example.net", "localhost", "127.0.0.1", "::1"] {
            let name = rustls::pki_types::ServerName::try_from(name).unwrap();
            assert!(verifier.verify_server_cert(&der, &[], &name, &[], now).is_ok(), "{name:?}");
        }
        let other = rustls::pki_types::ServerName::try_from("mail.example.org").unwrap();
        assert!(verifier.verify_server_cert(&der, &[], &other, &[], now).is_err());
    }
}
