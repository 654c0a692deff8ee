//! Discovery documents built from the [`Registry`]: the legacy documents
//! (`/api` `APIVersions`, `/apis` `APIGroupList`, `/apis/G` `APIGroup`,
//! `/api/v1` and `/apis/G/V` `APIResourceList`) and aggregated discovery v2
//! (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`) with its ETag.
//!
//! Shapes follow `staging/src/k8s.io/apiserver/pkg/endpoints/discovery/`
//! (`legacy.go`, `group.go`, `version.go`, `aggregated/handler.go`); the unit
//! tests check the generated documents against what a real 1.36.2 served.

use crate::registry::{group_version_string, Registry, ResourceDef};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha512};

/// Content type of aggregated discovery v2 responses.
pub const AGGREGATED_V2_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// `GET /api`: `APIVersions` with the address clients reach the server at.
/// (The real server emits no `apiVersion` here.)
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ]
    })
}

fn group_version_entry(group: &str, version: &str) -> Value {
    json!({"groupVersion": group_version_string(group, version), "version": version})
}

fn group_body(reg: &Registry, group: &str) -> Option<Map<String, Value>> {
    let versions = reg.versions(group);
    let preferred = versions.first()?;
    let mut m = Map::new();
    m.insert("name".into(), json!(group));
    m.insert(
        "versions".into(),
        Value::Array(
            versions
                .iter()
                .map(|v| group_version_entry(group, v))
                .collect(),
        ),
    );
    m.insert(
        "preferredVersion".into(),
        group_version_entry(group, preferred),
    );
    Some(m)
}

/// `GET /apis`: every non-core group, in served order.
pub fn api_group_list(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg
        .groups()
        .iter()
        .filter_map(|g| group_body(reg, g).map(Value::Object))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/G`: the group's versions, or `None` if not served.
pub fn api_group(reg: &Registry, group: &str) -> Option<Value> {
    if group.is_empty() {
        return None;
    }
    let body = group_body(reg, group)?;
    let mut m = Map::new();
    m.insert("kind".into(), json!("APIGroup"));
    m.insert("apiVersion".into(), json!("v1"));
    m.extend(body);
    Some(Value::Object(m))
}

fn legacy_resource(def: &ResourceDef) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(def.resource));
    m.insert("singularName".into(), json!(def.singular));
    m.insert("namespaced".into(), json!(def.namespaced));
    m.insert("kind".into(), json!(def.kind));
    m.insert("verbs".into(), json!(def.verbs));
    if !def.short_names.is_empty() {
        m.insert("shortNames".into(), json!(def.short_names));
    }
    if !def.categories.is_empty() {
        m.insert("categories".into(), json!(def.categories));
    }
    if let Some(h) = &def.storage_version_hash {
        m.insert("storageVersionHash".into(), json!(h));
    }
    Value::Object(m)
}

/// `GET /api/v1` or `/apis/G/V`: the `APIResourceList`, subresources as
/// `resource/sub` entries; `None` when the group/version is not served.
pub fn api_resource_list(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    if !reg.has_group_version(group, version) {
        return None;
    }
    let mut entries: Vec<(String, Value)> = Vec::new();
    for def in reg.resources(group, version) {
        entries.push((def.resource.clone(), legacy_resource(def)));
        for sub in &def.subresources {
            let name = format!("{}/{}", def.resource, sub.name);
            let mut m = Map::new();
            m.insert("name".into(), json!(name));
            m.insert("singularName".into(), json!(""));
            m.insert("namespaced".into(), json!(def.namespaced));
            if !sub.response_kind.group.is_empty() || !sub.response_kind.version.is_empty() {
                m.insert("group".into(), json!(sub.response_kind.group));
                m.insert("version".into(), json!(sub.response_kind.version));
            }
            m.insert("kind".into(), json!(sub.kind));
            m.insert("verbs".into(), json!(sub.verbs));
            entries.push((name, Value::Object(m)));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut doc = Map::new();
    doc.insert("kind".into(), json!("APIResourceList"));
    // The core list carries no apiVersion on the real server.
    if !group.is_empty() {
        doc.insert("apiVersion".into(), json!("v1"));
    }
    doc.insert(
        "groupVersion".into(),
        json!(group_version_string(group, version)),
    );
    doc.insert(
        "resources".into(),
        Value::Array(entries.into_iter().map(|(_, v)| v).collect()),
    );
    Some(Value::Object(doc))
}

fn gvk(g: &crate::registry::GroupVersionKind) -> Value {
    json!({"group": g.group, "version": g.version, "kind": g.kind})
}

fn aggregated_resource(def: &ResourceDef) -> Value {
    let mut m = Map::new();
    m.insert("resource".into(), json!(def.resource));
    m.insert("responseKind".into(), gvk(&def.response_kind));
    m.insert(
        "scope".into(),
        json!(if def.namespaced {
            "Namespaced"
        } else {
            "Cluster"
        }),
    );
    m.insert("singularResource".into(), json!(def.singular));
    m.insert("verbs".into(), json!(def.verbs));
    if !def.short_names.is_empty() {
        m.insert("shortNames".into(), json!(def.short_names));
    }
    if !def.categories.is_empty() {
        m.insert("categories".into(), json!(def.categories));
    }
    if !def.subresources.is_empty() {
        let subs: Vec<Value> = def
            .subresources
            .iter()
            .map(|s| {
                json!({
                    "subresource": s.name,
                    "responseKind": gvk(&s.response_kind),
                    "verbs": s.verbs,
                })
            })
            .collect();
        m.insert("subresources".into(), Value::Array(subs));
    }
    Value::Object(m)
}

fn aggregated_group(reg: &Registry, group: &str) -> Value {
    let versions: Vec<Value> = reg
        .versions(group)
        .iter()
        .map(|v| {
            let resources: Vec<Value> = reg
                .resources(group, v)
                .into_iter()
                .map(aggregated_resource)
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    let metadata = if group.is_empty() {
        json!({})
    } else {
        json!({"name": group})
    };
    json!({"metadata": metadata, "versions": versions})
}

fn aggregated_list(items: Vec<Value>) -> Value {
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}

/// `GET /api` with the aggregated Accept.
pub fn aggregated_core(reg: &Registry) -> Value {
    aggregated_list(vec![aggregated_group(reg, "")])
}

/// `GET /apis` with the aggregated Accept.
pub fn aggregated_groups(reg: &Registry) -> Value {
    aggregated_list(
        reg.groups()
            .iter()
            .map(|g| aggregated_group(reg, g))
            .collect(),
    )
}

/// The ETag of an aggregated document: the quoted hex SHA-512 of its bytes
/// (`aggregated/etag.go` hashes the encoded document the same way).
pub fn etag(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Sha512::digest(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> Value {
        let path = format!("{}/src/registry/data/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("data file")).expect("json")
    }

    #[test]
    fn aggregated_documents_match_the_real_server() {
        let reg = Registry::builtin();
        assert_eq!(aggregated_groups(&reg), data("apis-aggregated.json"));
        assert_eq!(aggregated_core(&reg), data("api-aggregated.json"));
    }

    #[test]
    fn legacy_documents_match_the_real_server() {
        let reg = Registry::builtin();
        assert_eq!(api_group_list(&reg), data("apis-legacy.json"));
        assert_eq!(api_resource_list(&reg, "", "v1"), Some(data("api-v1.json")));
        let lists = data("legacy-resource-lists.json");
        for (gv, want) in lists.as_object().expect("object") {
            let (g, v) = gv.split_once('/').unwrap_or(("", gv));
            let mut want = want.clone();
            if g.is_empty() {
                want.as_object_mut()
                    .expect("obj")
                    .shift_remove("apiVersion");
            }
            assert_eq!(api_resource_list(&reg, g, v).as_ref(), Some(&want), "{gv}");
        }
        assert!(api_resource_list(&reg, "apps", "v9").is_none());
        assert!(api_group(&reg, "nope.example.com").is_none());
        assert_eq!(
            api_group(&reg, "apps").expect("apps")["preferredVersion"]["groupVersion"],
            "apps/v1"
        );
    }

    #[test]
    fn etag_is_stable_and_quoted() {
        let e = etag(b"x");
        assert!(e.starts_with('"') && e.ends_with('"'));
        assert_eq!(e, etag(b"x"));
        assert_ne!(e, etag(b"y"));
    }
}
