//! TLS material: a fresh CA and a leaf certificate signed by it (CA:FALSE,
//! SAN IP 127.0.0.1 and DNS localhost), generated with rcgen at start, or a
//! certificate and key brought from files. rustls (kube-rs) rejects a leaf
//! that is its own CA, hence two certificates.
//!
//! The acceptor asks for an optional client certificate: one signed by the
//! client CA (the generated CA; with brought certificates a CA of its own)
//! authenticates its connection as CN = user, O = groups (`crate::auth::x509`).

use crate::auth::x509::ClientCa;
use anyhow::{anyhow, Context, Result};
use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// The certificates the server presents and the CA clients trust.
#[derive(Debug, Clone)]
pub struct TlsMaterial {
    /// PEM of the CA to put in `certificate-authority-data` (for brought
    /// certificates: the chain's last certificate).
    pub ca_pem: String,
    /// The certificate chain, leaf first.
    pub chain_pem: String,
    /// The leaf's private key (PEM).
    pub key_pem: String,
    /// The CA that signs (and verifies) client certificates.
    pub client_ca: Arc<ClientCa>,
}

impl TlsMaterial {
    /// A fresh CA and leaf for 127.0.0.1 / localhost.
    pub fn generate() -> Result<TlsMaterial> {
        let ca = ClientCa::new(
            crate::auth::x509::ca_params("kubemock-ca")?,
            KeyPair::generate()?,
        )?;

        let mut leaf =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
        leaf.is_ca = IsCa::ExplicitNoCa;
        leaf.distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = KeyPair::generate()?;
        let leaf_cert = ca.sign(&leaf, &leaf_key)?;
        Ok(TlsMaterial {
            ca_pem: ca.cert_pem.clone(),
            chain_pem: leaf_cert,
            key_pem: leaf_key.serialize_pem(),
            client_ca: Arc::new(ca),
        })
    }

    /// A certificate chain and key from PEM files.
    pub fn from_files(cert: &Path, key: &Path) -> Result<TlsMaterial> {
        let chain_pem =
            std::fs::read_to_string(cert).with_context(|| format!("reading {}", cert.display()))?;
        let key_pem =
            std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?;
        let certs = parse_certs(&chain_pem)?;
        let last = certs
            .last()
            .ok_or_else(|| anyhow!("{}: no certificate", cert.display()))?;
        let ca_pem = pem_encode("CERTIFICATE", last);
        Ok(TlsMaterial {
            ca_pem,
            chain_pem,
            key_pem,
            client_ca: Arc::new(ClientCa::generate()?),
        })
    }

    /// The rustls server configuration (HTTP/2 and HTTP/1.1 over ALPN).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>> {
        let certs = parse_certs(&self.chain_pem)?;
        let key = PrivateKeyDer::from_pem_slice_compat(self.key_pem.as_bytes())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for c in parse_certs(&self.client_ca.cert_pem)? {
            roots.add(c).context("client CA")?;
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::clone(&provider),
        )
        .allow_unauthenticated()
        .build()
        .context("client certificate verifier")?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .context("certificate and key do not match")?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// The user a connection's (verified) client certificate names.
pub fn peer_user(conn: &rustls::ServerConnection) -> Option<crate::auth::UserInfo> {
    let first = conn.peer_certificates()?.first()?;
    crate::auth::x509::identity(first)
}

trait FromPemCompat: Sized {
    fn from_pem_slice_compat(pem: &[u8]) -> Result<Self>;
}

impl FromPemCompat for PrivateKeyDer<'static> {
    fn from_pem_slice_compat(pem: &[u8]) -> Result<Self> {
        let mut reader = std::io::BufReader::new(pem);
        rustls_pemfile::private_key(&mut reader)?.ok_or_else(|| anyhow!("no private key in PEM"))
    }
}

fn parse_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    let mut reader = std::io::BufReader::new(pem.as_bytes());
    let certs = rustls_pemfile::certs(&mut reader).collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(anyhow!("no certificate in PEM"));
    }
    Ok(certs)
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_material_builds_a_server_config() {
        let m = TlsMaterial::generate().expect("generate");
        assert!(m.ca_pem.contains("BEGIN CERTIFICATE"));
        assert_ne!(m.ca_pem, m.chain_pem);
        m.server_config().expect("config");
    }

    #[test]
    fn files_round_trip() {
        let m = TlsMaterial::generate().expect("generate");
        let dir = tempfile::tempdir().expect("tempdir");
        let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&c, &m.chain_pem).expect("write");
        std::fs::write(&k, &m.key_pem).expect("write");
        let back = TlsMaterial::from_files(&c, &k).expect("load");
        assert_eq!(
            parse_certs(&back.ca_pem).expect("ca"),
            parse_certs(&m.chain_pem).expect("leaf")
        );
        back.server_config().expect("config");
        assert!(TlsMaterial::from_files(&k, &k).is_err());
    }
}
