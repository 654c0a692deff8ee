//! Defaulting: the fields kube-apiserver fills in on create/update
//! (`pkg/apis/*/v1/defaults.go` and the registry strategies).

use serde_json::Value;

/// State defaulting needs across requests (cluster IPs handed out...).
#[derive(Debug, Default)]
pub struct DefaultsContext {
    /// Next service cluster IP offset.
    pub next_cluster_ip: u32,
}

/// Fills in defaults on `obj` (kind `kind` in `group`); `old` is the stored
/// object on update.
pub fn apply_defaults(
    _group: &str,
    _kind: &str,
    _obj: &mut Value,
    _old: Option<&Value>,
    _ctx: &mut DefaultsContext,
) {
}

/// Whether `metadata.generation` is kept (bumped on spec changes).
pub fn tracks_generation(group: &str, resource: &str) -> bool {
    matches!(
        (group, resource),
        ("apps", _) | ("batch", _) | ("", "replicationcontrollers")
    )
}

/// Whether create/update of the main resource ignore `status` (status is
/// written through the status subresource).
pub fn has_status_subresource_semantics(_group: &str, _resource: &str) -> bool {
    false
}
