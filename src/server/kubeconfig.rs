//! The kubeconfig kubemock writes once it accepts connections: one cluster,
//! one user, one context (namespace `default`), written atomically
//! (temporary file in the same directory, then rename).

use anyhow::{Context, Result};
use base64::Engine;
use std::path::Path;

/// Name of the cluster, user and context.
pub const NAME: &str = "kubemock";

/// The kubeconfig text for a server at `url`.
/// `ca_pem`: trusted CA (TLS); `token`: bearer token (auth on).
pub fn render(url: &str, ca_pem: Option<&str>, token: Option<&str>) -> String {
    let mut out = String::new();
    out.push_str("apiVersion: v1\nkind: Config\n");
    if ca_pem.is_none() {
        out.push_str("# kubemock --insecure-http: plain http, authentication off\n");
    }
    out.push_str("clusters:\n- name: kubemock\n  cluster:\n");
    out.push_str(&format!("    server: {url}\n"));
    if let Some(ca) = ca_pem {
        let data = base64::engine::general_purpose::STANDARD.encode(ca.as_bytes());
        out.push_str(&format!("    certificate-authority-data: {data}\n"));
    }
    out.push_str("users:\n- name: kubemock\n");
    match token {
        Some(t) => out.push_str(&format!("  user:\n    token: {t}\n")),
        None => out.push_str("  user: {}\n"),
    }
    out.push_str(
        "contexts:\n- name: kubemock\n  context:\n    cluster: kubemock\n    user: kubemock\n    namespace: default\ncurrent-context: kubemock\n",
    );
    out
}

/// A kubeconfig authenticating with a client certificate (`--user`).
pub fn render_client_cert(url: &str, ca_pem: &str, cert_pem: &str, key_pem: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: kubemock\n  cluster:\n    server: {url}\n    certificate-authority-data: {}\nusers:\n- name: kubemock\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\ncontexts:\n- name: kubemock\n  context:\n    cluster: kubemock\n    user: kubemock\n    namespace: default\ncurrent-context: kubemock\n",
        b64(ca_pem),
        b64(cert_pem),
        b64(key_pem)
    )
}

/// Where a `--user`'s kubeconfig goes: beside the admin one, named
/// `<file>-<user>` (characters other than `[A-Za-z0-9._-]` as `_`).
pub fn user_path(admin: &Path, user: &str) -> std::path::PathBuf {
    let safe: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let file = admin
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kubeconfig".into());
    admin.with_file_name(format!("{file}-{safe}"))
}

/// Writes `text` to `path` atomically.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::env::current_dir()?,
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_parses_as_yaml() {
        let text = render("https://127.0.0.1:1234", Some("PEM"), Some("tok"));
        let v: serde_yaml::Value = serde_yaml::from_str(&text).expect("yaml");
        assert_eq!(
            v["clusters"][0]["cluster"]["server"],
            "https://127.0.0.1:1234"
        );
        assert_eq!(v["users"][0]["user"]["token"], "tok");
        assert_eq!(v["contexts"][0]["context"]["namespace"], "default");
        assert_eq!(v["current-context"], "kubemock");
        let plain = render("http://127.0.0.1:1", None, None);
        let v: serde_yaml::Value = serde_yaml::from_str(&plain).expect("yaml");
        assert!(v["clusters"][0]["cluster"]["certificate-authority-data"].is_null());
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub").join("kc");
        write_atomic(&p, "a").expect("write");
        write_atomic(&p, "b").expect("write");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "b");
    }
}
