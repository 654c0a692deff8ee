//! The StatefulSet controller (`pkg/controller/statefulset`:
//! `stateful_set_control.go` `updateStatefulSet`, `stateful_set_utils.go`):
//! pods `<set>-0..<set>-N-1` with stable names, hostname and subdomain;
//! `OrderedReady` creates them one at a time in order, each after the one
//! before is Running and Ready, and removes them from the highest ordinal
//! down; `Parallel` creates and removes them all at once. Updates follow
//! `updateStrategy`: `RollingUpdate` replaces pods from the highest ordinal
//! down to `partition`, one at a time, each once the others are healthy;
//! `OnDelete` only gives a deleted pod the new template. Revisions are
//! ControllerRevisions ([`super::history`]); pods carry the
//! `controller-revision-hash` label (the revision's name),
//! `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index`.
//! Status: replicas, readyReplicas, currentReplicas, updatedReplicas,
//! availableReplicas, currentRevision, updateRevision, observedGeneration,
//! collisionCount. `volumeClaimTemplates` give each pod its claims
//! `<template>-<set>-<ordinal>` (created before the pod, kept after it:
//! the default Retain policy; no provisioner binds them, so they stay
//! Pending). Not done (UNVERIFIED simplifications): `minReadySeconds` and
//! `maxUnavailable` are not applied (available = ready, one at a time),
//! orphans are not adopted.

use super::client::{collection_path, object_path, Client};
use super::events::{EventKind, Recorder};
use super::history;
use super::informer::{Informer, Timers};
use super::workloads::{controller_of, dependents, is_ready, owner_ref};
use super::Context;
use crate::store::EventType;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The pod label naming the revision a pod was made from.
pub const REVISION_LABEL: &str = "controller-revision-hash";
/// The label of a revision's hash.
const HASH_LABEL: &str = "controller.kubernetes.io/hash";
const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

fn s<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn int(v: &Value, ptr: &str, default: i64) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(default)
}

/// `isRunningAndReady`.
fn running_and_ready(pod: &Value) -> bool {
    s(pod, "/status/phase") == "Running" && is_ready(pod)
}

fn terminating(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionTimestamp").is_some()
}

/// `isHealthy`: created, running and ready, not terminating.
fn healthy(pod: &Value) -> bool {
    running_and_ready(pod) && !terminating(pod)
}

fn finished(pod: &Value) -> bool {
    matches!(s(pod, "/status/phase"), "Succeeded" | "Failed")
}

fn revision_of(pod: &Value) -> &str {
    pod.pointer("/metadata/labels")
        .and_then(|l| l.get(REVISION_LABEL))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The ordinal of `<set>-<n>`.
fn ordinal(set: &str, pod: &str) -> Option<i64> {
    pod.strip_prefix(set)?
        .strip_prefix('-')?
        .parse()
        .ok()
        .filter(|n| *n >= 0)
}

/// The StatefulSet controller loop.
pub async fn run(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kube-controller-manager");
    let events = Recorder::new(client.clone(), "statefulset-controller", "");
    let mut sets = Informer::new(ctx.state.clone(), "apps", "statefulsets");
    let mut pods = Informer::new(ctx.state.clone(), "", "pods");
    let mut timers: Timers<()> = Timers::default();
    let mut clock = ctx.clock.clone();
    loop {
        tokio::select! {
            c = sets.next() => {
                if c.event == EventType::Deleted {
                    timers.cancel(&c.key);
                } else {
                    timers.schedule(&c.key, clock.delay("workload-sync", &c.key), ());
                }
            }
            c = pods.next() => {
                if let Some((kind, name)) = controller_of(&c.object) {
                    if kind == "StatefulSet" {
                        let key = format!("{}/{name}", s(&c.object, "/metadata/namespace"));
                        timers.schedule(&key, clock.delay("workload-sync", &key), ());
                    }
                }
            }
            (key, ()) = timers.next() => {
                clock.wait_running().await;
                sync(&client, &events, &ctx, &key).await;
            }
        }
    }
}

/// `newVersionedStatefulSetPod`.
fn new_pod(set: &Value, template: &Value, revision: &str, ord: i64) -> Value {
    let name = s(set, "/metadata/name");
    let pod_name = format!("{name}-{ord}");
    let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
    if !meta.get("labels").is_some_and(Value::is_object) {
        meta["labels"] = json!({});
    }
    meta["labels"][POD_NAME_LABEL] = json!(pod_name);
    meta["labels"][POD_INDEX_LABEL] = json!(ord.to_string());
    meta["labels"][REVISION_LABEL] = json!(revision);
    meta["name"] = json!(pod_name);
    meta["namespace"] = json!(s(set, "/metadata/namespace"));
    meta["ownerReferences"] = owner_ref("apps/v1", "StatefulSet", set);
    let mut spec = template.get("spec").cloned().unwrap_or(json!({}));
    spec["hostname"] = json!(pod_name);
    let service = s(set, "/spec/serviceName");
    if !service.is_empty() {
        spec["subdomain"] = json!(service);
    }
    // updateStorage: each claim template is a volume of the same name.
    let claims = claims(set, ord);
    if !claims.is_empty() {
        let mut volumes: Vec<Value> = spec
            .get("volumes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (volume, claim) in &claims {
            volumes.retain(|v| s(v, "/name") != volume);
            volumes.push(json!({"name": volume, "persistentVolumeClaim": {"claimName": s(claim, "/metadata/name")}}));
        }
        spec["volumes"] = Value::Array(volumes);
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
}

/// `getPersistentVolumeClaims`: (volume name, claim) for each of
/// `volumeClaimTemplates`, the claim named `<template>-<set>-<ordinal>`
/// and labelled with the set's selector. The default retention policy
/// (Retain) gives them no owner.
fn claims(set: &Value, ord: i64) -> Vec<(String, Value)> {
    let name = s(set, "/metadata/name");
    let selector = set
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    set.pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|tpl| {
            let volume = s(tpl, "/metadata/name").to_string();
            let mut claim = tpl.clone();
            if let Some(m) = claim.as_object_mut() {
                m.shift_remove("status");
            }
            claim["apiVersion"] = json!("v1");
            claim["kind"] = json!("PersistentVolumeClaim");
            claim["metadata"] = json!({"name": format!("{volume}-{name}-{ord}"),
                "namespace": s(set, "/metadata/namespace"),
                "labels": tpl.pointer("/metadata/labels").cloned().unwrap_or(json!({}))});
            if !claim["metadata"]["labels"].is_object() {
                claim["metadata"]["labels"] = json!({});
            }
            for (k, v) in &selector {
                claim["metadata"]["labels"][k] = v.clone();
            }
            (volume, claim)
        })
        .collect()
}

/// `createPersistentVolumeClaims`: the pod's claims that do not exist yet.
async fn create_claims(
    client: &Client,
    events: &Recorder,
    set: &Value,
    ord: i64,
) -> Result<(), String> {
    let ns = s(set, "/metadata/namespace");
    for (_, claim) in claims(set, ord) {
        let cname = s(&claim, "/metadata/name");
        let msg = |outcome: &str| {
            format!(
                "create Claim {cname} Pod {}-{ord} in StatefulSet {} {outcome}",
                s(set, "/metadata/name"),
                s(set, "/metadata/name")
            )
        };
        match client
            .create(&collection_path("v1", ns, "persistentvolumeclaims"), &claim)
            .await
        {
            Ok(_) => {
                events
                    .record(
                        set,
                        None,
                        EventKind::Normal,
                        "SuccessfulCreate",
                        &msg("success"),
                    )
                    .await;
            }
            Err(e) if e.code == 409 => {}
            Err(e) => {
                let m = msg(&format!("failed error: {e}"));
                events
                    .record(set, None, EventKind::Warning, "FailedCreate", &m)
                    .await;
                return Err(m);
            }
        }
    }
    Ok(())
}

async fn sync(client: &Client, events: &Recorder, ctx: &Context, key: &str) {
    let Some((ns, name)) = key.split_once('/') else {
        return;
    };
    let path = object_path("apps/v1", ns, "statefulsets", name);
    let Ok(set) = client.get(&path).await else {
        return;
    };
    if terminating(&set) {
        return;
    }
    let pods = dependents(ctx, &set, "", "pods");
    let in_use: Vec<String> = pods.iter().map(|p| revision_of(p).to_string()).collect();
    let Some(revs) = history::sync(
        client,
        ctx,
        &set,
        "StatefulSet",
        HASH_LABEL,
        s(&set, "/status/currentRevision"),
        &in_use,
    )
    .await
    else {
        return;
    };
    let replicas = int(&set, "/spec/replicas", 1).max(0);
    let parallel = s(&set, "/spec/podManagementPolicy") == "Parallel";
    let on_delete = s(&set, "/spec/updateStrategy/type") == "OnDelete";
    let partition = int(&set, "/spec/updateStrategy/rollingUpdate/partition", 0).max(0);
    let by_ord: BTreeMap<i64, Arc<Value>> = pods
        .iter()
        .filter_map(|p| Some((ordinal(name, s(p, "/metadata/name"))?, p.clone())))
        .collect();
    let delete = |p: Arc<Value>| delete_pod(client, events, &set, p);
    // One pass over the replicas in ordinal order; OrderedReady stops at
    // the first pod that is not there and healthy (`monotonic`).
    let mut blocked = false;
    for ord in 0..replicas {
        match by_ord.get(&ord) {
            Some(p) if finished(p) && !terminating(p) => {
                // A failed or succeeded pod is deleted and made again.
                delete(p.clone()).await;
                if !parallel {
                    blocked = true;
                    break;
                }
            }
            Some(p) => {
                if !parallel && !healthy(p) {
                    blocked = true;
                    break;
                }
            }
            None => {
                // Pods below the partition keep the current revision.
                let (template, revision) = if !on_delete && ord < partition {
                    (history::template_of(&revs.current), revs.current_name())
                } else {
                    (history::template_of(&revs.update), revs.update_name())
                };
                if create_claims(client, events, &set, ord).await.is_err() {
                    blocked = true;
                    break;
                }
                let pod = new_pod(&set, &template, revision, ord);
                let pname = s(&pod, "/metadata/name").to_string();
                match client
                    .create(&collection_path("v1", ns, "pods"), &pod)
                    .await
                {
                    Ok(_) => {
                        let msg = format!("create Pod {pname} in StatefulSet {name} successful");
                        events
                            .record(&set, None, EventKind::Normal, "SuccessfulCreate", &msg)
                            .await;
                    }
                    Err(e) => {
                        let msg = format!(
                            "create Pod {pname} in StatefulSet {name} failed error: {}",
                            e.status
                                .get("message")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                        );
                        events
                            .record(&set, None, EventKind::Warning, "FailedCreate", &msg)
                            .await;
                        blocked = true;
                        break;
                    }
                }
                if !parallel {
                    blocked = true;
                    break;
                }
            }
        }
    }
    // Condemned pods (ordinal >= replicas), highest first.
    if !blocked {
        let all_healthy = (0..replicas).all(|o| by_ord.get(&o).is_some_and(|p| healthy(p)));
        for (_, p) in by_ord.range(replicas..).rev() {
            if terminating(p) {
                if !parallel {
                    blocked = true;
                    break;
                }
                continue;
            }
            if !parallel && !all_healthy {
                blocked = true;
                break;
            }
            delete(p.clone()).await;
            if !parallel {
                blocked = true;
                break;
            }
        }
    }
    // RollingUpdate: the highest pod not at the update revision goes, one
    // at a time, down to the partition.
    if !blocked && !on_delete {
        for ord in (partition..replicas).rev() {
            let Some(p) = by_ord.get(&ord) else {
                break;
            };
            if revision_of(p) != revs.update_name() && !terminating(p) {
                delete(p.clone()).await;
                break;
            }
            if !healthy(p) {
                break;
            }
        }
    }
    write_status(client, ctx, &path, &set, &revs).await;
}

/// Deletes one pod of the set (uid precondition) and records it.
async fn delete_pod(client: &Client, events: &Recorder, set: &Value, p: Arc<Value>) {
    let pname = s(&p, "/metadata/name");
    let path = object_path("v1", s(&p, "/metadata/namespace"), "pods", pname);
    let opts = json!({"kind": "DeleteOptions", "apiVersion": "v1",
        "preconditions": {"uid": s(&p, "/metadata/uid")}});
    if client.delete(&path, "", Some(&opts)).await.is_ok() {
        let msg = format!(
            "delete Pod {pname} in StatefulSet {} successful",
            s(set, "/metadata/name")
        );
        events
            .record(set, None, EventKind::Normal, "SuccessfulDelete", &msg)
            .await;
    }
}

/// `updateStatus` + `completeRollingUpdate`.
async fn write_status(
    client: &Client,
    ctx: &Context,
    path: &str,
    set: &Value,
    revs: &history::Revisions,
) {
    let pods = dependents(ctx, set, "", "pods");
    let mut status = json!({
        "observedGeneration": int(set, "/metadata/generation", 0),
        "replicas": 0, "readyReplicas": 0, "currentReplicas": 0, "updatedReplicas": 0,
        "availableReplicas": 0,
        "currentRevision": revs.current_name(), "updateRevision": revs.update_name(),
        "collisionCount": int(set, "/status/collisionCount", 0),
    });
    let mut bump = |k: &str| status[k] = json!(status[k].as_i64().unwrap_or(0) + 1);
    for p in &pods {
        bump("replicas");
        if running_and_ready(p) {
            bump("readyReplicas");
            bump("availableReplicas");
        }
        if !terminating(p) {
            if revision_of(p) == revs.current_name() {
                bump("currentReplicas");
            }
            if revision_of(p) == revs.update_name() {
                bump("updatedReplicas");
            }
        }
    }
    let rolling = s(set, "/spec/updateStrategy/type") != "OnDelete";
    if rolling
        && status["updatedReplicas"] == status["replicas"]
        && status["readyReplicas"] == status["replicas"]
    {
        status["currentReplicas"] = status["updatedReplicas"].clone();
        status["currentRevision"] = json!(revs.update_name());
    }
    // omitempty fields of StatefulSetStatus.
    for k in ["readyReplicas", "currentReplicas", "updatedReplicas"] {
        if status[k] == 0 {
            status.as_object_mut().map(|m| m.shift_remove(k));
        }
    }
    if let Some(c) = set.pointer("/status/conditions") {
        status["conditions"] = c.clone();
    }
    client.write_status(path, set, status).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_come_from_stable_names() {
        assert_eq!(ordinal("web", "web-0"), Some(0));
        assert_eq!(ordinal("web", "web-12"), Some(12));
        assert_eq!(ordinal("web", "web-x"), None);
        assert_eq!(ordinal("web", "webapp-1"), None);
        assert_eq!(ordinal("web", "web--1"), None);
    }

    #[test]
    fn pods_get_identity_labels_and_hostname() {
        let set = json!({"metadata": {"name": "web", "namespace": "d", "uid": "u"},
            "spec": {"serviceName": "nginx"}});
        let t = json!({"metadata": {"labels": {"app": "w"}}, "spec": {"containers": []}});
        let p = new_pod(&set, &t, "web-abc", 2);
        assert_eq!(p["metadata"]["name"], "web-2");
        assert_eq!(p["metadata"]["labels"]["app"], "w");
        assert_eq!(p["metadata"]["labels"][REVISION_LABEL], "web-abc");
        assert_eq!(p["metadata"]["labels"][POD_INDEX_LABEL], "2");
        assert_eq!(p["spec"]["hostname"], "web-2");
        assert_eq!(p["spec"]["subdomain"], "nginx");
        assert!(p["spec"].get("volumes").is_none());
    }

    #[test]
    fn claim_templates_become_claims_and_volumes() {
        let set = json!({"metadata": {"name": "web", "namespace": "d", "uid": "u"},
            "spec": {"selector": {"matchLabels": {"app": "w"}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"},
                    "spec": {"accessModes": ["ReadWriteOnce"]}, "status": {"phase": "Pending"}}]}});
        let t = json!({"spec": {"containers": [], "volumes": [{"name": "www", "emptyDir": {}},
            {"name": "cfg", "emptyDir": {}}]}});
        let p = new_pod(&set, &t, "web-abc", 1);
        assert_eq!(
            p["spec"]["volumes"],
            json!([{"name": "cfg", "emptyDir": {}},
                {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}}])
        );
        let c = &claims(&set, 1)[0].1;
        assert_eq!(c["metadata"]["name"], "www-web-1");
        assert_eq!(c["metadata"]["labels"]["app"], "w");
        assert_eq!(c["spec"]["accessModes"][0], "ReadWriteOnce");
        assert!(c.get("status").is_none());
    }
}
