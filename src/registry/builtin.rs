//! The built-in resource table of kube-apiserver 1.36, loaded from data.
//!
//! Sources (all under `src/registry/data/`, see its README.md):
//! - `api-aggregated.json`, `apis-aggregated.json`: what a real kube-apiserver
//!   v1.36.2 served for `GET /api` and `GET /apis` with the aggregated
//!   discovery v2 Accept. They give every group (in served order), version
//!   (preferred first), resource, verb, short name, category and subresource.
//! - `storage-version-hashes.json`: `{"<groupVersion>": {"<resource>": "<hash>"}}`,
//!   the `storageVersionHash` values the same server listed in its legacy
//!   `APIResourceList`s (`GET /api/v1`, `GET /apis/<g>/<v>`); aggregated
//!   discovery does not carry them. Resources without an entry have no
//!   storage (reviews, bindings, componentstatuses).
//!
//! The documents are the data: dropping in newer captures updates the table.

use super::{GroupVersionKind, Registry, ResourceDef, SubresourceDef};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// `GET /api` (aggregated v2) of the real server.
pub const API_AGGREGATED_JSON: &str = include_str!("data/api-aggregated.json");
/// `GET /apis` (aggregated v2) of the real server.
pub const APIS_AGGREGATED_JSON: &str = include_str!("data/apis-aggregated.json");
/// `storageVersionHash` per group-version and resource, from the real
/// server's legacy `APIResourceList`s.
pub const STORAGE_VERSION_HASHES_JSON: &str = include_str!("data/storage-version-hashes.json");

/// `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`
/// (`staging/src/k8s.io/api/apidiscovery/v2/types.go`), the fields the data uses.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DiscoveryList {
    #[allow(dead_code)]
    kind: String,
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
    metadata: serde_json::Value,
    items: Vec<GroupDiscovery>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupDiscovery {
    metadata: GroupMeta,
    versions: Vec<VersionDiscovery>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupMeta {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionDiscovery {
    version: String,
    resources: Vec<ResourceDiscovery>,
    #[allow(dead_code)]
    freshness: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ResourceDiscovery {
    resource: String,
    response_kind: Gvk,
    scope: String,
    singular_resource: String,
    verbs: Vec<String>,
    #[serde(default)]
    short_names: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    subresources: Vec<SubresourceDiscovery>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SubresourceDiscovery {
    subresource: String,
    response_kind: Gvk,
    verbs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Gvk {
    group: String,
    version: String,
    kind: String,
}

impl From<Gvk> for GroupVersionKind {
    fn from(g: Gvk) -> Self {
        GroupVersionKind {
            group: g.group,
            version: g.version,
            kind: g.kind,
        }
    }
}

type Hashes = BTreeMap<String, BTreeMap<String, String>>;

/// The built-in registry, parsed once.
///
/// # Panics
/// If the embedded data is malformed (a build defect the tests catch).
pub(super) fn builtin_registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| match load() {
        Ok(reg) => reg,
        Err(e) => panic!("built-in registry data is malformed: {e}"),
    })
}

/// Parses the embedded data into a registry; the error says what is wrong.
pub fn load() -> Result<Registry, String> {
    let mut hashes: Hashes = serde_json::from_str(STORAGE_VERSION_HASHES_JSON)
        .map_err(|e| format!("storage-version-hashes.json: {e}"))?;
    let mut reg = Registry::empty();
    for (file, text) in [
        ("api-aggregated.json", API_AGGREGATED_JSON),
        ("apis-aggregated.json", APIS_AGGREGATED_JSON),
    ] {
        let list: DiscoveryList = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        for g in list.items {
            if reg.has_group(&g.metadata.name) {
                return Err(format!("{file}: group {:?} twice", g.metadata.name));
            }
            for v in g.versions {
                let gv = super::group_version_string(&g.metadata.name, &v.version);
                let mut gv_hashes = hashes.remove(&gv).unwrap_or_default();
                let mut resources = Vec::with_capacity(v.resources.len());
                for r in v.resources {
                    let namespaced = match r.scope.as_str() {
                        "Namespaced" => true,
                        "Cluster" => false,
                        other => return Err(format!("{gv} {}: scope {other:?}", r.resource)),
                    };
                    let storage_version_hash = gv_hashes.remove(&r.resource);
                    resources.push(ResourceDef {
                        group: g.metadata.name.clone(),
                        version: v.version.clone(),
                        kind: r.response_kind.kind.clone(),
                        resource: r.resource,
                        singular: r.singular_resource,
                        namespaced,
                        verbs: r.verbs,
                        short_names: r.short_names,
                        categories: r.categories,
                        subresources: r
                            .subresources
                            .into_iter()
                            .map(|s| SubresourceDef {
                                name: s.subresource,
                                kind: s.response_kind.kind.clone(),
                                response_kind: s.response_kind.into(),
                                verbs: s.verbs,
                            })
                            .collect(),
                        storage_version_hash,
                        response_kind: r.response_kind.into(),
                    });
                }
                if let Some(extra) = gv_hashes.keys().next() {
                    return Err(format!("storage hash for unknown resource {gv} {extra}"));
                }
                reg.push_builtin_version(&g.metadata.name, &v.version, resources);
            }
        }
    }
    if let Some(extra) = hashes.keys().next() {
        return Err(format!("storage hashes for unknown group-version {extra}"));
    }
    Ok(reg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_loads_completely() {
        let reg = load().expect("data parses");
        let n = reg.all().count();
        assert!(n > 50, "{n} resources");
        // Every resource with storage has a hash; those without are the
        // known storage-less kinds.
        let without: Vec<String> = reg
            .all()
            .filter(|r| r.storage_version_hash.is_none())
            .map(|r| r.qualified_resource())
            .collect();
        assert_eq!(
            without,
            vec![
                "bindings",
                "componentstatuses",
                "selfsubjectreviews.authentication.k8s.io",
                "tokenreviews.authentication.k8s.io",
                "localsubjectaccessreviews.authorization.k8s.io",
                "selfsubjectaccessreviews.authorization.k8s.io",
                "selfsubjectrulesreviews.authorization.k8s.io",
                "subjectaccessreviews.authorization.k8s.io",
            ]
        );
    }
}
