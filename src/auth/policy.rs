//! The bootstrap RBAC policy a cluster starts with (data files copied from
//! `plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/`, created at
//! start through the API write path as kube-apiserver's
//! `rbac/bootstrap-roles` post-start hook does), and the
//! clusterrole-aggregation controller
//! (`pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go`):
//! a ClusterRole with an `aggregationRule` gets the union of the rules of
//! the ClusterRoles its selectors match, written back through the API.

use super::rbac::{self, PolicyRule};
use crate::api::{self, ApiRequest, ApiState};
use crate::store::ReadAt;
use serde_json::Value;
use std::sync::Arc;

/// The bootstrap ClusterRoles.
pub const CLUSTER_ROLES: &str = include_str!("data/bootstrap-cluster-roles.yaml");
/// The bootstrap ClusterRoleBindings.
pub const CLUSTER_ROLE_BINDINGS: &str = include_str!("data/bootstrap-cluster-role-bindings.yaml");

/// The field manager of the aggregation controller's writes.
pub const AGGREGATION_MANAGER: &str = "clusterrole-aggregation-controller";

/// The objects of one bootstrap file.
pub fn items(text: &str) -> anyhow::Result<Vec<Value>> {
    let list: Value = serde_yaml::from_str(text)?;
    Ok(list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

/// One in-process API call; returns (status, body).
pub async fn call(
    state: &Arc<ApiState>,
    method: http::Method,
    path: &str,
    query: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    let req = ApiRequest {
        method,
        path: path.to_string(),
        query: api::query::RawQuery::parse(query),
        headers,
        body: body
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default()
            .into(),
    };
    let resp = api::handle(state, req).await;
    let value = match resp.body {
        api::ResponseBody::Full(b) => serde_json::from_slice(&b).unwrap_or(Value::Null),
        api::ResponseBody::Stream(_) => Value::Null,
    };
    (resp.status, value)
}

/// Creates the bootstrap policy.
pub async fn bootstrap(state: &Arc<ApiState>) -> anyhow::Result<()> {
    for (text, resource) in [
        (CLUSTER_ROLES, "clusterroles"),
        (CLUSTER_ROLE_BINDINGS, "clusterrolebindings"),
    ] {
        for obj in items(text)? {
            let path = format!("/apis/{}/v1/{resource}", rbac::GROUP);
            let (status, body) = call(
                state,
                http::Method::POST,
                &path,
                "fieldManager=kube-apiserver",
                Some(&obj),
            )
            .await;
            if status >= 300 {
                anyhow::bail!(
                    "bootstrap RBAC policy: creating {resource} {}: {}",
                    obj.pointer("/metadata/name").unwrap_or(&Value::Null),
                    body.get("message").unwrap_or(&body)
                );
            }
        }
    }
    // `admin` aggregates `edit`, which aggregates `view`: a few passes.
    for _ in 0..5 {
        if aggregate(state).await == 0 {
            break;
        }
    }
    Ok(())
}

/// Whether a `metav1.LabelSelector` (matchLabels, matchExpressions)
/// matches the labels.
pub fn selector_matches(selector: &Value, labels: &serde_json::Map<String, Value>) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    if let Some(ml) = selector.get("matchLabels").and_then(Value::as_object) {
        if ml.iter().any(|(k, v)| label(k) != v.as_str()) {
            return false;
        }
    }
    let exprs = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    exprs.iter().all(|e| {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => label(key).is_some_and(|v| values.contains(&v)),
            "NotIn" => label(key).is_none_or(|v| !values.contains(&v)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            _ => false,
        }
    })
}

/// The rules an aggregated role should have, given every ClusterRole
/// (sorted by name, as the controller sorts them).
pub fn aggregated_rules(role: &Value, all: &[Value]) -> Option<Vec<PolicyRule>> {
    let selectors = role
        .pointer("/aggregationRule/clusterRoleSelectors")?
        .as_array()?;
    let name = role.pointer("/metadata/name").and_then(Value::as_str);
    let empty = serde_json::Map::new();
    let mut rules: Vec<PolicyRule> = Vec::new();
    for sel in selectors {
        for other in all {
            if other.pointer("/metadata/name").and_then(Value::as_str) == name {
                continue;
            }
            let labels = other
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            if !selector_matches(sel, labels) {
                continue;
            }
            for r in rbac::rules_of(other) {
                if !rules.contains(&r) {
                    rules.push(r);
                }
            }
        }
    }
    Some(rules)
}

/// One pass of the controller: every aggregated ClusterRole whose rules
/// differ gets them written (PUT, manager `clusterrole-aggregation-controller`).
/// Returns how many roles were updated.
pub async fn aggregate(state: &Arc<ApiState>) -> usize {
    let gr = crate::store::GroupResource::new(rbac::GROUP, "clusterroles");
    let Ok(snap) = state.store.snapshot(&gr, ReadAt::Latest) else {
        return 0;
    };
    let mut all: Vec<Value> = snap.objects.values().map(|o| o.to_value()).collect();
    all.sort_by(|a, b| {
        let n = |v: &Value| {
            v.pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        n(a).cmp(&n(b))
    });
    let mut updated = 0;
    for role in &all {
        let Some(rules) = aggregated_rules(role, &all) else {
            continue;
        };
        if rules == rbac::rules_of(role) {
            continue;
        }
        let mut new = role.clone();
        new["rules"] = serde_json::to_value(&rules).unwrap_or(Value::Null);
        let name = role
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let path = format!("/apis/{}/v1/clusterroles/{name}", rbac::GROUP);
        let (status, body) = call(
            state,
            http::Method::PUT,
            &path,
            &format!("fieldManager={AGGREGATION_MANAGER}"),
            Some(&new),
        )
        .await;
        if status < 300 {
            updated += 1;
        } else {
            // A conflict with a concurrent writer: the next pass retries.
            tracing::debug!("aggregating clusterrole {name}: {status} {body}");
        }
    }
    updated
}

/// Runs the controller until shutdown: a pass whenever the ClusterRoles change.
pub fn spawn_aggregation(state: Arc<ApiState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let gr = crate::store::GroupResource::new(rbac::GROUP, "clusterroles");
        let mut rv = state.store.rv_receiver();
        let mut shutdown = state.shutdown.clone();
        let mut last = state
            .store
            .snapshot(&gr, ReadAt::Latest)
            .ok()
            .map(|s| s.objects);
        loop {
            tokio::select! {
                r = rv.changed() => if r.is_err() { return },
                _ = shutdown.wait_for(|v| *v) => return,
            }
            let now = state
                .store
                .snapshot(&gr, ReadAt::Latest)
                .ok()
                .map(|s| s.objects);
            let same = match (&last, &now) {
                (Some(a), Some(b)) => a.ptr_eq(b),
                (None, None) => true,
                _ => false,
            };
            if same {
                continue;
            }
            // A role aggregated from an aggregated role needs another pass.
            for _ in 0..5 {
                if aggregate(&state).await == 0 {
                    break;
                }
            }
            last = state
                .store
                .snapshot(&gr, ReadAt::Latest)
                .ok()
                .map(|s| s.objects);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bootstrap_data_parses_with_the_expected_roles() {
        let roles = items(CLUSTER_ROLES).expect("roles");
        let names: Vec<&str> = roles
            .iter()
            .filter_map(|r| r.pointer("/metadata/name").and_then(Value::as_str))
            .collect();
        for want in [
            "cluster-admin",
            "admin",
            "edit",
            "view",
            "system:discovery",
            "system:basic-user",
            "system:public-info-viewer",
            "system:monitoring",
        ] {
            assert!(names.contains(&want), "{want} missing");
        }
        let bindings = items(CLUSTER_ROLE_BINDINGS).expect("bindings");
        assert!(bindings
            .iter()
            .any(|b| b.pointer("/subjects/0/name") == Some(&json!("system:masters"))));
        // `view` gets the aggregate-to-view rules, `admin` the edit and view ones.
        let view = roles
            .iter()
            .find(|r| r["metadata"]["name"] == "view")
            .expect("view");
        let rules = aggregated_rules(view, &roles).expect("aggregated");
        assert!(rules
            .iter()
            .any(|r| r.resources.contains(&"pods".to_string())
                && r.verbs.contains(&"list".to_string())));
        assert!(!rules
            .iter()
            .any(|r| r.verbs.contains(&"create".to_string())));
    }

    #[test]
    fn label_selectors() {
        let labels = json!({"a": "1", "b": "2"});
        let l = labels.as_object().expect("map");
        assert!(selector_matches(&json!({"matchLabels": {"a": "1"}}), l));
        assert!(!selector_matches(&json!({"matchLabels": {"a": "2"}}), l));
        assert!(selector_matches(
            &json!({"matchExpressions": [{"key": "b", "operator": "In", "values": ["2", "3"]}]}),
            l
        ));
        assert!(selector_matches(
            &json!({"matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}),
            l
        ));
        assert!(!selector_matches(
            &json!({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}),
            l
        ));
    }
}
