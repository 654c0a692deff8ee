//! `metadata.managedFields` for non-apply writes: which manager touched
//! which fields, in the `FieldsV1` format
//! (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager`,
//! `sigs.k8s.io/structured-merge-diff`).
//!
//! The manager name is `?fieldManager=` or, failing that, the user agent up
//! to its first `/` (`prefixFromUserAgent`). Lists are keyed by `name` when
//! every element has one (`k:{"name":"c"}`), by value for scalar lists
//! (`v:"x"`), and otherwise treated as atomic.
//! UNVERIFIED: the real field sets come from each type's schema (list merge
//! keys such as `containerPort`); this approximation keys by `name` only.

use serde_json::{json, Map, Value};

/// The manager name for a write (`fieldManager` or the user agent prefix,
/// at most 128 characters).
pub fn manager_name(field_manager: Option<&str>, user_agent: Option<&str>) -> String {
    if let Some(m) = field_manager.filter(|m| !m.is_empty()) {
        return m.to_string();
    }
    let ua = user_agent.unwrap_or("");
    let prefix = ua.split('/').next().unwrap_or("");
    prefix.chars().take(128).collect()
}

/// The `FieldsV1` set of an object's fields, as an `f:` tree, leaving out
/// what the server owns (`apiVersion`, `kind`, `status` is kept,
/// `metadata` is reduced to labels, annotations, finalizers and owner refs).
pub fn fields_v1(obj: &Value) -> Value {
    let Some(m) = obj.as_object() else {
        return json!({});
    };
    let mut out = Map::new();
    for (k, v) in m {
        match k.as_str() {
            "apiVersion" | "kind" => {}
            "metadata" => {
                let mut meta = Map::new();
                if let Some(mm) = v.as_object() {
                    for key in ["annotations", "finalizers", "labels", "ownerReferences"] {
                        if let Some(x) = mm.get(key) {
                            meta.insert(format!("f:{key}"), field_set(x));
                        }
                    }
                }
                if !meta.is_empty() {
                    out.insert("f:metadata".into(), Value::Object(meta));
                }
            }
            _ => {
                out.insert(format!("f:{k}"), field_set(v));
            }
        }
    }
    sort_map(Value::Object(out))
}

fn field_set(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            out.insert(".".into(), json!({}));
            for (k, x) in m {
                out.insert(format!("f:{k}"), field_set(x));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let keyed = !items.is_empty()
                && items
                    .iter()
                    .all(|i| i.get("name").and_then(Value::as_str).is_some());
            if keyed {
                let mut out = Map::new();
                out.insert(".".into(), json!({}));
                for i in items {
                    let name = i.get("name").cloned().unwrap_or(Value::Null);
                    let key = format!("k:{}", json!({ "name": name }));
                    let mut inner = match field_set(i) {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    };
                    inner.insert(".".into(), json!({}));
                    out.insert(key, Value::Object(inner));
                }
                Value::Object(out)
            } else if !items.is_empty() && items.iter().all(|i| !i.is_object() && !i.is_array()) {
                let mut out = Map::new();
                out.insert(".".into(), json!({}));
                for i in items {
                    out.insert(format!("v:{i}"), json!({}));
                }
                Value::Object(out)
            } else {
                json!({})
            }
        }
        _ => json!({}),
    }
}

fn sort_map(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sort_map(v))).collect())
        }
        other => other,
    }
}

/// Records an `Update` (or `Apply`) by `manager` on `obj`: replaces that
/// manager's entry for the same operation and API version.
pub fn record(obj: &mut Value, manager: &str, operation: &str, api_version: &str, now: &str) {
    let fields = fields_v1(obj);
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let mut entries: Vec<Value> = meta
        .get("managedFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    entries.retain(|e| {
        !(e.get("manager").and_then(Value::as_str) == Some(manager)
            && e.get("operation").and_then(Value::as_str) == Some(operation))
    });
    entries.push(json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }));
    meta.insert("managedFields".into(), Value::Array(entries));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_comes_from_the_user_agent_prefix() {
        assert_eq!(
            manager_name(None, Some("kubectl/v1.37.1 (linux)")),
            "kubectl"
        );
        assert_eq!(manager_name(Some("mine"), Some("kubectl/v1")), "mine");
        assert_eq!(manager_name(None, None), "");
    }

    #[test]
    fn a_configmap_s_fields_match_the_real_server() {
        let cm =
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}});
        assert_eq!(fields_v1(&cm), json!({"f:data":{".":{},"f:k":{}}}));
    }

    #[test]
    fn containers_are_keyed_by_name() {
        let pod = json!({"spec":{"containers":[{"name":"c","image":"i"}]}});
        assert_eq!(
            fields_v1(&pod),
            json!({"f:spec":{".":{},"f:containers":{".":{},"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{}}}}})
        );
    }
}
