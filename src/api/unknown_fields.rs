//! Unknown fields in a request body: dropped from the object and reported
//! as `Warning: 299 - "unknown field \"path\""` headers, as the strict
//! decoder does with `fieldValidation=Warn` (the default).
//!
//! The known fields are data: the top-level fields of each built-in kind
//! and the fields of `ObjectMeta`. Kinds missing from the table keep every
//! field (UNVERIFIED for them; nested unknown fields are not detected until
//! kubemock serves full OpenAPI schemas).

use serde_json::Value;

use crate::meta::OBJECT_META_FIELDS as OBJECT_META;

/// Top-level fields besides `kind`, `apiVersion`, `metadata`, per kind.
#[rustfmt::skip]
const TOP_LEVEL: &[(&str, &str, &[&str])] = &[
    ("", "ConfigMap", &["data", "binaryData", "immutable"]),
    ("", "Secret", &["data", "stringData", "type", "immutable"]),
    ("", "Pod", &["spec", "status"]),
    ("", "Service", &["spec", "status"]),
    ("", "Namespace", &["spec", "status"]),
    ("", "Node", &["spec", "status"]),
    ("", "PersistentVolume", &["spec", "status"]),
    ("", "PersistentVolumeClaim", &["spec", "status"]),
    ("", "ReplicationController", &["spec", "status"]),
    ("", "ResourceQuota", &["spec", "status"]),
    ("", "LimitRange", &["spec"]),
    ("", "PodTemplate", &["template"]),
    ("", "ServiceAccount", &["secrets", "imagePullSecrets", "automountServiceAccountToken"]),
    ("", "Endpoints", &["subsets"]),
    ("", "Event", &["involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type", "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance"]),
    ("apps", "Deployment", &["spec", "status"]),
    ("apps", "ReplicaSet", &["spec", "status"]),
    ("apps", "StatefulSet", &["spec", "status"]),
    ("apps", "DaemonSet", &["spec", "status"]),
    ("apps", "ControllerRevision", &["data", "revision"]),
    ("batch", "Job", &["spec", "status"]),
    ("batch", "CronJob", &["spec", "status"]),
    ("coordination.k8s.io", "Lease", &["spec"]),
    ("discovery.k8s.io", "EndpointSlice", &["addressType", "endpoints", "ports"]),
    ("networking.k8s.io", "Ingress", &["spec", "status"]),
    ("networking.k8s.io", "IngressClass", &["spec"]),
    ("networking.k8s.io", "NetworkPolicy", &["spec"]),
    ("policy", "PodDisruptionBudget", &["spec", "status"]),
    ("rbac.authorization.k8s.io", "Role", &["rules"]),
    ("rbac.authorization.k8s.io", "ClusterRole", &["rules", "aggregationRule"]),
    ("rbac.authorization.k8s.io", "RoleBinding", &["subjects", "roleRef"]),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding", &["subjects", "roleRef"]),
    ("scheduling.k8s.io", "PriorityClass", &["value", "globalDefault", "description", "preemptionPolicy"]),
    ("storage.k8s.io", "StorageClass", &["provisioner", "parameters", "reclaimPolicy", "mountOptions", "allowVolumeExpansion", "volumeBindingMode", "allowedTopologies"]),
    ("autoscaling", "HorizontalPodAutoscaler", &["spec", "status"]),
    ("events.k8s.io", "Event", &["eventTime", "series", "reportingController", "reportingInstance", "action", "reason", "regarding", "related", "note", "type", "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount"]),
    ("apiextensions.k8s.io", "CustomResourceDefinition", &["spec", "status"]),
];

/// Removes the fields `kind` (in `group`) does not have; returns their
/// paths in document order.
pub fn prune(group: &str, kind: &str, obj: &mut Value) -> Vec<String> {
    let mut unknown = Vec::new();
    let Some(known) = TOP_LEVEL
        .iter()
        .find(|(g, k, _)| *g == group && *k == kind)
        .map(|(_, _, f)| *f)
    else {
        return unknown;
    };
    let Some(map) = obj.as_object_mut() else {
        return unknown;
    };
    map.retain(|key, _| {
        let keep = matches!(key.as_str(), "kind" | "apiVersion" | "metadata")
            || known.contains(&key.as_str());
        if !keep {
            unknown.push(key.clone());
        }
        keep
    });
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.retain(|key, _| {
            let keep = OBJECT_META.contains(&key.as_str());
            if !keep {
                unknown.push(format!("metadata.{key}"));
            }
            keep
        });
    }
    drop_empty(group, kind, map);
    unknown
}

/// Go's encoder omits empty `omitempty` maps and slices, so a decoded and
/// re-encoded object loses them: `labels: {}` is not stored.
fn drop_empty(group: &str, kind: &str, map: &mut serde_json::Map<String, Value>) {
    let empty = |v: &Value| match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Null => true,
        _ => false,
    };
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in ["labels", "annotations", "finalizers", "ownerReferences"] {
            if meta.get(key).is_some_and(empty) {
                meta.shift_remove(key);
            }
        }
    }
    let maps: &[&str] = match (group, kind) {
        ("", "ConfigMap") => &["data", "binaryData"],
        ("", "Secret") => &["data", "stringData"],
        _ => &[],
    };
    for key in maps {
        if map.get(*key).is_some_and(empty) {
            map.shift_remove(*key);
        }
    }
}

/// The `Warning` header value for one unknown field.
pub fn warning(path: &str) -> String {
    let msg = format!("unknown field \"{path}\"");
    format!("299 - {}", crate::api::query::go_quote(&msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prunes_and_reports() {
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "x": 1}, "data": {}, "bogus": 1});
        assert_eq!(prune("", "ConfigMap", &mut cm), vec!["bogus", "metadata.x"]);
        assert_eq!(
            cm,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
        );
        assert_eq!(warning("bogus"), r#"299 - "unknown field \"bogus\"""#);
        let mut other = json!({"kind": "Foo", "x": 1});
        assert!(prune("example.com", "Foo", &mut other).is_empty());
        assert!(prune("", "ConfigMap", &mut json!("str")).is_empty());
    }
}
