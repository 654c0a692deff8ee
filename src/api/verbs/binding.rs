//! `POST pods/{name}/binding`: the scheduler's (or a user scheduler's)
//! assignment of a pod to a node. Mirrors `BindingREST.Create` and
//! `assignPod`/`setPodHostAndAnnotations` of
//! `pkg/registry/core/pod/storage/storage.go`: the pod gets `spec.nodeName`,
//! the binding's annotations and `PodScheduled=True`; the answer is a
//! `Success` Status with code 201. Like the real registry the write goes
//! straight to storage, so the pod's managedFields do not change.

use crate::api::error::{ApiError, Result};
use crate::api::resource::ResourceRequest;
use crate::api::verbs::write::order_metadata;
use crate::api::ApiResponse;
use crate::meta::status::{Status, StatusDetails};
use crate::store::{Mutation, ObjectKey};
use serde_json::{json, Value};

/// The 400 for a body that is not a Binding.
fn undecodable(err: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!(
        "the body of the request was in an unknown format: {err}"
    ))
}

/// `BindingREST.Create`: `binding.Name` must be the pod's.
fn name_mismatch() -> ApiError {
    ApiError::bad_request("name in URL does not match name in Binding object")
}

/// `assignPod`: only a Node is a target.
fn bad_target(kind: &str) -> ApiError {
    ApiError::invalid(
        "",
        "Binding",
        "",
        vec![crate::api::error::cause(
            "FieldValueInvalid",
            "target.kind",
            format!("Invalid value: \"{kind}\": must be empty or 'Node'"),
        )],
    )
}

/// `setPodHostAndAnnotations` conflicts.
fn being_deleted(name: &str) -> ApiError {
    ApiError::conflict(
        "",
        "pods/binding",
        name,
        &format!("pod {name} is being deleted, cannot be assigned to a host"),
    )
}

fn already_assigned(name: &str, node: &str) -> ApiError {
    ApiError::conflict(
        "",
        "pods/binding",
        name,
        &format!("pod {name} is already assigned to node \"{node}\""),
    )
}

/// Binds the pod named by the path to `target.name`.
pub(crate) async fn bind(rr: &ResourceRequest<'_>) -> Result<ApiResponse> {
    let binding: Value = serde_json::from_slice(&rr.req.body).map_err(undecodable)?;
    let name = rr.name().to_string();
    if let Some(n) = binding.pointer("/metadata/name").and_then(Value::as_str) {
        if !n.is_empty() && n != name {
            return Err(name_mismatch());
        }
    }
    let kind = binding
        .pointer("/target/kind")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !kind.is_empty() && kind != "Node" {
        return Err(bad_target(kind));
    }
    let node = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let annotations = binding.pointer("/metadata/annotations").cloned();
    let dry_run = rr.req.query.get_all("dryRun").iter().any(|v| !v.is_empty());
    let key = ObjectKey::new(rr.namespace(), &name);
    rr.state.store.mutate(&rr.gr, &key, |cur, _| {
        let Some(cur) = cur else {
            return Err(ApiError::not_found("", "pods", &name));
        };
        if cur.pointer("/metadata/deletionTimestamp").is_some() {
            return Err(being_deleted(&name));
        }
        let assigned = cur
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !assigned.is_empty() {
            return Err(already_assigned(&name, assigned));
        }
        let mut pod = (**cur).clone();
        pod["spec"]["nodeName"] = json!(node);
        if let Some(Value::Object(a)) = &annotations {
            let meta = &mut pod["metadata"];
            if !meta.get("annotations").is_some_and(Value::is_object) {
                meta["annotations"] = json!({});
            }
            for (k, v) in a {
                meta["annotations"][k] = v.clone();
            }
        }
        update_scheduled_condition(&mut pod);
        if dry_run {
            return Ok(Mutation::Keep);
        }
        Ok(Mutation::Put(order_metadata(pod)))
    })?;
    let mut status = Status::success(StatusDetails::default());
    status.details = None;
    status.code = 201;
    Ok(ApiResponse::full(
        201,
        "application/json",
        serde_json::to_vec(&status.to_value()).unwrap_or_default(),
    ))
}

/// `podutil.UpdatePodCondition(PodScheduled=True)`: the condition's status
/// changes (and its transition time) or it is added.
fn update_scheduled_condition(pod: &mut Value) {
    let now = crate::meta::time::now_rfc3339();
    if !pod.get("status").is_some_and(Value::is_object) {
        pod["status"] = json!({});
    }
    let status = &mut pod["status"];
    if !status.get("conditions").is_some_and(Value::is_array) {
        status["conditions"] = json!([]);
    }
    let conds = status["conditions"].as_array_mut().expect("array");
    match conds
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("PodScheduled"))
    {
        Some(c) => {
            if c.get("status").and_then(Value::as_str) != Some("True") {
                c["status"] = json!("True");
                c["lastTransitionTime"] = json!(now);
                if let Some(m) = c.as_object_mut() {
                    m.shift_remove("reason");
                    m.shift_remove("message");
                }
            }
        }
        None => conds.push(json!({
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": null,
            "lastTransitionTime": now,
        })),
    }
}
