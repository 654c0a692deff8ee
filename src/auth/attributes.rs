//! The authorization attributes of a request (`authorizer.AttributesRecord`
//! filled by `RequestInfoFactory.NewRequestInfo`,
//! `staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`):
//! the verb from the method and query, and resource, subresource, name,
//! namespace and group from the path split by `api::request_info`.

use crate::api::query::RawQuery;
use crate::api::request_info::{self, ApiPath};
use http::Method;

/// What a request asks to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    /// `get`, `list`, `watch`, `create`, ... (non-resource: the lower-case method).
    pub verb: String,
    /// Whether the path names a resource (else a non-resource URL).
    pub resource_request: bool,
    /// The URL path.
    pub path: String,
    /// API group (`""` for core).
    pub api_group: String,
    /// API version.
    pub api_version: String,
    /// Namespace (`""`: cluster scope or all namespaces).
    pub namespace: String,
    /// Plural resource.
    pub resource: String,
    /// Subresource.
    pub subresource: String,
    /// Object name.
    pub name: String,
}

impl Attributes {
    /// A non-resource request.
    pub fn non_resource(verb: &str, path: &str) -> Attributes {
        Attributes {
            verb: verb.to_string(),
            path: path.to_string(),
            ..Default::default()
        }
    }

    /// A resource request.
    pub fn resource(
        verb: &str,
        group: &str,
        resource: &str,
        namespace: &str,
        name: &str,
    ) -> Attributes {
        Attributes {
            verb: verb.to_string(),
            resource_request: true,
            api_group: group.to_string(),
            resource: resource.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// `resource` or `resource/subresource`.
    pub fn combined_resource(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }
}

/// The attributes of an HTTP request.
pub fn of_request(method: &Method, path: &str, query: &RawQuery) -> Attributes {
    let ApiPath::Resource(rp) = request_info::parse(path) else {
        return Attributes::non_resource(&method.as_str().to_ascii_lowercase(), path);
    };
    let has_name = rp.name.is_some();
    let mut verb = match *method {
        Method::POST => "create",
        Method::GET | Method::HEAD => "get",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        _ => "",
    }
    .to_string();
    let mut name = rp.name.clone().unwrap_or_default();
    if rp.legacy_watch {
        verb = "watch".into();
    } else if !has_name && verb == "get" {
        verb = if query.get_bool("watch").unwrap_or(false) {
            "watch".into()
        } else {
            "list".into()
        };
        // A list or watch with `fieldSelector=metadata.name=x` names x.
        if let Some(sel) = query.get("fieldSelector") {
            if let Some(n) = exact_name(sel) {
                name = n.to_string();
            }
        }
    } else if !has_name && verb == "delete" {
        verb = "deletecollection".into();
    }
    let mut namespace = rp.namespace.clone().unwrap_or_default();
    if rp.resource == "namespaces" && namespace.is_empty() {
        // `/api/v1/namespaces/x`: the request info's namespace is x.
        namespace = name.clone();
    }
    Attributes {
        verb,
        resource_request: true,
        path: path.to_string(),
        api_group: rp.group,
        api_version: rp.version,
        namespace,
        resource: rp.resource,
        subresource: rp.subresource.unwrap_or_default(),
        name,
    }
}

/// `metadata.name=x` (or `==`) when it is the selector's only term.
fn exact_name(sel: &str) -> Option<&str> {
    if sel.contains(',') {
        return None;
    }
    let (k, v) = sel.split_once("==").or_else(|| sel.split_once('='))?;
    (k.trim() == "metadata.name" && !v.is_empty() && !v.starts_with('=')).then_some(v.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(method: Method, target: &str) -> Attributes {
        let (path, q) = target.split_once('?').unwrap_or((target, ""));
        of_request(&method, path, &RawQuery::parse(q))
    }

    #[test]
    fn verbs_from_method_and_query() {
        let a = attrs(Method::GET, "/api/v1/namespaces/ns/pods");
        assert_eq!((a.verb.as_str(), a.namespace.as_str()), ("list", "ns"));
        assert_eq!(attrs(Method::GET, "/api/v1/pods?watch=true").verb, "watch");
        assert_eq!(
            attrs(Method::GET, "/api/v1/watch/namespaces/ns/pods").verb,
            "watch"
        );
        assert_eq!(
            attrs(Method::DELETE, "/api/v1/namespaces/ns/pods").verb,
            "deletecollection"
        );
        assert_eq!(
            attrs(Method::DELETE, "/api/v1/namespaces/ns/pods/p").verb,
            "delete"
        );
        assert_eq!(
            attrs(Method::POST, "/api/v1/namespaces/ns/pods").verb,
            "create"
        );
        assert_eq!(
            attrs(Method::PATCH, "/api/v1/namespaces/ns/pods/p").verb,
            "patch"
        );
        let w = attrs(
            Method::GET,
            "/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dp&watch=1",
        );
        assert_eq!((w.verb.as_str(), w.name.as_str()), ("watch", "p"));
    }

    #[test]
    fn subresources_namespaces_and_non_resource_paths() {
        let s = attrs(
            Method::PUT,
            "/apis/apps/v1/namespaces/ns/deployments/d/scale",
        );
        assert_eq!(
            (
                s.api_group.as_str(),
                s.combined_resource().as_str(),
                s.name.as_str()
            ),
            ("apps", "deployments/scale", "d")
        );
        let n = attrs(Method::GET, "/api/v1/namespaces/ns");
        assert_eq!((n.namespace.as_str(), n.name.as_str()), ("ns", "ns"));
        let d = attrs(Method::GET, "/apis/apps/v1");
        assert!(!d.resource_request);
        assert_eq!((d.verb.as_str(), d.path.as_str()), ("get", "/apis/apps/v1"));
        assert!(!attrs(Method::GET, "/healthz").resource_request);
    }
}
