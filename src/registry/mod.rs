//! The resource registry: every group, version and resource the server
//! serves, with the facts discovery publishes about each (verbs, short names,
//! categories, subresources, storageVersionHash).
//!
//! This module owns the [`ResourceDef`] type and the [`Registry`] that holds
//! them in served order. The built-in 1.36 set is data, loaded by
//! [`builtin`] from the discovery documents a real kube-apiserver v1.36.2
//! served (`data/`); CRDs are added at run time with [`Registry::insert`].
//! The documents themselves are built from a registry by
//! `crate::api::discovery`.
//!
//! Ordering mirrors the real server:
//! - groups in the aggregator's priority order
//!   (`staging/src/k8s.io/apiserver/pkg/endpoints/discovery/aggregated/handler.go`,
//!   `calculateAPIGroupsLocked`): built-in groups in the order the real server
//!   listed them, groups added later after them (CRD groups have the lowest
//!   `GroupPriorityMinimum`, 1000), ties broken by name;
//! - versions in preference order (kube-aware version order,
//!   `apimachinery/pkg/version/helpers.go` `CompareKubeAwareVersionStrings`);
//! - resources within a version by plural name (`endpoints/installer.go`
//!   registers storage paths in `sort.Strings` order).

pub mod builtin;

use std::cmp::Ordering;

/// A group/version/kind triple (`metav1.GroupVersionKind`,
/// `staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/group_version.go`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GroupVersionKind {
    /// API group; empty for the core group, and (as aggregated discovery
    /// shows built-in kinds) empty when the kind is in the resource's own group.
    pub group: String,
    /// Version; empty under the same rule as `group`.
    pub version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
}

impl GroupVersionKind {
    /// A GVK from its parts.
    pub fn new(group: &str, version: &str, kind: &str) -> Self {
        GroupVersionKind {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
        }
    }
}

/// A subresource of a resource, e.g. `deployments/status`
/// (`apidiscovery/v2` `APISubresourceDiscovery`,
/// `staging/src/k8s.io/api/apidiscovery/v2/types.go`).
#[derive(Debug, Clone, PartialEq)]
pub struct SubresourceDef {
    /// Subresource name without the parent: `status`, `scale`, `log`.
    pub name: String,
    /// Kind the subresource serves (`Scale`, `Deployment`, `Eviction`...).
    pub kind: String,
    /// As aggregated discovery shows it: group/version empty when the kind is
    /// in the parent's group (built-ins), set otherwise (`autoscaling/v1 Scale`).
    pub response_kind: GroupVersionKind,
    /// Verbs, sorted (`get`, `patch`, `update`...).
    pub verbs: Vec<String>,
}

/// One served resource in one group/version (the union of
/// `metav1.APIResource`, `staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go`,
/// and `apidiscovery/v2` `APIResourceDiscovery`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDef {
    /// API group (`""` for core).
    pub group: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Plural resource name, e.g. `deployments`.
    pub resource: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Singular name, e.g. `deployment`.
    pub singular: String,
    /// Namespace-scoped (`scope: Namespaced`) or cluster-scoped.
    pub namespaced: bool,
    /// Verbs, sorted as discovery lists them.
    pub verbs: Vec<String>,
    /// Short names (`deploy`), in served order.
    pub short_names: Vec<String>,
    /// Categories (`all`), in served order.
    pub categories: Vec<String>,
    /// Subresources, sorted by name.
    pub subresources: Vec<SubresourceDef>,
    /// `storageVersionHash` of the legacy APIResourceList; `None` for resources
    /// without storage (reviews, bindings, componentstatuses).
    pub storage_version_hash: Option<String>,
    /// As aggregated discovery shows it (built-ins: empty group/version;
    /// CRDs: the CRD's group/version).
    pub response_kind: GroupVersionKind,
}

impl ResourceDef {
    /// "deployments.apps" or "configmaps" (core): the qualified resource used
    /// in messages (`schema.GroupResource.String()`,
    /// `apimachinery/pkg/runtime/schema/group_version.go`).
    pub fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }

    /// "Deployment.apps" / "ConfigMap": the qualified kind used in Invalid
    /// messages (`schema.GroupKind.String()`).
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// "apps/v1" or "v1" (`schema.GroupVersion.String()`).
    pub fn api_version(&self) -> String {
        group_version_string(&self.group, &self.version)
    }

    /// The list kind: kind + "List".
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// Whether the resource itself (not a subresource) serves `verb`
    /// (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`).
    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// The subresource called `name` (`status`, `scale`...), if served.
    pub fn subresource(&self, name: &str) -> Option<&SubresourceDef> {
        self.subresources.iter().find(|s| s.name == name)
    }
}

/// Built-in resources whose etcd key prefix is not their name
/// (`SpecialDefaultResourcePrefixes`,
/// `pkg/kubeapiserver/default_storage_factory_builder.go`).
#[rustfmt::skip]
const SPECIAL_ETCD_PREFIXES: &[(&str, &str, &str)] = &[
    ("", "replicationcontrollers", "controllers"),
    ("", "endpoints", "services/endpoints"),
    ("", "nodes", "minions"),
    ("", "services", "services/specs"),
    ("extensions", "ingresses", "ingress"),
    ("networking.k8s.io", "ingresses", "ingress"),
];

/// API groups served by their own apiservers (apiextensions, aggregator),
/// whose keys carry the group as custom resources' do.
const GROUP_PREFIXED: &[&str] = &["apiextensions.k8s.io", "apiregistration.k8s.io"];

impl ResourceDef {
    /// The etcd key kube-apiserver stores the object under:
    /// `/registry/<prefix>/<namespace>/<name>` (cluster-scoped: no
    /// namespace). Built-ins use their resource name (or the special
    /// prefix); custom resources `<group>/<resource>`.
    pub fn etcd_key(&self, namespace: &str, name: &str) -> String {
        let custom = !self.response_kind.version.is_empty();
        let prefix = match SPECIAL_ETCD_PREFIXES
            .iter()
            .find(|(g, r, _)| *g == self.group && *r == self.resource)
        {
            Some((_, _, p)) => (*p).to_string(),
            None if custom || GROUP_PREFIXED.contains(&self.group.as_str()) => {
                format!("{}/{}", self.group, self.resource)
            }
            None => self.resource.to_lowercase(),
        };
        if namespace.is_empty() {
            format!("/registry/{prefix}/{name}")
        } else {
            format!("/registry/{prefix}/{namespace}/{name}")
        }
    }
}

/// "apps/v1", or "v1" for the core group (`schema.GroupVersion.String()`).
pub fn group_version_string(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Compares two version strings the way the aggregator orders versions:
/// `Greater` means `a` is preferred over `b`. Kube-like versions
/// (`v1`, `v2beta1`, `v1alpha2`) order GA > beta > alpha, then by major,
/// then by minor; they beat any other string; other strings order
/// alphabetically (earlier is preferred).
/// Mirrors `CompareKubeAwareVersionStrings`
/// (`staging/src/k8s.io/apimachinery/pkg/version/helpers.go`).
pub fn compare_kube_aware_versions(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    match (parse_kube_version(a), parse_kube_version(b)) {
        (None, None) => b.cmp(a),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some((amaj, aty, amin)), Some((bmaj, bty, bmin))) => {
            aty.cmp(&bty).then(amaj.cmp(&bmaj)).then(amin.cmp(&bmin))
        }
    }
}

/// `^v(\d+)(?:(alpha|beta)(\d+))?$` → (major, type: alpha 0 / beta 1 / GA 2, minor).
fn parse_kube_version(v: &str) -> Option<(u64, u8, u64)> {
    let rest = v.strip_prefix('v')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let major: u64 = rest[..digits].parse().ok()?;
    let tail = &rest[digits..];
    if tail.is_empty() {
        return Some((major, 2, 0));
    }
    let (ty, minor) = if let Some(m) = tail.strip_prefix("alpha") {
        (0, m)
    } else if let Some(m) = tail.strip_prefix("beta") {
        (1, m)
    } else {
        return None;
    };
    if minor.is_empty() || !minor.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((major, ty, minor.parse().ok()?))
}

#[derive(Debug, Clone)]
struct VersionEntry {
    version: String,
    /// Sorted by `resource`.
    resources: Vec<ResourceDef>,
}

#[derive(Debug, Clone)]
struct GroupEntry {
    name: String,
    /// Part of the built-in table: keeps its served position.
    builtin: bool,
    /// Preferred first.
    versions: Vec<VersionEntry>,
}

/// All served resources; groups keep the order the real server lists them in
/// (priority order), versions in preference order. The core group (`""`) is
/// held like any other group but is not part of [`Registry::groups`].
/// Mirrors what `staging/src/k8s.io/apiserver/pkg/endpoints/discovery/aggregated/handler.go`
/// (`resourceDiscoveryManager`) holds.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// Core group (if any) first, then the other groups in served order.
    groups: Vec<GroupEntry>,
    /// The definitions (CRD objects) behind run-time entries, by CRD name
    /// (`plural.group`): read where the store may not be (inside a write).
    definitions: std::collections::HashMap<String, std::sync::Arc<serde_json::Value>>,
}

impl Registry {
    /// An empty registry (no groups at all).
    pub fn empty() -> Registry {
        Registry::default()
    }

    /// The 1.36 built-in set (see [`builtin`]). Parsed once, then cloned.
    ///
    /// # Panics
    /// Only if the embedded data is malformed, which the tests rule out.
    pub fn builtin() -> Registry {
        builtin::builtin_registry().clone()
    }

    /// The resource `resource` (plural) in `group`/`version`.
    pub fn lookup(&self, group: &str, version: &str, resource: &str) -> Option<&ResourceDef> {
        self.version_entry(group, version)?
            .resources
            .iter()
            .find(|r| r.resource == resource)
    }

    /// By kind within a group/version (for fixtures loading). When several
    /// resources share a kind, the first in served order wins.
    pub fn lookup_kind(&self, group: &str, version: &str, kind: &str) -> Option<&ResourceDef> {
        self.version_entry(group, version)?
            .resources
            .iter()
            .find(|r| r.kind == kind)
    }

    /// Resolve a short name / singular / plural / kind (case-insensitive) like
    /// kubectl does (`k8s.io/client-go/restmapper` shortcut expander and
    /// `meta.DefaultRESTMapper`). Accepts `name`, `name.group` and
    /// `name.version.group`. Matches come in served order: core first, then
    /// groups in priority order, versions preferred first.
    /// UNVERIFIED: kubectl's exact tie-breaking between groups beyond "served
    /// order" and its partial-group matching (`deploy.app`) are not modelled.
    pub fn resolve(&self, name: &str) -> Vec<&ResourceDef> {
        let name = name.to_ascii_lowercase();
        if name.is_empty() {
            return Vec::new();
        }
        let matches_name = |r: &ResourceDef, n: &str| {
            r.resource.eq_ignore_ascii_case(n)
                || r.singular.eq_ignore_ascii_case(n)
                || r.kind.eq_ignore_ascii_case(n)
                || r.short_names.iter().any(|s| s.eq_ignore_ascii_case(n))
        };
        let all = || {
            self.groups
                .iter()
                .flat_map(|g| g.versions.iter())
                .flat_map(|v| v.resources.iter())
        };
        let plain: Vec<&ResourceDef> = all().filter(|r| matches_name(r, &name)).collect();
        if !plain.is_empty() {
            return plain;
        }
        // name.group or name.version.group
        let Some((head, rest)) = name.split_once('.') else {
            return Vec::new();
        };
        let by_group: Vec<&ResourceDef> = all()
            .filter(|r| r.group.eq_ignore_ascii_case(rest) && matches_name(r, head))
            .collect();
        if !by_group.is_empty() {
            return by_group;
        }
        let Some((version, group)) = rest.split_once('.') else {
            return Vec::new();
        };
        all()
            .filter(|r| {
                r.group.eq_ignore_ascii_case(group)
                    && r.version.eq_ignore_ascii_case(version)
                    && matches_name(r, head)
            })
            .collect()
    }

    /// Whether `group` is served (`""` for core).
    pub fn has_group(&self, group: &str) -> bool {
        self.group_entry(group).is_some()
    }

    /// Whether `group`/`version` is served.
    pub fn has_group_version(&self, group: &str, version: &str) -> bool {
        self.version_entry(group, version).is_some()
    }

    /// Non-core groups, in served order.
    pub fn groups(&self) -> Vec<String> {
        self.groups
            .iter()
            .filter(|g| !g.name.is_empty())
            .map(|g| g.name.clone())
            .collect()
    }

    /// Versions of `group`, preferred first (empty if the group is unknown).
    pub fn versions(&self, group: &str) -> Vec<String> {
        self.group_entry(group)
            .map(|g| g.versions.iter().map(|v| v.version.clone()).collect())
            .unwrap_or_default()
    }

    /// The preferred version of `group`, if served.
    pub fn preferred_version(&self, group: &str) -> Option<&str> {
        self.group_entry(group)?
            .versions
            .first()
            .map(|v| v.version.as_str())
    }

    /// Resources of `group`/`version`, sorted by plural name (empty if unknown).
    pub fn resources(&self, group: &str, version: &str) -> Vec<&ResourceDef> {
        self.version_entry(group, version)
            .map(|v| v.resources.iter().collect())
            .unwrap_or_default()
    }

    /// Every resource, in served order (core first).
    pub fn all(&self) -> impl Iterator<Item = &ResourceDef> {
        self.groups
            .iter()
            .flat_map(|g| g.versions.iter())
            .flat_map(|v| v.resources.iter())
    }

    /// Add or replace a resource at run time (CRDs). A new group goes after
    /// the built-in groups, in name order among the other added groups (CRD
    /// groups get `GroupPriorityMinimum` 1000, below every built-in group:
    /// `pkg/controlplane/controller/crdregistration/crdregistration_controller.go`);
    /// the core group `""` always goes first. A new version goes in kube-aware
    /// order. A resource with the same plural in the same group/version is
    /// replaced.
    pub fn insert(&mut self, def: ResourceDef) {
        let gi = match self.groups.iter().position(|g| g.name == def.group) {
            Some(i) => i,
            None => {
                let at = if def.group.is_empty() {
                    0
                } else {
                    self.groups
                        .iter()
                        .position(|g| !g.name.is_empty() && !g.builtin && g.name > def.group)
                        .unwrap_or(self.groups.len())
                };
                self.groups.insert(
                    at,
                    GroupEntry {
                        name: def.group.clone(),
                        builtin: false,
                        versions: Vec::new(),
                    },
                );
                at
            }
        };
        let group = &mut self.groups[gi];
        let vi = match group.versions.iter().position(|v| v.version == def.version) {
            Some(i) => i,
            None => {
                let at = group
                    .versions
                    .iter()
                    .position(|v| {
                        compare_kube_aware_versions(&def.version, &v.version) == Ordering::Greater
                    })
                    .unwrap_or(group.versions.len());
                group.versions.insert(
                    at,
                    VersionEntry {
                        version: def.version.clone(),
                        resources: Vec::new(),
                    },
                );
                at
            }
        };
        let resources = &mut group.versions[vi].resources;
        match resources.binary_search_by(|r| r.resource.cmp(&def.resource)) {
            Ok(i) => resources[i] = def,
            Err(i) => resources.insert(i, def),
        }
    }

    /// Records (or with `None` forgets) the definition object behind the
    /// run-time entries named `name` (a CRD's `plural.group`).
    pub fn set_definition(
        &mut self,
        name: &str,
        definition: Option<std::sync::Arc<serde_json::Value>>,
    ) {
        match definition {
            Some(d) => {
                self.definitions.insert(name.to_string(), d);
            }
            None => {
                self.definitions.remove(name);
            }
        }
    }

    /// The definition recorded with [`Registry::set_definition`].
    pub fn definition(&self, name: &str) -> Option<std::sync::Arc<serde_json::Value>> {
        self.definitions.get(name).cloned()
    }

    /// Remove a resource; an emptied version, then an emptied group, stops
    /// being served.
    pub fn remove(&mut self, group: &str, version: &str, resource: &str) -> Option<ResourceDef> {
        let gi = self.groups.iter().position(|g| g.name == group)?;
        let g = &mut self.groups[gi];
        let vi = g.versions.iter().position(|v| v.version == version)?;
        let v = &mut g.versions[vi];
        let ri = v.resources.iter().position(|r| r.resource == resource)?;
        let removed = v.resources.remove(ri);
        if v.resources.is_empty() {
            g.versions.remove(vi);
        }
        if g.versions.is_empty() {
            self.groups.remove(gi);
        }
        Some(removed)
    }

    /// Appends a group/version of the built-in table at the end, keeping the
    /// data's order (used by the loader only).
    fn push_builtin_version(&mut self, group: &str, version: &str, resources: Vec<ResourceDef>) {
        let gi = match self.groups.iter().position(|g| g.name == group) {
            Some(i) => i,
            None => {
                self.groups.push(GroupEntry {
                    name: group.to_string(),
                    builtin: true,
                    versions: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        self.groups[gi].versions.push(VersionEntry {
            version: version.to_string(),
            resources,
        });
    }

    fn group_entry(&self, group: &str) -> Option<&GroupEntry> {
        self.groups.iter().find(|g| g.name == group)
    }

    fn version_entry(&self, group: &str, version: &str) -> Option<&VersionEntry> {
        self.group_entry(group)?
            .versions
            .iter()
            .find(|v| v.version == version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(group: &str, version: &str, plural: &str, kind: &str) -> ResourceDef {
        ResourceDef {
            group: group.into(),
            version: version.into(),
            resource: plural.into(),
            kind: kind.into(),
            singular: kind.to_ascii_lowercase(),
            namespaced: true,
            verbs: vec!["get".into(), "list".into()],
            short_names: vec![],
            categories: vec![],
            subresources: vec![],
            storage_version_hash: None,
            response_kind: GroupVersionKind::new(group, version, kind),
        }
    }

    #[test]
    fn builtin_table_is_sorted_and_unique() {
        let reg = Registry::builtin();
        let groups = reg.groups();
        let mut seen = std::collections::HashSet::new();
        assert!(
            groups.iter().all(|g| seen.insert(g.clone())),
            "groups unique"
        );
        assert_eq!(groups.len(), 20);
        assert_eq!(groups[0], "apiregistration.k8s.io");
        assert_eq!(groups[1], "apps");
        assert!(reg.has_group(""));
        for g in std::iter::once(String::new()).chain(groups) {
            let versions = reg.versions(&g);
            assert!(!versions.is_empty());
            for w in versions.windows(2) {
                assert_eq!(
                    compare_kube_aware_versions(&w[0], &w[1]),
                    Ordering::Greater,
                    "{g}: {w:?}"
                );
            }
            for v in versions {
                let rs = reg.resources(&g, &v);
                assert!(!rs.is_empty());
                for w in rs.windows(2) {
                    assert!(w[0].resource < w[1].resource, "{g}/{v}: {}", w[1].resource);
                }
                for r in rs {
                    assert_eq!(
                        (r.group.as_str(), r.version.as_str()),
                        (g.as_str(), v.as_str())
                    );
                    for w in r.subresources.windows(2) {
                        assert!(w[0].name < w[1].name, "{}", r.resource);
                    }
                    let mut verbs = r.verbs.clone();
                    verbs.sort();
                    verbs.dedup();
                    assert_eq!(verbs, r.verbs, "{}", r.resource);
                    assert!(!r.singular.is_empty() && !r.kind.is_empty());
                }
            }
        }
        assert_eq!(reg.versions("autoscaling"), vec!["v2", "v1"]);
    }

    #[test]
    fn builtin_facts() {
        let reg = Registry::builtin();
        let d = reg
            .lookup("apps", "v1", "deployments")
            .expect("deployments");
        assert_eq!(d.kind, "Deployment");
        assert_eq!(d.qualified_resource(), "deployments.apps");
        assert_eq!(d.qualified_kind(), "Deployment.apps");
        assert_eq!(d.api_version(), "apps/v1");
        assert_eq!(d.list_kind(), "DeploymentList");
        assert!(d.namespaced && d.has_verb("watch") && !d.has_verb("proxy"));
        assert_eq!(d.short_names, vec!["deploy"]);
        assert_eq!(d.categories, vec!["all"]);
        assert_eq!(d.storage_version_hash.as_deref(), Some("8aSe+NMegvE="));
        let scale = d.subresource("scale").expect("scale");
        assert_eq!(
            scale.response_kind,
            GroupVersionKind::new("autoscaling", "v1", "Scale")
        );
        assert!(d.subresource("nope").is_none());
        let cm = reg.lookup("", "v1", "configmaps").expect("configmaps");
        assert_eq!(cm.qualified_resource(), "configmaps");
        assert_eq!(cm.qualified_kind(), "ConfigMap");
        assert_eq!(cm.api_version(), "v1");
        assert_eq!(cm.storage_version_hash.as_deref(), Some("qFsyl6wFWjQ="));
        assert!(reg
            .lookup("", "v1", "bindings")
            .expect("bindings")
            .storage_version_hash
            .is_none());
        let ns = reg.lookup("", "v1", "namespaces").expect("namespaces");
        assert!(!ns.namespaced);
        assert_eq!(
            reg.lookup_kind("coordination.k8s.io", "v1", "Lease")
                .map(|r| r.resource.as_str()),
            Some("leases")
        );
        // Unknown names: None / empty, never a panic.
        assert!(reg.lookup("apps", "v1", "nope").is_none());
        assert!(reg.lookup("apps", "v9", "deployments").is_none());
        assert!(reg.lookup("nope.example.com", "v1", "x").is_none());
        assert!(reg.lookup_kind("apps", "v1", "Nope").is_none());
        assert!(reg.versions("nope").is_empty());
        assert!(reg.resources("apps", "v9").is_empty());
        assert!(!reg.has_group("nope") && !reg.has_group_version("apps", "v2"));
        assert!(reg.has_group_version("autoscaling", "v1"));
        assert_eq!(reg.preferred_version("autoscaling"), Some("v2"));
    }

    #[test]
    fn resolve_like_kubectl() {
        let reg = Registry::builtin();
        let names = |q: &str| {
            reg.resolve(q)
                .iter()
                .map(|r| format!("{}/{}/{}", r.group, r.version, r.resource))
                .collect::<Vec<_>>()
        };
        assert_eq!(names("deploy"), vec!["apps/v1/deployments"]);
        assert_eq!(names("Deployment"), vec!["apps/v1/deployments"]);
        assert_eq!(names("CM"), vec!["/v1/configmaps"]);
        assert_eq!(names("pod"), vec!["/v1/pods"]);
        assert_eq!(names("events")[0], "/v1/events");
        assert_eq!(
            names("events.events.k8s.io"),
            vec!["events.k8s.io/v1/events"]
        );
        assert_eq!(
            names("hpa.v1.autoscaling"),
            vec!["autoscaling/v1/horizontalpodautoscalers"]
        );
        assert_eq!(
            names("hpa"),
            vec![
                "autoscaling/v2/horizontalpodautoscalers",
                "autoscaling/v1/horizontalpodautoscalers"
            ]
        );
        assert!(names("nope").is_empty());
        assert!(names("").is_empty());
        assert!(names("nope.x.y").is_empty());
    }

    #[test]
    fn kube_aware_version_order() {
        let mut v = vec![
            "v1alpha1",
            "foo",
            "v2",
            "v1beta2",
            "bar",
            "v1",
            "v10",
            "v1beta1",
            "v11alpha2",
        ];
        v.sort_by(|a, b| compare_kube_aware_versions(b, a));
        assert_eq!(
            v,
            vec![
                "v10",
                "v2",
                "v1",
                "v1beta2",
                "v1beta1",
                "v11alpha2",
                "v1alpha1",
                "bar",
                "foo"
            ]
        );
    }

    #[test]
    fn insert_and_remove() {
        let mut reg = Registry::builtin();
        let before = reg.groups();
        reg.insert(crd("zz.example.com", "v1", "widgets", "Widget"));
        reg.insert(crd("aa.example.com", "v1beta1", "gadgets", "Gadget"));
        reg.insert(crd("aa.example.com", "v1", "gadgets", "Gadget"));
        reg.insert(crd("aa.example.com", "v1alpha1", "gadgets", "Gadget"));
        let groups = reg.groups();
        assert_eq!(&groups[..before.len()], &before[..]);
        assert_eq!(
            &groups[before.len()..],
            &["aa.example.com", "zz.example.com"]
        );
        assert_eq!(
            reg.versions("aa.example.com"),
            vec!["v1", "v1beta1", "v1alpha1"]
        );
        // Replace keeps one entry.
        let mut w = crd("zz.example.com", "v1", "widgets", "Widget");
        w.short_names = vec!["wd".into()];
        reg.insert(w.clone());
        assert_eq!(reg.resources("zz.example.com", "v1"), vec![&w]);
        assert_eq!(reg.resolve("wd"), vec![&w]);
        // Remove: emptied version and group disappear.
        assert_eq!(reg.remove("zz.example.com", "v1", "widgets"), Some(w));
        assert!(!reg.has_group("zz.example.com"));
        assert!(reg.remove("zz.example.com", "v1", "widgets").is_none());
        assert!(reg.remove("aa.example.com", "v1", "gadgets").is_some());
        assert_eq!(reg.versions("aa.example.com"), vec!["v1beta1", "v1alpha1"]);
        // Built-in removal works too.
        assert!(reg.remove("coordination.k8s.io", "v1", "leases").is_some());
        assert!(!reg.has_group("coordination.k8s.io"));
    }
}
