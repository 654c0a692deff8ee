//! ServiceAccount tokens: bound JWTs signed by kubemock (ES256, a P-256 key
//! generated at start), with the claims of a real bound token
//! (`pkg/serviceaccount/claims.go`: `iss`, `sub`, `aud`, `exp`, `iat`, `nbf`,
//! `jti`, `kubernetes.io{namespace, serviceaccount, pod|secret|node}`) and
//! their verification (`pkg/serviceaccount/jwt.go` `Validate`: signature,
//! issuer, audience, expiry). Whether the service account and the bound
//! object still exist is the authenticator's check (it reads the store).
//!
//! Signing uses the `jsonwebtoken` crate (9.x, on `ring` as rustls here).
//! kube-apiserver signs with RS256 by default; ES256 is one of the
//! algorithms it accepts (`--service-account-signing-key-file` may be an
//! ECDSA key), and ring cannot generate RSA keys.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The issuer and default audience of tokens (kind's and kubeadm's
/// `--service-account-issuer`).
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// A name and uid inside the `kubernetes.io` claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ref {
    /// Name.
    pub name: String,
    /// UID.
    pub uid: String,
}

/// The private `kubernetes.io` claim.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesClaims {
    /// The service account's namespace.
    pub namespace: String,
    /// Bound node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Ref>,
    /// Bound pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<Ref>,
    /// Bound secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Ref>,
    /// The service account.
    pub serviceaccount: Ref,
}

/// The claims of a bound service account token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Audiences.
    pub aud: Vec<String>,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Issuer.
    pub iss: String,
    /// Token id.
    #[serde(default)]
    pub jti: String,
    /// The Kubernetes claims.
    #[serde(rename = "kubernetes.io")]
    pub kubernetes: KubernetesClaims,
    /// Not before.
    pub nbf: i64,
    /// `system:serviceaccount:<ns>:<name>`.
    pub sub: String,
}

/// Signs and verifies tokens with one key.
pub struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).finish()
    }
}

impl Signer {
    /// A signer with a fresh P-256 key.
    pub fn generate() -> anyhow::Result<Signer> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let public = key.public_key_raw().to_vec();
        use base64::Engine;
        use sha2::Digest;
        // The real key id: base64url of the SHA-256 of the public key.
        let kid = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(
            rcgen::PublicKeyData::subject_public_key_info(&key),
        ));
        Ok(Signer {
            encoding: EncodingKey::from_ec_der(&key.serialize_der()),
            decoding: DecodingKey::from_ec_der(&public),
            kid,
        })
    }

    /// The signed token.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }

    /// The claims of a token this signer signed for `audience`, unexpired
    /// at `now` (Unix seconds); the error says why not.
    pub fn verify(&self, token: &str, audience: &str, now: i64) -> Result<Claims, String> {
        let mut v = Validation::new(Algorithm::ES256);
        v.set_audience(&[audience]);
        v.set_issuer(&[ISSUER]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below against `now` (the crate reads the clock).
        v.validate_exp = false;
        v.validate_nbf = false;
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &v).map_err(|e| e.to_string())?;
        let c = data.claims;
        // UNVERIFIED: the real validator allows a 60 s skew on nbf and none on exp.
        if now >= c.exp {
            return Err("service account token has expired".into());
        }
        if c.nbf > now + 60 {
            return Err("service account token is not valid yet".into());
        }
        Ok(c)
    }
}

/// Whether a bearer token looks like a JWT (three base64url parts).
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("eyJ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            aud: vec![ISSUER.into()],
            exp,
            iat: 1000,
            iss: ISSUER.into(),
            jti: "j".into(),
            kubernetes: KubernetesClaims {
                namespace: "ns".into(),
                serviceaccount: Ref {
                    name: "sa".into(),
                    uid: "u".into(),
                },
                ..Default::default()
            },
            nbf: 1000,
            sub: "system:serviceaccount:ns:sa".into(),
        }
    }

    #[test]
    fn round_trip_expiry_audience_and_foreign_keys() {
        let s = Signer::generate().expect("key");
        let t = s.sign(&claims(5000)).expect("sign");
        assert!(looks_like_jwt(&t));
        assert_eq!(s.verify(&t, ISSUER, 2000).expect("valid"), claims(5000));
        assert_eq!(
            s.verify(&t, ISSUER, 5000).expect_err("expired"),
            "service account token has expired"
        );
        assert!(s.verify(&t, "other-audience", 2000).is_err());
        let foreign = Signer::generate().expect("key");
        assert!(foreign.verify(&t, ISSUER, 2000).is_err());
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged_payload = {
            use base64::Engine;
            let mut c = claims(5000);
            c.sub = "system:serviceaccount:ns:admin".into();
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&c).expect("json"))
        };
        parts[1] = &forged_payload;
        assert!(s.verify(&parts.join("."), ISSUER, 2000).is_err());
    }
}
