//! Turns a request path into what it addresses, as the apiserver's
//! `RequestInfoFactory` does (`staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`).
//!
//! This module only splits paths; whether a group or resource exists is the
//! registry's question.

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiPath {
    /// `/api`: the core API versions (discovery).
    CoreRoot,
    /// `/apis`: the group list (discovery).
    GroupsRoot,
    /// `/apis/<group>`.
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`: the resource list.
    GroupVersion {
        /// Group, `""` for core.
        group: String,
        /// Version.
        version: String,
    },
    /// A resource, a collection or a subresource.
    Resource(ResourcePath),
    /// Not under `/api` or `/apis`.
    Other,
}

/// A resource path, split.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourcePath {
    /// Group, `""` for core.
    pub group: String,
    /// Version.
    pub version: String,
    /// Namespace from the path (for `/api/v1/namespaces/<ns>` this is also the name).
    pub namespace: Option<String>,
    /// Plural resource.
    pub resource: String,
    /// Object name.
    pub name: Option<String>,
    /// Subresource (`status`, `scale`, `exec`, ...).
    pub subresource: Option<String>,
    /// The deprecated `/watch/` path form, which forces a watch.
    pub legacy_watch: bool,
}

/// Namespace subresources that stay on the namespace itself.
const NAMESPACE_SUBRESOURCES: &[&str] = &["finalize", "status"];

/// Splits a path (without query).
pub fn parse(path: &str) -> ApiPath {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    let parts: Vec<&str> = trimmed.split('/').skip(1).collect();
    match parts.as_slice() {
        ["api"] => ApiPath::CoreRoot,
        ["apis"] => ApiPath::GroupsRoot,
        ["api", version] => ApiPath::GroupVersion {
            group: String::new(),
            version: version.to_string(),
        },
        ["apis", group] => ApiPath::Group(group.to_string()),
        ["apis", group, version] => ApiPath::GroupVersion {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["api", version, rest @ ..] => resource("", version, rest),
        ["apis", group, version, rest @ ..] => resource(group, version, rest),
        _ => ApiPath::Other,
    }
}

fn resource(group: &str, version: &str, rest: &[&str]) -> ApiPath {
    let mut parts = rest;
    let mut info = ResourcePath {
        group: group.to_string(),
        version: version.to_string(),
        ..Default::default()
    };
    if parts.first() == Some(&"watch") {
        info.legacy_watch = true;
        parts = &parts[1..];
    }
    if parts.iter().any(|p| p.is_empty()) || parts.is_empty() {
        return ApiPath::Other;
    }
    if parts[0] == "namespaces" && parts.len() > 1 {
        info.namespace = Some(parts[1].to_string());
        if parts.len() > 2 && !NAMESPACE_SUBRESOURCES.contains(&parts[2]) {
            parts = &parts[2..];
        }
    }
    info.resource = parts[0].to_string();
    if let Some(name) = parts.get(1) {
        info.name = Some(name.to_string());
    }
    if let Some(sub) = parts.get(2) {
        info.subresource = Some(sub.to_string());
    }
    if parts.len() > 3 {
        return ApiPath::Other;
    }
    if info.resource == "namespaces" {
        // `/api/v1/namespaces/<ns>` addresses the namespace itself: it is
        // cluster-scoped, its name is the path's namespace.
        info.namespace = None;
    }
    ApiPath::Resource(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourcePath {
        match parse(path) {
            ApiPath::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn namespaced_collection() {
        let r = res("/api/v1/namespaces/ns/secrets");
        assert_eq!(r.namespace.as_deref(), Some("ns"));
        assert_eq!(r.resource, "secrets");
        assert_eq!(r.name, None);
    }

    #[test]
    fn namespace_itself_and_its_status() {
        let r = res("/api/v1/namespaces/ns");
        assert_eq!(
            (r.resource.as_str(), r.name.as_deref()),
            ("namespaces", Some("ns"))
        );
        assert_eq!(r.namespace, None);
        let s = res("/api/v1/namespaces/ns/status");
        assert_eq!(s.subresource.as_deref(), Some("status"));
        assert_eq!(s.name.as_deref(), Some("ns"));
    }

    #[test]
    fn grouped_subresource_and_legacy_watch() {
        let r = res("/apis/apps/v1/namespaces/ns/deployments/d/scale");
        assert_eq!(r.group, "apps");
        assert_eq!(r.subresource.as_deref(), Some("scale"));
        let w = res("/api/v1/watch/namespaces/ns/pods");
        assert!(w.legacy_watch);
        assert_eq!(w.resource, "pods");
    }

    #[test]
    fn discovery_paths_with_trailing_slashes() {
        assert_eq!(parse("/api/"), ApiPath::CoreRoot);
        assert_eq!(parse("/apis"), ApiPath::GroupsRoot);
        assert_eq!(parse("/apis/apps"), ApiPath::Group("apps".into()));
        assert_eq!(parse("/healthz"), ApiPath::Other);
        assert_eq!(parse("/api/v1/namespaces//pods"), ApiPath::Other);
    }
}
