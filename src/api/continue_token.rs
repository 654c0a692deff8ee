//! Continue tokens for paginated lists, in the etcd3 storage's format
//! (`staging/src/k8s.io/apiserver/pkg/storage/continue.go`): base64url
//! without padding of `{"v":"meta.k8s.io/v1","rv":<int64>,"start":"<key>\u0000"}`,
//! where `<key>` is the last returned key relative to the list's prefix.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Token {
    v: String,
    rv: i64,
    start: String,
}

/// A decoded token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continue {
    /// The revision every page is served at (-1 after an expiry: "latest").
    pub rv: i64,
    /// The key to resume at (inclusive), relative to the list prefix.
    pub start: String,
}

/// Encodes a token that resumes after `last_key`.
pub fn encode(rv: i64, last_key: &str) -> String {
    let t = Token {
        v: "meta.k8s.io/v1".into(),
        rv,
        start: format!("{last_key}\u{0}"),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&t).unwrap_or_default())
}

/// Decodes a token; `Err` is the apiserver's 400 message.
pub fn decode(token: &str) -> Result<Continue, String> {
    let invalid = |why: &str| format!("invalid continue token: {why}");
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|e| invalid(&format!("continue key is not valid: {e}")))?;
    let t: Token = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(&format!("continue key is not valid: {e}")))?;
    if t.v != "meta.k8s.io/v1" {
        return Err(invalid("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"));
    }
    if t.start.is_empty() {
        return Err(invalid(
            "continue key is not valid: encoded start key empty",
        ));
    }
    if t.start.starts_with('/') || t.start.contains("/../") || t.start.starts_with("../") {
        return Err(invalid("continue key is not valid: path traversal"));
    }
    Ok(Continue {
        rv: t.rv,
        start: t.start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = encode(42, "ns/b");
        assert_eq!(
            decode(&t),
            Ok(Continue {
                rv: 42,
                start: "ns/b\u{0}".into()
            })
        );
    }

    #[test]
    fn garbage_is_a_400_message() {
        assert!(decode("!!!")
            .unwrap_err()
            .starts_with("invalid continue token: "));
    }
}
