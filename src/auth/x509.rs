//! Client certificates: the CA kubemock signs them with, issuing one per
//! `--user`, and the user a verified certificate names (CN = user name,
//! O = groups), as `staging/src/k8s.io/apiserver/pkg/authentication/request/x509/x509.go`
//! `CommonNameUserConversion` does. The TLS acceptor verifies the chain
//! (`server::tls`); this module only reads the subject.

use super::user::UserInfo;
use anyhow::Result;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// Groups a client certificate issued by kubemock can carry.
pub const MAX_GROUPS: usize = 2;

/// A CA whose certificates authenticate clients.
pub struct ClientCa {
    /// The CA certificate (PEM).
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for ClientCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCa").finish_non_exhaustive()
    }
}

/// The parameters of a kubemock CA certificate.
pub fn ca_params(common_name: &str) -> Result<CertificateParams> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, common_name);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(ca)
}

impl ClientCa {
    /// A CA from its parameters and key (the server's generated CA).
    pub fn new(params: CertificateParams, key: KeyPair) -> Result<ClientCa> {
        let cert = params.self_signed(&key)?;
        Ok(ClientCa {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// A fresh CA of its own (when the server's certificate comes from files).
    pub fn generate() -> Result<ClientCa> {
        ClientCa::new(ca_params("kubemock-client-ca")?, KeyPair::generate()?)
    }

    /// Signs a certificate (PEM) for `params` and its key.
    pub fn sign(&self, params: &CertificateParams, key: &KeyPair) -> Result<String> {
        Ok(params.signed_by(key, &self.issuer)?.pem())
    }

    /// A client certificate and key (PEM) for a user: CN = name, one O per
    /// group. At most [`MAX_GROUPS`] groups: rcgen keeps one value per
    /// attribute type, so the second O is written under a custom type with
    /// the same OID (2.5.4.10).
    pub fn issue(&self, name: &str, groups: &[String]) -> Result<(String, String)> {
        if groups.len() > MAX_GROUPS {
            anyhow::bail!(
                "--user {name}: at most {MAX_GROUPS} groups per client certificate, got {}",
                groups.len()
            );
        }
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        p.is_ca = IsCa::ExplicitNoCa;
        let types = [
            DnType::OrganizationName,
            DnType::CustomDnType(vec![2, 5, 4, 10]),
        ];
        for (g, ty) in groups.iter().zip(types) {
            p.distinguished_name.push(ty, g.as_str());
        }
        p.distinguished_name.push(DnType::CommonName, name);
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate()?;
        let cert = p.signed_by(&key, &self.issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// The user a (verified) client certificate names: CN as the user name,
/// each O as a group; `None` without a CN.
pub fn identity(der: &[u8]) -> Option<UserInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let name = subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())?
        .to_string();
    if name.is_empty() {
        return None;
    }
    let groups = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok())
        .map(str::to_string)
        .collect();
    Some(UserInfo {
        name,
        groups,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_certificates_name_user_and_groups() {
        let ca = ClientCa::generate().expect("ca");
        let (cert, key) = ca
            .issue("alice", &["dev".to_string(), "ops".to_string()])
            .expect("issue");
        assert!(key.contains("PRIVATE KEY"));
        let der = rustls_pemfile::certs(&mut cert.as_bytes())
            .next()
            .expect("one")
            .expect("pem");
        let u = identity(&der).expect("identity");
        assert_eq!(u.name, "alice");
        assert_eq!(u.groups, vec!["dev", "ops"]);
        let three = ["a", "b", "c"].map(String::from);
        assert!(ca.issue("x", &three).is_err());
    }
}
