//! Fixtures: objects preloaded at start from files or directories (YAML or
//! JSON, multi-document, `kind: List` expanded). Every object goes through
//! the same create path as a `POST`, so it is defaulted and validated like
//! any client's object. The first bad document stops start-up with
//! `file:document: reason`; the server never starts half-loaded.

use crate::api::{self, ApiRequest, ApiState};
use crate::registry::ResourceDef;
use anyhow::{anyhow, bail, Result};
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One object to load, with where it came from.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// `file:document` (document numbers start at 1).
    pub origin: String,
    /// The object.
    pub object: Value,
}

/// Reads every fixture file under `paths` (directories: their `.yaml`,
/// `.yml` and `.json` files in name order, recursively).
pub fn read(paths: &[PathBuf]) -> Result<Vec<Fixture>> {
    let mut files = Vec::new();
    for p in paths {
        collect_files(p, &mut files)?;
    }
    let mut out = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| anyhow!("{}: {e}", file.display()))?;
        parse_documents(&file.display().to_string(), &text, &mut out)?;
    }
    Ok(out)
}

fn collect_files(p: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(p).map_err(|e| anyhow!("{}: {e}", p.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(|e| anyhow!("{}: {e}", p.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() {
                collect_files(&e, out)?;
            } else if matches!(
                e.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(e);
            }
        }
    } else {
        out.push(p.to_path_buf());
    }
    Ok(())
}

/// Splits a file's text into objects (YAML is a superset of JSON, so one
/// parser reads both). Empty documents are skipped but still counted.
pub fn parse_documents(file: &str, text: &str, out: &mut Vec<Fixture>) -> Result<()> {
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let origin = format!("{file}:{}", i + 1);
        let value = serde_yaml::Value::deserialize(doc).map_err(|e| anyhow!("{origin}: {e}"))?;
        if value.is_null() {
            continue;
        }
        let json: Value = serde_json::to_value(&value).map_err(|e| anyhow!("{origin}: {e}"))?;
        if !json.is_object() {
            bail!("{origin}: a document must be an object");
        }
        let kind = json.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind == "List" || (kind.ends_with("List") && json.get("items").is_some()) {
            let items = json
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (j, item) in items.into_iter().enumerate() {
                out.push(Fixture {
                    origin: format!("{origin}: items[{j}]"),
                    object: item,
                });
            }
        } else {
            out.push(Fixture {
                origin,
                object: json,
            });
        }
    }
    Ok(())
}

fn resolve(state: &ApiState, obj: &Value) -> std::result::Result<ResourceDef, String> {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if api_version.is_empty() {
        return Err("apiVersion is required".into());
    }
    if kind.is_empty() {
        return Err("kind is required".into());
    }
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    state
        .registry()
        .lookup_kind(group, version, kind)
        .filter(|d| d.has_verb("create"))
        .cloned()
        .ok_or_else(|| format!("no resource serves kind {kind:?} in {api_version:?}"))
}

fn collection_path(def: &ResourceDef, namespace: &str) -> String {
    let root = if def.group.is_empty() {
        format!("/api/{}", def.version)
    } else {
        format!("/apis/{}/{}", def.group, def.version)
    };
    if def.namespaced {
        format!("{root}/namespaces/{namespace}/{}", def.resource)
    } else {
        format!("{root}/{}", def.resource)
    }
}

/// Creates `obj` through the API (as a `POST`); the error is the Status message.
pub async fn create(state: &Arc<ApiState>, obj: &Value) -> std::result::Result<Value, String> {
    let def = resolve(state, obj)?;
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_string();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::USER_AGENT,
        http::HeaderValue::from_static("kubemock-fixtures"),
    );
    let req = ApiRequest {
        method: http::Method::POST,
        path: collection_path(&def, &ns),
        query: api::query::RawQuery::parse("fieldManager=kubemock-fixtures"),
        headers,
        body: serde_json::to_vec(obj).map_err(|e| e.to_string())?.into(),
    };
    let resp = api::handle(state, req).await;
    let body = match resp.body {
        api::ResponseBody::Full(b) => b,
        api::ResponseBody::Stream(_) => return Err("unexpected stream".into()),
    };
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if resp.status >= 300 {
        let msg = value
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string());
        return Err(msg);
    }
    Ok(value)
}

/// Loads fixtures into the store: namespaces first, then namespaces that
/// other objects name but no fixture defines (created implicitly, so a
/// fixture file need not list them), then the rest in file order.
pub async fn apply(state: &Arc<ApiState>, fixtures: &[Fixture]) -> Result<usize> {
    let is_ns = |f: &Fixture| {
        f.object.get("kind").and_then(Value::as_str) == Some("Namespace")
            && f.object.get("apiVersion").and_then(Value::as_str) == Some("v1")
    };
    let mut loaded = 0;
    for f in fixtures.iter().filter(|f| is_ns(f)) {
        create(state, &f.object)
            .await
            .map_err(|e| anyhow!("{}: {e}", f.origin))?;
        loaded += 1;
    }
    for f in fixtures.iter().filter(|f| !is_ns(f)) {
        let ns = f
            .object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("");
        let namespaced = resolve(state, &f.object)
            .map(|d| d.namespaced)
            .unwrap_or(false);
        if namespaced
            && !ns.is_empty()
            && state
                .store
                .get(&crate::store::GroupResource::new("", "namespaces"), "", ns)
                .is_none()
        {
            let ns_obj = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            create(state, &ns_obj)
                .await
                .map_err(|e| anyhow!("{}: namespace {ns}: {e}", f.origin))?;
        }
        create(state, &f.object)
            .await
            .map_err(|e| anyhow!("{}: {e}", f.origin))?;
        loaded += 1;
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_and_lists() {
        let mut out = Vec::new();
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\nkind: List\napiVersion: v1\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n";
        parse_documents("f.yaml", text, &mut out).expect("parse");
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].origin, "f.yaml:1");
        assert_eq!(out[1].origin, "f.yaml:3: items[0]");
        assert_eq!(out[1].object["kind"], "Secret");
        let mut out = Vec::new();
        parse_documents(
            "f.json",
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}"#,
            &mut out,
        )
        .expect("json");
        assert_eq!(out[0].object["metadata"]["name"], "j");
    }

    #[test]
    fn bad_documents_name_their_place() {
        let mut out = Vec::new();
        let err = parse_documents("f.yaml", "a: 1\n---\n- x\n", &mut out).unwrap_err();
        assert_eq!(err.to_string(), "f.yaml:2: a document must be an object");
        let err = parse_documents("g.yaml", "a: [\n", &mut Vec::new()).unwrap_err();
        assert!(err.to_string().starts_with("g.yaml:1: "), "{err}");
    }
}
