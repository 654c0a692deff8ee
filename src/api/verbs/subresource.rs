//! The `/scale` subresource: an `autoscaling/v1` `Scale` view of a
//! workload's replicas (`pkg/registry/apps/deployment/storage/storage.go`
//! `ScaleREST`, and the custom resource `ScaleREST` of
//! `apiextensions-apiserver/pkg/registry/customresource/etcd.go`).
//!
//! GET builds `{metadata: name/namespace/uid/resourceVersion/creationTimestamp,
//! spec.replicas, status.replicas, status.selector}` from the parent; PUT and
//! PATCH change `spec.replicas` of the parent only (generation rises when it
//! changes). `/status` needs nothing here: GET returns the whole object and
//! the update strategy keeps only the status (see `write.rs`).

use super::encoding;
use crate::api::crd::{self, ScalePaths};
use crate::api::error::{cause, ApiError, Result};
use crate::api::negotiate::{self, Endpoint, RequestFormat};
use crate::api::resource::ResourceRequest;
use crate::api::verbs::write::order_metadata;
use crate::api::ApiResponse;
use crate::store::{Mutation, ObjectKey};
use serde_json::{json, Map, Value};

/// Where a resource keeps what its Scale shows.
enum Source {
    /// Built-in: `spec.replicas`, `status.replicas`, `spec.selector` (a
    /// LabelSelector, or a plain map for replicationcontrollers).
    Builtin { map_selector: bool },
    /// A custom resource's scale paths.
    Custom(ScalePaths),
}

fn source(rr: &ResourceRequest<'_>) -> Option<Source> {
    if crd::is_custom_resource(&rr.def) {
        return crd::scale_paths(rr.state, &rr.def).map(Source::Custom);
    }
    match (rr.def.group.as_str(), rr.def.resource.as_str()) {
        ("", "replicationcontrollers") => Some(Source::Builtin { map_selector: true }),
        ("apps", "deployments" | "replicasets" | "statefulsets") => Some(Source::Builtin {
            map_selector: false,
        }),
        _ => None,
    }
}

/// `labels.Selector.String()` of a `metav1.LabelSelector`
/// (`LabelSelectorAsSelector`): requirements sorted by key, values sorted.
pub(crate) fn format_label_selector(sel: &Value) -> String {
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in m {
            reqs.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
        }
    }
    if let Some(exprs) = sel.get("matchExpressions").and_then(Value::as_array) {
        for e in exprs {
            let key = e
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let mut values: Vec<String> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            values.sort();
            values.dedup();
            let text = match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                "In" => format!("{key} in ({})", values.join(",")),
                "NotIn" => format!("{key} notin ({})", values.join(",")),
                "Exists" => key.clone(),
                "DoesNotExist" => format!("!{key}"),
                _ => continue,
            };
            reqs.push((key, text));
        }
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    reqs.into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",")
}

/// `labels.SelectorFromSet(map).String()`.
fn format_map_selector(sel: &Value) -> String {
    let mut parts: Vec<String> = sel
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    parts.sort();
    parts.join(",")
}

/// The Scale of an object.
fn scale_of(src: &Source, obj: &Value) -> Value {
    let mut meta = Map::new();
    for k in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = obj.get("metadata").and_then(|m| m.get(k)) {
            meta.insert(k.into(), v.clone());
        }
    }
    let (spec_replicas, status_replicas, selector) = match src {
        Source::Builtin { map_selector } => {
            let sel = obj
                .pointer("/spec/selector")
                .cloned()
                .unwrap_or(Value::Null);
            (
                obj.pointer("/spec/replicas").and_then(Value::as_i64),
                obj.pointer("/status/replicas").and_then(Value::as_i64),
                if *map_selector {
                    format_map_selector(&sel)
                } else {
                    format_label_selector(&sel)
                },
            )
        }
        Source::Custom(p) => (
            crd::json_path(obj, &p.spec_replicas).and_then(Value::as_i64),
            crd::json_path(obj, &p.status_replicas).and_then(Value::as_i64),
            p.label_selector
                .as_deref()
                .and_then(|path| crd::json_path(obj, path))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        ),
    };
    let mut spec = Map::new();
    if let Some(r) = spec_replicas.filter(|r| *r != 0) {
        spec.insert("replicas".into(), json!(r));
    }
    let mut status = Map::new();
    status.insert("replicas".into(), json!(status_replicas.unwrap_or(0)));
    if !selector.is_empty() {
        status.insert("selector".into(), json!(selector));
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": meta,
        "spec": spec,
        "status": status,
    })
}

fn respond(rr: &ResourceRequest<'_>, endpoint: Endpoint, body: &Value) -> Result<ApiResponse> {
    let n = rr.negotiate(endpoint)?;
    if n.format == crate::api::negotiate::Format::Protobuf {
        return super::protobuf_response(200, body);
    }
    let enc = encoding(rr, &n);
    Ok(ApiResponse::full(200, enc.content_type(), enc.encode(body)))
}

/// GET, PUT or PATCH of `/scale`.
pub(crate) async fn scale(rr: &ResourceRequest<'_>) -> Result<ApiResponse> {
    let Some(src) = source(rr) else {
        return Err(ApiError::resource_not_found());
    };
    let not_found = || ApiError::not_found(&rr.def.group, &rr.def.resource, rr.name());
    let method = rr.req.method.as_str();
    if method == "GET" || method == "HEAD" {
        rr.negotiate(Endpoint::Get)?;
        let obj = rr
            .state
            .store
            .get(&rr.gr, rr.namespace(), rr.name())
            .ok_or_else(not_found)?;
        return respond(rr, Endpoint::Get, &scale_of(&src, &obj));
    }
    rr.negotiate(Endpoint::Write)?;
    let format = negotiate::check_request_content_type(
        method,
        rr.req.header("content-type"),
        rr.capabilities(),
    )
    .map_err(|u| ApiError::unsupported_media_type(u.message, u.details_empty_object))?;
    let body: Value = match format {
        RequestFormat::Protobuf => crate::api::decode::decode_object(
            &rr.req.body,
            format,
            sub_kind(&rr.def, rr.path.subresource.as_deref()),
        )?,
        RequestFormat::Yaml | RequestFormat::ApplyPatchYaml => {
            let v: serde_yaml::Value = serde_yaml::from_slice(&rr.req.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
            serde_json::to_value(v).map_err(|e| ApiError::bad_request(e.to_string()))?
        }
        _ => serde_json::from_slice(&rr.req.body)
            .map_err(|e| ApiError::bad_request(format!("error decoding body: {e}")))?,
    };
    let key = ObjectKey::new(rr.namespace(), rr.name());
    let mut response: Option<Value> = None;
    let result = rr.state.store.mutate(&rr.gr, &key, |cur, _| {
        let Some(cur) = cur else {
            return Err(not_found());
        };
        let current = scale_of(&src, cur);
        let wanted = if method == "PATCH" {
            let mut target = current.clone();
            match format {
                RequestFormat::JsonPatch => {
                    let ops: json_patch::Patch = serde_json::from_value(body.clone())
                        .map_err(|e| ApiError::bad_request(e.to_string()))?;
                    json_patch::patch(&mut target, &ops).map_err(|_| {
                        ApiError::from_status(crate::meta::status::Status::failure(
                            422,
                            crate::meta::status::reason::INVALID,
                            "the server rejected our request due to an error in our request",
                        ))
                    })?;
                }
                _ => json_patch::merge(&mut target, &body),
            }
            target
        } else {
            body.clone()
        };
        let rv = wanted
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !rv.is_empty()
            && Some(rv) != cur.pointer("/metadata/resourceVersion").and_then(Value::as_str)
        {
            return Err(ApiError::stale_update(
                &rr.def.group,
                &rr.def.resource,
                rr.name(),
            ));
        }
        let replicas = match wanted.pointer("/spec/replicas") {
            None | Some(Value::Null) => 0,
            Some(v) => v.as_i64().ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Scale in version \"v1\" cannot be handled as a Scale: json: cannot unmarshal {} into Go struct field ScaleSpec.spec.replicas of type int32",
                    crate::api::decode::go_json_type(v)
                ))
            })?,
        };
        if replicas < 0 {
            return Err(ApiError::invalid(
                "autoscaling",
                "Scale",
                rr.name(),
                vec![cause(
                    "FieldValueInvalid",
                    "spec.replicas",
                    format!("Invalid value: {replicas}: must be greater than or equal to 0"),
                )],
            ));
        }
        let mut next = (**cur).clone();
        match &src {
            Source::Builtin { .. } => crd::set_json_path(&mut next, ".spec.replicas", json!(replicas)),
            Source::Custom(p) => crd::set_json_path(&mut next, &p.spec_replicas, json!(replicas)),
        }
        if next == **cur {
            response = Some(current);
            return Ok(Mutation::Keep);
        }
        if crd::tracks_generation(&rr.def) {
            let g = next
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if let Some(m) = next.get_mut("metadata").and_then(Value::as_object_mut) {
                m.insert("generation".into(), json!(g + 1));
            }
        }
        Ok(Mutation::Put(order_metadata(next)))
    })?;
    let body = match (result, response) {
        (Some(stored), _) => scale_of(&src, &stored),
        (None, Some(unchanged)) => unchanged,
        (None, None) => return Err(ApiError::internal("scale stored nothing")),
    };
    respond(rr, Endpoint::Write, &body)
}

/// GET of `pods/NAME/log`: the container's log (`crate::streams::logs`).
pub(crate) fn log(rr: &ResourceRequest<'_>) -> Result<ApiResponse> {
    crate::streams::logs::serve(rr.state, rr.namespace(), rr.name(), &rr.req.query)
}

/// The Go kind a subresource body decodes into (`Scale` for `/scale`, the
/// resource's own kind for `/status`).
fn sub_kind<'a>(def: &'a crate::registry::ResourceDef, sub: Option<&str>) -> &'a str {
    match sub {
        Some("scale") => "Scale",
        _ => &def.kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_print_like_labels_selector() {
        let sel = json!({
            "matchLabels": {"app": "x", "tier": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "gone", "operator": "DoesNotExist"},
                {"key": "b", "operator": "Exists"},
                {"key": "z", "operator": "NotIn", "values": ["1"]}
            ]
        });
        assert_eq!(
            format_label_selector(&sel),
            "app=x,b,env in (dev,prod),!gone,tier=web,z notin (1)"
        );
        assert_eq!(format_map_selector(&json!({"b": "2", "a": "1"})), "a=1,b=2");
        assert_eq!(format_label_selector(&Value::Null), "");
    }

    #[test]
    fn scale_view() {
        let d = json!({
            "metadata": {"name": "d", "namespace": "ns", "uid": "u", "resourceVersion": "5",
                          "creationTimestamp": "2025-01-01T00:00:00Z", "labels": {"a": "b"}, "generation": 2},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "d"}}},
        });
        let s = scale_of(
            &Source::Builtin {
                map_selector: false,
            },
            &d,
        );
        assert_eq!(
            s,
            json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
                   "metadata": {"name": "d", "namespace": "ns", "uid": "u", "resourceVersion": "5", "creationTimestamp": "2025-01-01T00:00:00Z"},
                   "spec": {"replicas": 3}, "status": {"replicas": 0, "selector": "app=d"}})
        );
        let cr = json!({"metadata": {"name": "c"}, "spec": {"count": 0}, "status": {"n": 2, "sel": "x=y"}});
        let p = ScalePaths {
            spec_replicas: ".spec.count".into(),
            status_replicas: ".status.n".into(),
            label_selector: Some(".status.sel".into()),
        };
        let s = scale_of(&Source::Custom(p), &cr);
        assert_eq!(s["spec"], json!({}));
        assert_eq!(s["status"], json!({"replicas": 2, "selector": "x=y"}));
    }
}
