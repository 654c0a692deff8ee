//! DELETE of one object and of a collection: preconditions, finalizers,
//! graceful deletion of pods, what the response body is per resource. The
//! namespace controller is `cluster::namespace`.

use super::{respond_list, respond_object};
use crate::api::error::{ApiError, Result};
use crate::api::negotiate::{Endpoint, Negotiated};
use crate::api::options::{DeleteOptions, ListOptions};
use crate::api::resource::ResourceRequest;
use crate::api::verbs::read::matches;
use crate::api::verbs::write::order_metadata;
use crate::api::{ApiResponse, ApiState};
use crate::meta::status::{Status, StatusDetails};
use crate::store::{GroupResource, Mutation, ObjectKey, ReadAt, StoredObject};
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
    let is_crd = crate::api::crd::is_crd(&gr.group, &gr.resource);
    let is_pod = gr.group.is_empty() && gr.resource == "pods";
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
            if is_pod {
                if let Some(m) = shorten_grace(cur, opts) {
                    return Ok(m);
                }
            }
            // Already being deleted: nothing changes.
            pending = true;
            kept = Some(cur.clone());
            return Ok(Mutation::Keep);
        }
        if is_crd {
            // The CRD's REST `Delete`: Terminating, cleanup finalizer.
            pending = true;
            let next = crate::api::crd::begin_delete(cur);
            if opts.dry_run {
                kept = Some(Arc::new(next));
                return Ok(Mutation::Keep);
            }
            return Ok(Mutation::Put(order_metadata(next)));
        }
        let gc_finalizers = gc_finalizers(cur, opts);
        let grace = if is_pod { pod_grace_period(cur, opts) } else { 0 };
        if has_finalizers(cur) || is_namespace || gc_finalizers.is_some() || grace > 0 {
            pending = true;
            let mut next = (**cur).clone();
            if let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) {
                if let Some(f) = &gc_finalizers {
                    meta.insert("finalizers".into(), json!(f));
                }
                // markAsDeleting: generation rises when the object has one.
                let g = meta.get("generation").and_then(Value::as_i64).unwrap_or(0);
                if g > 0 {
                    meta.insert("generation".into(), json!(g + 1));
                }
                meta.insert("deletionTimestamp".into(), json!(deletion_timestamp(grace)));
                meta.insert("deletionGracePeriodSeconds".into(), json!(grace));
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
    let written = res.is_some();
    let obj = res
        .or(kept)
        .ok_or_else(|| ApiError::internal("delete changed nothing"))?;
    if opts.dry_run || !written {
        return Ok(if pending {
            Outcome::Pending(obj)
        } else {
            Outcome::Deleted(obj)
        });
    }
    // A terminating namespace is finalized by the namespace controller
    // (`cluster::namespace`), as kube-controller-manager's; without
    // controllers it stays Terminating, as on a bare kube-apiserver.
    if is_crd && pending {
        // The finalizer controller runs at once: the objects go, then the CRD.
        crate::api::crd::finish_delete(state, &key.name);
    }
    if !is_crd && !is_namespace {
        spawn_garbage_collector(state.clone(), gr.clone(), key.clone(), obj.clone());
    }
    Ok(if pending {
        Outcome::Pending(obj)
    } else {
        Outcome::Deleted(obj)
    })
}

/// The finalizers the garbage collector's policy adds
/// (`deletionFinalizersForGarbageCollection`): `orphan` for
/// `propagationPolicy=Orphan`, `foregroundDeletion`
/// for `Foreground`; `None` when the finalizers stay as they are.
/// UNVERIFIED: the default policy is taken as Background for every
/// resource (the real server orphans by default for core/v1
/// replicationcontrollers and batch/v1 jobs).
fn gc_finalizers(cur: &Value, opts: &DeleteOptions) -> Option<Vec<String>> {
    let add = match opts.propagation_policy.as_deref() {
        Some("Orphan") => Some(FINALIZER_ORPHAN),
        Some("Foreground") => Some(FINALIZER_FOREGROUND),
        Some(_) => None,
        None => return None,
    };
    let old: Vec<String> = cur
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut new: Vec<String> = old
        .iter()
        .filter(|f| *f != FINALIZER_ORPHAN && *f != FINALIZER_FOREGROUND)
        .cloned()
        .collect();
    if let Some(f) = add {
        new.push(f.to_string());
    }
    let (mut a, mut b) = (old.clone(), new.clone());
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    (a != b).then_some(new)
}

/// The pod strategy's `CheckGracefulDelete` (UNVERIFIED against a
/// recording; `pkg/registry/core/pod/strategy.go`): the request's
/// `gracePeriodSeconds`, else `spec.terminationGracePeriodSeconds`; 0 for a
/// pod no node runs (no `nodeName`) or one that has finished.
fn pod_grace_period(pod: &Value, opts: &DeleteOptions) -> i64 {
    let unscheduled = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);
    let finished = matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    );
    if unscheduled || finished {
        return 0;
    }
    opts.grace_period_seconds
        .or_else(|| {
            pod.pointer("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
        })
        .unwrap_or(0)
        .max(0)
}

/// `metav1.Now() + grace`: a graceful deletion's timestamp is when the
/// grace period ends.
fn deletion_timestamp(grace: i64) -> String {
    crate::meta::time::format_time(chrono::Utc::now() + chrono::Duration::seconds(grace))
}

/// `rest.BeforeDelete` for an object already being deleted gracefully: a
/// shorter grace period moves the deadline; a zero one (or a stored zero)
/// removes it now. `None` keeps the pending deletion as it is.
fn shorten_grace(cur: &Value, opts: &DeleteOptions) -> Option<Mutation> {
    let stored = cur
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let wanted = if stored == 0 {
        0
    } else {
        opts.grace_period_seconds.filter(|g| *g < stored)?.max(0)
    };
    if opts.dry_run {
        return None;
    }
    if wanted == 0 && !has_finalizers(cur) {
        return Some(Mutation::Delete);
    }
    let mut next = cur.clone();
    let ts = cur
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
        .and_then(crate::meta::time::parse_time)
        .map(|t| t - chrono::Duration::seconds(stored) + chrono::Duration::seconds(wanted))?;
    next["metadata"]["deletionTimestamp"] = json!(crate::meta::time::format_time(ts));
    next["metadata"]["deletionGracePeriodSeconds"] = json!(wanted);
    Some(Mutation::Put(next))
}

/// `metav1.FinalizerOrphanDependents`.
const FINALIZER_ORPHAN: &str = "orphan";
/// `metav1.FinalizerDeleteDependents`.
const FINALIZER_FOREGROUND: &str = "foregroundDeletion";

/// The garbage collector's part, done by kubemock itself (there is no
/// kube-controller-manager): after an owner is deleted (Background) its
/// dependents are deleted; an owner held by `orphan` has its dependents'
/// ownerReferences to it removed, one held by `foregroundDeletion` has its
/// dependents deleted first; then that finalizer is removed.
fn spawn_garbage_collector(
    state: Arc<ApiState>,
    gr: GroupResource,
    key: ObjectKey,
    owner: Arc<Value>,
) {
    let uid = owner
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if uid.is_empty() {
        return;
    }
    let finalizers: Vec<String> = owner
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let deleting = owner.pointer("/metadata/deletionTimestamp").is_some();
    let orphan = deleting && finalizers.iter().any(|f| f == FINALIZER_ORPHAN);
    let foreground = deleting && finalizers.iter().any(|f| f == FINALIZER_FOREGROUND);
    let deleted = state
        .store
        .get_stored(&gr, &key.namespace, &key.name)
        .is_none();
    if !(orphan || foreground || deleted) {
        return;
    }
    let dependents = state.store.dependents_of(&uid);
    if dependents.is_empty() && !orphan && !foreground {
        return;
    }
    tokio::spawn(async move {
        for (dgr, dkey) in dependents {
            if orphan {
                let _ = state.store.mutate::<ApiError>(&dgr, &dkey, |cur, _| {
                    let Some(cur) = cur else {
                        return Ok(Mutation::Keep);
                    };
                    let mut next = (**cur).clone();
                    if let Some(refs) = next
                        .get_mut("metadata")
                        .and_then(|m| m.get_mut("ownerReferences"))
                        .and_then(Value::as_array_mut)
                    {
                        refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(uid.as_str()));
                        if refs.is_empty() {
                            if let Some(m) = next.get_mut("metadata").and_then(Value::as_object_mut)
                            {
                                m.shift_remove("ownerReferences");
                            }
                        }
                    }
                    Ok(Mutation::Put(next))
                });
            } else if let Some(def) = def_for(&state, &dgr) {
                let opts = DeleteOptions {
                    propagation_policy: foreground.then(|| "Foreground".to_string()),
                    ..Default::default()
                };
                let _ = delete_one(&state, &def, &dgr, &dkey, &opts);
            }
        }
        if orphan || foreground {
            let gone = if orphan {
                FINALIZER_ORPHAN
            } else {
                FINALIZER_FOREGROUND
            };
            remove_finalizer(&state, &gr, &key, gone);
        }
    });
}

/// The registry entry serving `gr` (its preferred version).
fn def_for(state: &ApiState, gr: &GroupResource) -> Option<crate::registry::ResourceDef> {
    let reg = state.registry();
    reg.versions(&gr.group)
        .iter()
        .find_map(|v| reg.lookup(&gr.group, v, &gr.resource).cloned())
}

/// Removes one finalizer; the object goes when it was the last one of an
/// object being deleted.
fn remove_finalizer(state: &ApiState, gr: &GroupResource, key: &ObjectKey, finalizer: &str) {
    let _ = state.store.mutate::<ApiError>(gr, key, |cur, _| {
        let Some(cur) = cur else {
            return Ok(Mutation::Keep);
        };
        let mut next = (**cur).clone();
        let mut left = 0;
        if let Some(a) = next
            .get_mut("metadata")
            .and_then(|m| m.get_mut("finalizers"))
            .and_then(Value::as_array_mut)
        {
            a.retain(|f| f.as_str() != Some(finalizer));
            left = a.len();
        }
        if left == 0 {
            if let Some(m) = next.get_mut("metadata").and_then(Value::as_object_mut) {
                m.shift_remove("finalizers");
            }
        }
        if left == 0 && next.pointer("/metadata/deletionTimestamp").is_some() {
            return Ok(Mutation::Delete);
        }
        Ok(Mutation::Put(next))
    });
}

/// DELETE one object.
pub(crate) async fn delete(rr: &ResourceRequest<'_>) -> Result<ApiResponse> {
    let n = rr.negotiate(Endpoint::Write)?;
    let opts = DeleteOptions::decode_as(
        &rr.req.query,
        &rr.req.body,
        rr.req
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    )?;
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
    if n.format == crate::api::negotiate::Format::Protobuf {
        return super::protobuf_response(200, &status.to_value());
    }
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
    let opts = DeleteOptions::decode_as(
        &rr.req.query,
        &rr.req.body,
        rr.req
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    )?;
    let snapshot = rr
        .state
        .store
        .snapshot(&rr.gr, ReadAt::Latest)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut deleted = Vec::new();
    for (key, obj) in snapshot.objects.iter() {
        if !matches(rr, &list_opts, key, obj) {
            continue;
        }
        match delete_one(rr.state, &rr.def, &rr.gr, key, &opts) {
            Ok(Outcome::Deleted(o)) | Ok(Outcome::Pending(o)) => deleted.push(o),
            // Deleted concurrently: nothing to report.
            Err(e) if e.code() == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let items: Vec<Arc<StoredObject>> = deleted
        .iter()
        .map(|o| Arc::new(StoredObject::encode(o)))
        .collect();
    let meta = json!({"resourceVersion": rr.state.store.current_rv().to_string()});
    respond_list(rr, &n, &items, meta)
}
