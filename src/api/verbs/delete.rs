//! DELETE of one object and of a collection: preconditions, finalizers,
//! what the response body is per resource, and the namespace controller
//! kubemock runs in place of kube-controller-manager's.

use super::{respond_list, respond_object};
use crate::api::error::{ApiError, Result};
use crate::api::negotiate::{Endpoint, Negotiated};
use crate::api::options::{DeleteOptions, ListOptions};
use crate::api::resource::ResourceRequest;
use crate::api::verbs::read::matches;
use crate::api::verbs::write::order_metadata;
use crate::api::{ApiResponse, ApiState};
use crate::meta::status::{Status, StatusDetails};
use crate::meta::time::now_rfc3339;
use crate::store::{GroupResource, Mutation, ObjectKey, ReadAt};
use serde_json::{json, Value};
use std::sync::Arc;

/// Resources whose registry returns the deleted object rather than a
/// `Status` (`ReturnDeletedObject`, or their own `Delete`); seen on the real
/// server for pods, services and namespaces (real-server-findings).
const RETURNS_DELETED_OBJECT: &[(&str, &str)] =
    &[("", "namespaces"), ("", "pods"), ("", "services")];

fn returns_object(group: &str, resource: &str) -> bool {
    RETURNS_DELETED_OBJECT.contains(&(group, resource))
}

fn has_finalizers(obj: &Value) -> bool {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty())
}

/// What a delete did.
enum Outcome {
    /// Removed from the store (the last state).
    Deleted(Arc<Value>),
    /// Marked for deletion and kept (finalizers, or a namespace terminating).
    Pending(Arc<Value>),
}

/// Deletes one object, honouring preconditions and finalizers.
fn delete_one(
    state: &Arc<ApiState>,
    def: &crate::registry::ResourceDef,
    gr: &GroupResource,
    key: &ObjectKey,
    opts: &DeleteOptions,
) -> Result<Outcome> {
    let mut pending = false;
    let mut kept: Option<Arc<Value>> = None;
    let is_namespace = gr.group.is_empty() && gr.resource == "namespaces";
    let res = state.store.mutate(gr, key, |current, _| {
        let Some(cur) = current else {
            return Err(ApiError::not_found(&def.group, &def.resource, &key.name));
        };
        let uid = cur.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or("");
        let rv = cur
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if let Some(want) = &opts.precondition_uid {
            if want != uid {
                return Err(ApiError::conflict(
                    &def.group,
                    &def.kind,
                    &key.name,
                    &format!("the UID in the precondition ({want}) does not match the UID in record ({uid}). The object might have been deleted and then recreated"),
                ));
            }
        }
        if let Some(want) = &opts.precondition_rv {
            if want != rv {
                return Err(ApiError::conflict(
                    &def.group,
                    &def.kind,
                    &key.name,
                    &format!("the ResourceVersion in the precondition ({want}) does not match the ResourceVersion in record ({rv}). The object might have been modified"),
                ));
            }
        }
        if cur.pointer("/metadata/deletionTimestamp").is_some() {
            // Already being deleted: nothing changes.
            pending = true;
            kept = Some(cur.clone());
            return Ok(Mutation::Keep);
        }
        if has_finalizers(cur) || is_namespace {
            pending = true;
            let mut next = (**cur).clone();
            if let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("deletionTimestamp".into(), json!(now_rfc3339()));
                meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                if crate::api::objects::defaults::tracks_generation(&def.group, &def.resource) {
                    let g = meta.get("generation").and_then(Value::as_i64).unwrap_or(0);
                    meta.insert("generation".into(), json!(g + 1));
                }
            }
            if is_namespace {
                if let Some(m) = next.as_object_mut() {
                    m.insert("status".into(), json!({"phase": "Terminating"}));
                }
            }
            if opts.dry_run {
                kept = Some(Arc::new(next));
                return Ok(Mutation::Keep);
            }
            return Ok(Mutation::Put(order_metadata(next)));
        }
        if opts.dry_run {
            kept = Some(cur.clone());
            return Ok(Mutation::Keep);
        }
        Ok(Mutation::Delete)
    })?;
    let obj = res
        .or(kept)
        .ok_or_else(|| ApiError::internal("delete changed nothing"))?;
    if is_namespace && pending && !opts.dry_run {
        spawn_namespace_controller(state.clone(), key.name.clone());
    }
    Ok(if pending {
        Outcome::Pending(obj)
    } else {
        Outcome::Deleted(obj)
    })
}

/// DELETE one object.
pub(crate) async fn delete(rr: &ResourceRequest<'_>) -> Result<ApiResponse> {
    let n = rr.negotiate(Endpoint::Write)?;
    let opts = DeleteOptions::decode(&rr.req.query, &rr.req.body)?;
    let key = ObjectKey::new(rr.namespace(), rr.name());
    match delete_one(rr.state, &rr.def, &rr.gr, &key, &opts)? {
        Outcome::Pending(obj) => respond_object(rr, &n, 200, &obj),
        Outcome::Deleted(obj) if returns_object(&rr.def.group, &rr.def.resource) => {
            respond_object(rr, &n, 200, &obj)
        }
        Outcome::Deleted(obj) => {
            let status = Status::success(StatusDetails {
                name: rr.name().into(),
                group: rr.def.group.clone(),
                kind: rr.def.resource.clone(),
                uid: obj
                    .pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .into(),
                ..Default::default()
            });
            status_response(rr, &n, &status)
        }
    }
}

fn status_response(
    rr: &ResourceRequest<'_>,
    n: &Negotiated,
    status: &Status,
) -> Result<ApiResponse> {
    let enc = super::encoding(rr, n);
    Ok(ApiResponse::full(
        200,
        enc.content_type(),
        enc.encode(&status.to_value()),
    ))
}

/// DELETE a collection: every object that matches the selectors, returned
/// as a list.
pub(crate) async fn delete_collection(rr: &ResourceRequest<'_>) -> Result<ApiResponse> {
    let n = rr.negotiate(Endpoint::List)?;
    let mut list_opts = ListOptions::decode(&rr.req.query, false)?;
    list_opts.watch = false;
    list_opts
        .field_selector
        .check_supported(&rr.def.group, &rr.def.resource)
        .map_err(ApiError::bad_request)?;
    let opts = DeleteOptions::decode(&rr.req.query, &rr.req.body)?;
    let snapshot = rr
        .state
        .store
        .snapshot(&rr.gr, ReadAt::Latest)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut deleted = Vec::new();
    for (key, obj) in snapshot.objects.iter() {
        if !matches(rr, &list_opts, obj) {
            continue;
        }
        match delete_one(rr.state, &rr.def, &rr.gr, key, &opts) {
            Ok(Outcome::Deleted(o)) | Ok(Outcome::Pending(o)) => deleted.push(o),
            // Deleted concurrently: nothing to report.
            Err(e) if e.code() == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let items: Vec<&Value> = deleted.iter().map(|o| o.as_ref()).collect();
    let meta = json!({"resourceVersion": rr.state.store.current_rv().to_string()});
    respond_list(rr, &n, &items, meta)
}

/// Deletes everything in a terminating namespace, then the namespace: the
/// namespace controller's job, done by kubemock itself because there is no
/// kube-controller-manager (the real apiserver alone leaves namespaces
/// Terminating forever).
pub(crate) fn spawn_namespace_controller(state: Arc<ApiState>, namespace: String) {
    tokio::spawn(async move {
        finalize_namespace(&state, &namespace);
    });
}

/// Runs the namespace controller once for one namespace.
pub fn finalize_namespace(state: &Arc<ApiState>, namespace: &str) {
    let opts = DeleteOptions::default();
    for (gr, name) in state.store.keys_in_namespace(namespace) {
        let def = {
            let reg = state.registry();
            reg.versions(&gr.group)
                .iter()
                .find_map(|v| reg.lookup(&gr.group, v, &gr.resource).cloned())
        };
        let Some(def) = def else { continue };
        let _ = delete_one(state, &def, &gr, &ObjectKey::new(namespace, &name), &opts);
    }
    let gr = GroupResource::new("", "namespaces");
    let key = ObjectKey::new("", namespace);
    let _ = state.store.mutate::<ApiError>(&gr, &key, |cur, _| {
        let Some(cur) = cur else {
            return Ok(Mutation::Keep);
        };
        if cur.pointer("/metadata/deletionTimestamp").is_none() {
            return Ok(Mutation::Keep);
        }
        if has_finalizers(cur) {
            // Other finalizers still hold it: clear only the spec finalizer.
            let mut next = (**cur).clone();
            if let Some(spec) = next.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("finalizers".into(), json!([]));
            }
            return Ok(Mutation::Put(next));
        }
        Ok(Mutation::Delete)
    });
}
