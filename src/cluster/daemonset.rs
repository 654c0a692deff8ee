//! The DaemonSet controller (`pkg/controller/daemon`: `daemon_controller.go`
//! `manage`/`podsShouldBeOnNode`, `update.go` `rollingUpdate`,
//! `util/daemonset_util.go`): one pod on every node the pod fits
//! (nodeSelector, required node affinity, taints; the scheduler's
//! filters), pinned to the node by a required `matchFields
//! metadata.name` node affinity and bound by the scheduler, with the
//! DaemonSet tolerations added. Updates: `RollingUpdate` deletes old pods
//! while at most `maxUnavailable` (default 1) nodes lack an available
//! pod, and the next sync makes their replacement; `OnDelete` only
//! replaces pods that are deleted; with `maxSurge` the new pod starts
//! beside the old one (on at most maxSurge nodes at a time) and the old
//! one goes once the new one is available. Pods carry `controller-revision-hash`
//! (the revision's hash, as ControllerRevisions do, see
//! [`super::history`]) and `pod-template-generation`. Status:
//! desired/current/updatedNumberScheduled, numberMisscheduled, numberReady,
//! numberAvailable, numberUnavailable, observedGeneration. UNVERIFIED
//! simplifications: `minReadySeconds` is ignored (available = ready),
//! orphans are not adopted.

use super::client::{collection_path, object_path, Client};
use super::events::{EventKind, Recorder};
use super::history;
use super::informer::{Informer, Timers};
use super::scheduler::misfit;
use super::workloads::{controller_of, dependents, is_active, is_ready, owner_ref};
use super::Context;
use crate::store::{EventType, GroupResource, ReadAt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The label of the template hash on pods and revisions
/// (`DefaultDaemonSetUniqueLabelKey`).
const HASH_LABEL: &str = "controller-revision-hash";
const GENERATION_LABEL: &str = "pod-template-generation";

fn s<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// The DaemonSet controller loop.
pub async fn run(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kube-controller-manager");
    let events = Recorder::new(client.clone(), "daemonset-controller", "");
    let mut sets = Informer::new(ctx.state.clone(), "apps", "daemonsets");
    let mut pods = Informer::new(ctx.state.clone(), "", "pods");
    let mut nodes = Informer::new(ctx.state.clone(), "", "nodes");
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut timers: Timers<()> = Timers::default();
    let mut clock = ctx.clock.clone();
    loop {
        tokio::select! {
            c = sets.next() => {
                if c.event == EventType::Deleted {
                    timers.cancel(&c.key);
                    known.remove(&c.key);
                } else {
                    known.insert(c.key.clone());
                    timers.schedule(&c.key, clock.delay("workload-sync", &c.key), ());
                }
            }
            c = pods.next() => {
                if let Some((kind, name)) = controller_of(&c.object) {
                    if kind == "DaemonSet" {
                        let key = format!("{}/{name}", s(&c.object, "/metadata/namespace"));
                        timers.schedule(&key, clock.delay("workload-sync", &key), ());
                    }
                }
            }
            _ = nodes.next() => {
                // A node came, went or changed: every DaemonSet looks again.
                for key in &known {
                    timers.schedule(key, clock.delay("workload-sync", key), ());
                }
            }
            (key, ()) = timers.next() => {
                clock.wait_running().await;
                sync(&client, &events, &ctx, &key).await;
            }
        }
    }
}

/// The tolerations the controller adds to every daemon pod
/// (`util.AddOrUpdateDaemonPodTolerations`).
fn add_tolerations(spec: &mut Value) {
    let mut wanted = vec![
        json!({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}),
        json!({"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}),
        json!({"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}),
    ];
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        wanted.push(json!({"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}));
    }
    if !spec.get("tolerations").is_some_and(Value::is_array) {
        spec["tolerations"] = json!([]);
    }
    let list = spec["tolerations"].as_array_mut().expect("an array");
    for t in wanted {
        if !list
            .iter()
            .any(|x| x.get("key") == t.get("key") && x.get("effect") == t.get("effect"))
        {
            list.push(t);
        }
    }
}

/// `ReplaceDaemonSetPodNodeNameNodeAffinity`: the pod may only go to
/// `node`.
fn pin_to_node(spec: &mut Value, node: &str) {
    let term =
        json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]});
    if !spec.get("affinity").is_some_and(Value::is_object) {
        spec["affinity"] = json!({});
    }
    if !spec["affinity"]
        .get("nodeAffinity")
        .is_some_and(Value::is_object)
    {
        spec["affinity"]["nodeAffinity"] = json!({});
    }
    spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] =
        json!({"nodeSelectorTerms": [term]});
}

/// The node a daemon pod is on or pinned to.
fn node_of(pod: &Value) -> String {
    let bound = s(pod, "/spec/nodeName");
    if !bound.is_empty() {
        return bound.to_string();
    }
    pod.pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0/values/0")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn hash_of(pod: &Value) -> &str {
    pod.pointer("/metadata/labels")
        .and_then(|l| l.get(HASH_LABEL))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The daemon pod of `template` for `node`.
fn new_pod(ds: &Value, template: &Value, hash: &str, node: &str) -> Value {
    let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
    if !meta.get("labels").is_some_and(Value::is_object) {
        meta["labels"] = json!({});
    }
    meta["labels"][HASH_LABEL] = json!(hash);
    meta["labels"][GENERATION_LABEL] = json!(ds
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .to_string());
    meta["generateName"] = json!(format!("{}-", s(ds, "/metadata/name")));
    meta["namespace"] = json!(s(ds, "/metadata/namespace"));
    meta["ownerReferences"] = owner_ref("apps/v1", "DaemonSet", ds);
    let mut spec = template.get("spec").cloned().unwrap_or(json!({}));
    add_tolerations(&mut spec);
    pin_to_node(&mut spec, node);
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
}

/// Whether a daemon pod should run on the node (`NodeShouldRunDaemonPod`:
/// the scheduler's filters for the pod as the controller makes it).
fn should_run(pod: &Value, node: &Value) -> bool {
    match misfit(pod, node) {
        None => true,
        // A daemon pod tolerates a node that is not Ready.
        Some(r) => r.contains("node.kubernetes.io/not-ready"),
    }
}

/// `intstr.GetScaledValueFromIntOrPercent` (rounded up, as the DaemonSet
/// controller does for maxUnavailable).
fn scaled(v: Option<&Value>, total: i64, default: i64) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(default),
        Some(Value::String(p)) => {
            let pct: f64 = p.trim_end_matches('%').parse().unwrap_or(0.0);
            (pct * total as f64 / 100.0).ceil() as i64
        }
        _ => default,
    }
}

/// Whether the DaemonSet surges (`rollingUpdate.maxSurge` above 0).
fn max_surge(ds: &Value, nodes: i64) -> i64 {
    if s(ds, "/spec/updateStrategy/type") == "OnDelete" {
        return 0;
    }
    scaled(
        ds.pointer("/spec/updateStrategy/rollingUpdate/maxSurge"),
        nodes,
        0,
    )
    .max(0)
}

async fn sync(client: &Client, events: &Recorder, ctx: &Context, key: &str) {
    let Some((ns, name)) = key.split_once('/') else {
        return;
    };
    let path = object_path("apps/v1", ns, "daemonsets", name);
    let Ok(ds) = client.get(&path).await else {
        return;
    };
    if ds.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let pods = dependents(ctx, &ds, "", "pods");
    let in_use: Vec<String> = pods.iter().map(|p| hash_of(p).to_string()).collect();
    let Some(revs) = history::sync(client, ctx, &ds, "DaemonSet", HASH_LABEL, "", &in_use).await
    else {
        return;
    };
    let hash = revs.update_hash(HASH_LABEL);
    let template = history::template_of(&revs.update);
    let nodes: Vec<Value> = match ctx
        .state
        .store
        .snapshot(&GroupResource::new("", "nodes"), ReadAt::Latest)
    {
        Ok(snap) => snap.objects.values().map(|o| o.to_value()).collect(),
        Err(_) => return,
    };
    let mut on_node: BTreeMap<String, Vec<Arc<Value>>> = BTreeMap::new();
    for p in &pods {
        on_node.entry(node_of(p)).or_default().push(p.clone());
    }
    let pod_path = |p: &Value| object_path("v1", ns, "pods", s(p, "/metadata/name"));
    let mut deletes: Vec<Arc<Value>> = Vec::new();
    let mut creates: Vec<String> = Vec::new();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let surge = max_surge(&ds, nodes.len() as i64);
    for node in &nodes {
        let node_name = s(node, "/metadata/name").to_string();
        let probe = new_pod(&ds, &template, &hash, &node_name);
        let here: Vec<Arc<Value>> = on_node.get(&node_name).cloned().unwrap_or_default();
        let live: Vec<&Arc<Value>> = here
            .iter()
            .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
            .collect();
        if should_run(&probe, node) {
            wanted.insert(node_name.clone());
            // Failed daemon pods are deleted and made again.
            let (failed, ok): (Vec<&Arc<Value>>, Vec<&Arc<Value>>) =
                live.iter().partition(|p| s(p, "/status/phase") == "Failed");
            deletes.extend(failed.into_iter().cloned());
            if here.is_empty() {
                // A node with a pod still terminating (or failed, deleted
                // now) gets its new pod on a later sync.
                creates.push(node_name);
            } else if !ok.is_empty() {
                // More than one: keep the oldest (when surging, the oldest
                // of the old and of the new template: the rolling update
                // removes the old one once the new one is available).
                let mut ok = ok;
                ok.sort_by_key(|p| s(p, "/metadata/creationTimestamp").to_string());
                let mut kept: Vec<bool> = Vec::new();
                for p in ok {
                    let is_new = hash_of(p) == hash;
                    if kept.contains(&is_new) || (kept.len() == 1 && surge == 0) {
                        deletes.push(p.clone());
                    } else {
                        kept.push(is_new);
                    }
                }
            }
        } else {
            deletes.extend(live.into_iter().cloned());
        }
    }
    // rollingUpdate with maxSurge: a new pod beside the old one on up to
    // maxSurge nodes at a time; the old one goes once the new is available.
    if surge > 0 {
        let mut surging = 0i64;
        let mut candidates = Vec::new();
        for node in &wanted {
            let live: Vec<&Arc<Value>> = on_node
                .get(node)
                .into_iter()
                .flatten()
                .filter(|p| is_active(p) && !deletes.iter().any(|d| Arc::ptr_eq(d, p)))
                .collect();
            let (new, old): (Vec<&Arc<Value>>, Vec<&Arc<Value>>) =
                live.into_iter().partition(|p| hash_of(p) == hash);
            if old.is_empty() {
                continue;
            }
            match new.first() {
                Some(n) if is_ready(n) => deletes.extend(old.into_iter().cloned()),
                Some(_) => surging += 1,
                // An old pod that is not available is replaced at once.
                None if !old.iter().any(|p| is_ready(p)) => creates.push(node.clone()),
                None => candidates.push(node.clone()),
            }
        }
        let room = (surge - surging).max(0) as usize;
        creates.extend(candidates.into_iter().take(room));
    }
    // rollingUpdate: old pods go while few enough nodes are unavailable.
    if s(&ds, "/spec/updateStrategy/type") != "OnDelete" && surge == 0 {
        let max_unavailable = scaled(
            ds.pointer("/spec/updateStrategy/rollingUpdate/maxUnavailable"),
            wanted.len() as i64,
            1,
        )
        .max(1);
        let mut unavailable = 0i64;
        let mut old_available = Vec::new();
        for node in &wanted {
            let live: Vec<&Arc<Value>> = on_node
                .get(node)
                .into_iter()
                .flatten()
                .filter(|p| is_active(p))
                .collect();
            let available = live.iter().any(|p| is_ready(p));
            if !available {
                unavailable += 1;
            }
            for p in live {
                if hash_of(p) != hash && !deletes.iter().any(|d| Arc::ptr_eq(d, p)) {
                    if is_ready(p) {
                        old_available.push(p.clone());
                    } else {
                        // Old and unavailable: replaced at once.
                        deletes.push(p.clone());
                    }
                }
            }
        }
        for p in old_available {
            if unavailable >= max_unavailable {
                break;
            }
            unavailable += 1;
            deletes.push(p);
        }
    }
    for p in deletes {
        let pname = s(&p, "/metadata/name").to_string();
        if client.delete(&pod_path(&p), "", None).await.is_ok() {
            events
                .record(
                    &ds,
                    None,
                    EventKind::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {pname}"),
                )
                .await;
        }
    }
    for node in creates {
        let pod = new_pod(&ds, &template, &hash, &node);
        match client
            .create(&collection_path("v1", ns, "pods"), &pod)
            .await
        {
            Ok(p) => {
                let msg = format!("Created pod: {}", s(&p, "/metadata/name"));
                events
                    .record(&ds, None, EventKind::Normal, "SuccessfulCreate", &msg)
                    .await;
            }
            Err(e) => {
                let msg = format!(
                    "Error creating: {}",
                    e.status
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                );
                events
                    .record(&ds, None, EventKind::Warning, "FailedCreate", &msg)
                    .await;
                break;
            }
        }
    }
    write_status(client, ctx, &path, &ds, &wanted, &hash).await;
}

/// `updateDaemonSetStatus`.
async fn write_status(
    client: &Client,
    ctx: &Context,
    path: &str,
    ds: &Value,
    wanted: &BTreeSet<String>,
    hash: &str,
) {
    let pods = dependents(ctx, ds, "", "pods");
    let (mut current, mut misscheduled, mut ready, mut updated) = (0, 0, 0, 0);
    let mut scheduled: BTreeSet<String> = BTreeSet::new();
    for p in pods.iter().filter(|p| is_active(p)) {
        let node = s(p, "/spec/nodeName");
        if node.is_empty() || !scheduled.insert(node.to_string()) {
            continue;
        }
        if wanted.contains(node) {
            current += 1;
            if is_ready(p) {
                ready += 1;
            }
            if hash_of(p) == hash {
                updated += 1;
            }
        } else {
            misscheduled += 1;
        }
    }
    let desired = wanted.len() as i64;
    let available = ready;
    let mut status = json!({
        "currentNumberScheduled": current, "numberMisscheduled": misscheduled,
        "desiredNumberScheduled": desired, "numberReady": ready,
        "observedGeneration": ds.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0),
        "updatedNumberScheduled": updated, "numberAvailable": available,
        "numberUnavailable": desired - available,
    });
    for k in [
        "updatedNumberScheduled",
        "numberAvailable",
        "numberUnavailable",
    ] {
        if status[k] == 0 {
            status.as_object_mut().map(|m| m.shift_remove(k));
        }
    }
    if let Some(c) = ds.pointer("/status/collisionCount") {
        status["collisionCount"] = c.clone();
    }
    client.write_status(path, ds, status).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_pods_are_pinned_and_tolerate_node_conditions() {
        let ds = json!({"metadata": {"name": "agent", "namespace": "kube-system", "uid": "u", "generation": 3}});
        let t = json!({"metadata": {"labels": {"app": "a"}},
            "spec": {"hostNetwork": true, "containers": []}});
        let p = new_pod(&ds, &t, "h1", "node-1");
        assert_eq!(node_of(&p), "node-1");
        assert_eq!(hash_of(&p), "h1");
        assert_eq!(p["metadata"]["labels"][GENERATION_LABEL], "3");
        assert_eq!(p["metadata"]["generateName"], "agent-");
        let keys: Vec<&str> = p["spec"]["tolerations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key"].as_str().unwrap())
            .collect();
        assert!(keys.contains(&"node.kubernetes.io/unschedulable"));
        assert!(keys.contains(&"node.kubernetes.io/network-unavailable"));
    }

    #[test]
    fn max_unavailable_rounds_up() {
        assert_eq!(scaled(None, 10, 1), 1);
        assert_eq!(scaled(Some(&json!("25%")), 10, 1), 3);
        assert_eq!(scaled(Some(&json!(2)), 10, 1), 2);
        assert_eq!(scaled(None, 10, 0), 0);
    }
}
