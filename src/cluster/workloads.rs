//! Workload controllers of kube-controller-manager: `replicaset` keeps a
//! ReplicaSet's pods at `spec.replicas` (`pkg/controller/replicaset`), and
//! `deployment` rolls a Deployment out through ReplicaSets
//! (`pkg/controller/deployment`: `rolling.go`, `recreate.go`, `sync.go`,
//! `util/deployment_util.go`): pod-template-hash, the revision annotations,
//! maxSurge/maxUnavailable, status counts and the Progressing/Available
//! conditions with their real reasons and messages, ScalingReplicaSet
//! events. Pods are found through their controller ownerReference (no
//! adoption of orphans: UNVERIFIED simplification). The pod-template-hash is
//! computed as the real one is encoded (FNV-32a, `SafeEncodeString`) but
//! over kubemock's JSON of the template, so its value differs from a real
//! cluster's.

use super::client::{collection_path, object_path, Client};
use super::events::{EventKind, Recorder};
use super::informer::{Informer, Timers};
use super::Context;
use crate::store::{EventType, GroupResource};
use serde_json::{json, Value};
use std::sync::Arc;

const REVISION: &str = "deployment.kubernetes.io/revision";
const DESIRED: &str = "deployment.kubernetes.io/desired-replicas";
const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
const HASH_LABEL: &str = "pod-template-hash";

fn s<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn int(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

/// The controller owner (kind, name) of an object.
pub(crate) fn controller_of(obj: &Value) -> Option<(String, String)> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| (s(r, "/kind").to_string(), s(r, "/name").to_string()))
}

pub(crate) fn owner_ref(api_version: &str, kind: &str, owner: &Value) -> Value {
    json!([{"apiVersion": api_version, "kind": kind, "name": s(owner, "/metadata/name"),
        "uid": s(owner, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true}])
}

/// The live dependents of `owner` in `resource` (newest state).
pub(crate) fn dependents(
    ctx: &Context,
    owner: &Value,
    group: &str,
    resource: &str,
) -> Vec<Arc<Value>> {
    let uid = s(owner, "/metadata/uid");
    if uid.is_empty() {
        return Vec::new();
    }
    let gr = GroupResource::new(group, resource);
    ctx.state
        .store
        .dependents_of(uid)
        .into_iter()
        .filter(|(g, _)| *g == gr)
        .filter_map(|(g, k)| ctx.state.store.get(&g, &k.namespace, &k.name))
        .filter(|o| {
            o.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| {
                    refs.iter().any(|r| {
                        s(r, "/uid") == uid
                            && r.get("controller").and_then(Value::as_bool) == Some(true)
                    })
                })
        })
        .collect()
}

pub(crate) fn is_active(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionTimestamp").is_none()
        && !matches!(s(pod, "/status/phase"), "Succeeded" | "Failed")
}

pub(crate) fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True")
}

/// A kind kept at `spec.replicas` pods: ReplicaSet or
/// ReplicationController (`pkg/controller/replication` is the ReplicaSet
/// controller with the core/v1 kind, its map selector and its own
/// component name).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SetKind {
    group: &'static str,
    group_version: &'static str,
    resource: &'static str,
    kind: &'static str,
    component: &'static str,
}

const REPLICA_SET: SetKind = SetKind {
    group: "apps",
    group_version: "apps/v1",
    resource: "replicasets",
    kind: "ReplicaSet",
    component: "replicaset-controller",
};

const REPLICATION_CONTROLLER: SetKind = SetKind {
    group: "",
    group_version: "v1",
    resource: "replicationcontrollers",
    kind: "ReplicationController",
    component: "replication-controller",
};

/// The ReplicaSet controller.
pub async fn run_replicasets(ctx: Context) {
    run_sets(ctx, REPLICA_SET).await
}

/// The ReplicationController controller.
pub async fn run_replication_controllers(ctx: Context) {
    run_sets(ctx, REPLICATION_CONTROLLER).await
}

async fn run_sets(ctx: Context, k: SetKind) {
    let client = Client::new(ctx.state.clone(), "kube-controller-manager");
    let events = Recorder::new(client.clone(), k.component, "");
    let mut sets = Informer::new(ctx.state.clone(), k.group, k.resource);
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
                    if kind == k.kind {
                        let key = format!("{}/{name}", s(&c.object, "/metadata/namespace"));
                        timers.schedule(&key, clock.delay("workload-sync", &key), ());
                    }
                }
            }
            (key, ()) = timers.next() => {
                clock.wait_running().await;
                sync_replicaset(&client, &events, &ctx, &key, k).await;
            }
        }
    }
}

async fn sync_replicaset(client: &Client, events: &Recorder, ctx: &Context, key: &str, k: SetKind) {
    let Some((ns, name)) = key.split_once('/') else {
        return;
    };
    let path = object_path(k.group_version, ns, k.resource, name);
    let Ok(rs) = client.get(&path).await else {
        return;
    };
    if rs.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let pods = dependents(ctx, &rs, "", "pods");
    let mut active: Vec<&Arc<Value>> = pods.iter().filter(|p| is_active(p)).collect();
    let want = rs
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let diff = active.len() as i64 - want;
    if diff < 0 {
        let template = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
        for _ in 0..(-diff).min(500) {
            let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
            meta["generateName"] = json!(format!("{name}-"));
            meta["namespace"] = json!(ns);
            meta["ownerReferences"] = owner_ref(k.group_version, k.kind, &rs);
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                "spec": template.get("spec").cloned().unwrap_or(json!({}))});
            match client
                .create(&collection_path("v1", ns, "pods"), &pod)
                .await
            {
                Ok(created) => {
                    let msg = format!("Created pod: {}", s(&created, "/metadata/name"));
                    events
                        .record(&rs, None, EventKind::Normal, "SuccessfulCreate", &msg)
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
                        .record(&rs, None, EventKind::Warning, "FailedCreate", &msg)
                        .await;
                    break;
                }
            }
        }
    } else if diff > 0 {
        // getPodsToDelete: unassigned, then not running, then not ready,
        // then the newest first.
        active.sort_by_key(|p| {
            (
                !s(p, "/spec/nodeName").is_empty(),
                s(p, "/status/phase") == "Running",
                is_ready(p),
                std::cmp::Reverse(s(p, "/metadata/creationTimestamp").to_string()),
            )
        });
        for p in active.iter().take(diff as usize) {
            let pname = s(p, "/metadata/name");
            if client
                .delete(&object_path("v1", ns, "pods", pname), "", None)
                .await
                .is_ok()
            {
                events
                    .record(
                        &rs,
                        None,
                        EventKind::Normal,
                        "SuccessfulDelete",
                        &format!("Deleted pod: {pname}"),
                    )
                    .await;
            }
        }
    }
    // Status from the pods as they are now.
    let pods = dependents(ctx, &rs, "", "pods");
    let active: Vec<&Arc<Value>> = pods.iter().filter(|p| is_active(p)).collect();
    let ready = active.iter().filter(|p| is_ready(p)).count();
    let labels = rs
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    let fully_labeled = active
        .iter()
        .filter(|p| {
            labels
                .as_object()
                .into_iter()
                .flatten()
                .all(|(k, v)| p.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v))
        })
        .count();
    let terminating = pods
        .iter()
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_some())
        .count();
    let mut status = json!({
        "replicas": active.len(),
        "fullyLabeledReplicas": fully_labeled,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "terminatingReplicas": terminating,
        "observedGeneration": int(&rs, "/metadata/generation"),
    });
    if k.kind == "ReplicationController" {
        // ReplicationControllerStatus has no terminatingReplicas.
        status
            .as_object_mut()
            .map(|m| m.shift_remove("terminatingReplicas"));
    }
    for k in ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"] {
        if status[k] == 0 {
            status.as_object_mut().map(|m| m.shift_remove(k));
        }
    }
    client.write_status(&path, &rs, status).await;
}

/// `intstr.GetScaledValueFromIntOrPercent`.
fn scaled(v: Option<&Value>, total: i64, round_up: bool, default: &str) -> i64 {
    let v = v.cloned().unwrap_or(json!(default));
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(p) => {
            let pct: f64 = p.trim_end_matches('%').parse().unwrap_or(0.0);
            let x = pct * total as f64 / 100.0;
            if round_up {
                x.ceil() as i64
            } else {
                x.floor() as i64
            }
        }
        _ => 0,
    }
}

/// `rand.SafeEncodeString(fmt.Sprint(fnv32a(template)))`.
pub(crate) fn template_hash(template: &Value, collisions: i64) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h: u32 = 0x811c_9dc5;
    let text = template.to_string();
    let extra = if collisions > 0 {
        collisions.to_string()
    } else {
        String::new()
    };
    for b in text.bytes().chain(extra.bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_string()
        .bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

/// A ReplicaSet's template without the hash label (to compare with the
/// Deployment's).
fn template_without_hash(rs: &Value) -> Value {
    let mut t = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.shift_remove(HASH_LABEL);
    }
    t
}

fn revision(rs: &Value) -> i64 {
    rs.pointer(&format!(
        "/metadata/annotations/{}",
        REVISION.replace('/', "~1")
    ))
    .and_then(Value::as_str)
    .and_then(|r| r.parse().ok())
    .unwrap_or(0)
}

/// The Deployment controller.
pub async fn run_deployments(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kube-controller-manager");
    let events = Recorder::new(client.clone(), "deployment-controller", "");
    let mut deployments = Informer::new(ctx.state.clone(), "apps", "deployments");
    let mut sets = Informer::new(ctx.state.clone(), "apps", "replicasets");
    let mut timers: Timers<()> = Timers::default();
    let mut clock = ctx.clock.clone();
    loop {
        tokio::select! {
            c = deployments.next() => {
                if c.event == EventType::Deleted {
                    timers.cancel(&c.key);
                } else {
                    timers.schedule(&c.key, clock.delay("workload-sync", &c.key), ());
                }
            }
            c = sets.next() => {
                if let Some((kind, name)) = controller_of(&c.object) {
                    if kind == "Deployment" {
                        let key = format!("{}/{name}", s(&c.object, "/metadata/namespace"));
                        timers.schedule(&key, clock.delay("workload-sync", &key), ());
                    }
                }
            }
            (key, ()) = timers.next() => {
                clock.wait_running().await;
                sync_deployment(&client, &events, &ctx, &key).await;
            }
        }
    }
}

struct Rollout<'a> {
    client: &'a Client,
    events: &'a Recorder,
    d: Value,
    ns: String,
}

impl Rollout<'_> {
    /// Scales a ReplicaSet (with the desired/max annotations) and records
    /// `ScalingReplicaSet`.
    async fn scale(&self, rs: &mut Value, to: i64, max_surge: i64) -> bool {
        let from = int(rs, "/spec/replicas");
        let replicas = int(&self.d, "/spec/replicas");
        let mut next = rs.clone();
        next["spec"]["replicas"] = json!(to);
        if !next
            .pointer("/metadata/annotations")
            .is_some_and(Value::is_object)
        {
            next["metadata"]["annotations"] = json!({});
        }
        next["metadata"]["annotations"][DESIRED] = json!(replicas.to_string());
        next["metadata"]["annotations"][MAX_REPLICAS] = json!((replicas + max_surge).to_string());
        if next == *rs {
            return false;
        }
        let name = s(rs, "/metadata/name").to_string();
        let path = object_path("apps/v1", &self.ns, "replicasets", &name);
        match self.client.update(&path, &next).await {
            Ok(updated) => {
                *rs = updated;
                if from != to {
                    let dir = if to > from { "up" } else { "down" };
                    let msg = format!("Scaled {dir} replica set {name} from {from} to {to}");
                    self.events
                        .record(&self.d, None, EventKind::Normal, "ScalingReplicaSet", &msg)
                        .await;
                }
                true
            }
            Err(_) => false,
        }
    }
}

async fn sync_deployment(client: &Client, events: &Recorder, ctx: &Context, key: &str) {
    let Some((ns, name)) = key.split_once('/') else {
        return;
    };
    let path = object_path("apps/v1", ns, "deployments", name);
    let Ok(d) = client.get(&path).await else {
        return;
    };
    if d.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let replicas = d
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let template = d.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let mut sets: Vec<Value> = dependents(ctx, &d, "apps", "replicasets")
        .into_iter()
        .map(|r| (*r).clone())
        .collect();
    // Oldest first (creation time, then name), as `ReplicaSetsByCreationTimestamp`.
    sets.sort_by(|a, b| {
        (s(a, "/metadata/creationTimestamp"), s(a, "/metadata/name"))
            .cmp(&(s(b, "/metadata/creationTimestamp"), s(b, "/metadata/name")))
    });
    let max_revision = sets.iter().map(revision).max().unwrap_or(0);
    let new_idx = sets
        .iter()
        .position(|r| template_without_hash(r) == template);
    let recreate = s(&d, "/spec/strategy/type") == "Recreate";
    let (max_surge, max_unavailable) = if recreate {
        (0, 0)
    } else {
        let ru = d.pointer("/spec/strategy/rollingUpdate");
        let surge = scaled(ru.and_then(|r| r.get("maxSurge")), replicas, true, "25%");
        let mut unavailable = scaled(
            ru.and_then(|r| r.get("maxUnavailable")),
            replicas,
            false,
            "25%",
        );
        if surge == 0 && unavailable == 0 {
            unavailable = 1;
        }
        (surge, unavailable)
    };
    let r = Rollout {
        client,
        events,
        d: d.clone(),
        ns: ns.to_string(),
    };
    let mut created_new = None;
    // The new ReplicaSet: found (its revision raised if it was an old one,
    // as for `rollout undo`) or created.
    let mut new_rs = match new_idx {
        Some(i) => {
            let mut rs = sets.remove(i);
            if revision(&rs) < max_revision || revision(&rs) == 0 {
                let mut next = rs.clone();
                if !next
                    .pointer("/metadata/annotations")
                    .is_some_and(Value::is_object)
                {
                    next["metadata"]["annotations"] = json!({});
                }
                next["metadata"]["annotations"][REVISION] =
                    json!((max_revision + 1).max(1).to_string());
                let p = object_path("apps/v1", ns, "replicasets", s(&rs, "/metadata/name"));
                if let Ok(u) = client.update(&p, &next).await {
                    rs = u;
                }
            }
            rs
        }
        None => {
            let hash = template_hash(&template, int(&d, "/status/collisionCount"));
            let rs_name = format!("{name}-{hash}");
            let mut t = template.clone();
            if !t.pointer("/metadata/labels").is_some_and(Value::is_object) {
                t["metadata"]["labels"] = json!({});
            }
            t["metadata"]["labels"][HASH_LABEL] = json!(hash);
            let mut selector = d.pointer("/spec/selector").cloned().unwrap_or(json!({}));
            if !selector.get("matchLabels").is_some_and(Value::is_object) {
                selector["matchLabels"] = json!({});
            }
            selector["matchLabels"][HASH_LABEL] = json!(hash);
            let old_total: i64 = sets.iter().map(|r| int(r, "/spec/replicas")).sum();
            let initial = if recreate || sets.is_empty() {
                if recreate {
                    0
                } else {
                    replicas.min(replicas + max_surge)
                }
            } else {
                (replicas + max_surge - old_total).clamp(0, replicas)
            };
            let initial = if recreate && old_total == 0 {
                replicas
            } else {
                initial
            };
            let rs = json!({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "namespace": ns,
                    "labels": t["metadata"]["labels"].clone(),
                    "annotations": {DESIRED: replicas.to_string(), MAX_REPLICAS: (replicas + max_surge).to_string(),
                        REVISION: (max_revision + 1).to_string()},
                    "ownerReferences": owner_ref("apps/v1", "Deployment", &d)},
                "spec": {"replicas": initial, "minReadySeconds": int(&d, "/spec/minReadySeconds"),
                    "selector": selector, "template": t}
            });
            match client
                .create(&collection_path("apps/v1", ns, "replicasets"), &rs)
                .await
            {
                Ok(c) => {
                    if initial > 0 {
                        let msg = format!("Scaled up replica set {rs_name} from 0 to {initial}");
                        events
                            .record(&d, None, EventKind::Normal, "ScalingReplicaSet", &msg)
                            .await;
                    }
                    created_new = Some(rs_name);
                    c
                }
                Err(_) => return,
            }
        }
    };
    let paused = d.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);
    if !paused && created_new.is_none() {
        if recreate {
            // Old pods all gone first, then the new ones.
            let old_pods: i64 = sets.iter().map(|r| int(r, "/status/replicas")).sum();
            for rs in sets.iter_mut() {
                if int(rs, "/spec/replicas") > 0 {
                    r.scale(rs, 0, 0).await;
                }
            }
            if old_pods == 0 && sets.iter().all(|r| int(r, "/spec/replicas") == 0) {
                r.scale(&mut new_rs, replicas, 0).await;
            }
        } else {
            // reconcileNewReplicaSet
            let new_replicas = int(&new_rs, "/spec/replicas");
            if new_replicas > replicas {
                r.scale(&mut new_rs, replicas, max_surge).await;
            } else if new_replicas < replicas {
                let total: i64 =
                    sets.iter().map(|r| int(r, "/spec/replicas")).sum::<i64>() + new_replicas;
                let max_total = replicas + max_surge;
                if total < max_total {
                    let up = (max_total - total).min(replicas - new_replicas);
                    r.scale(&mut new_rs, new_replicas + up, max_surge).await;
                }
            } else {
                r.scale(&mut new_rs, replicas, max_surge).await;
            }
            // reconcileOldReplicaSets
            let old_count: i64 = sets.iter().map(|r| int(r, "/spec/replicas")).sum();
            if old_count > 0 {
                let all: i64 = old_count + int(&new_rs, "/spec/replicas");
                let min_available = replicas - max_unavailable;
                let new_unavailable =
                    int(&new_rs, "/spec/replicas") - int(&new_rs, "/status/availableReplicas");
                let mut budget = all - min_available - new_unavailable;
                // cleanupUnhealthyReplicas
                for rs in sets.iter_mut() {
                    if budget <= 0 {
                        break;
                    }
                    let cur = int(rs, "/spec/replicas");
                    let unhealthy = cur - int(rs, "/status/availableReplicas");
                    if cur == 0 || unhealthy <= 0 {
                        continue;
                    }
                    let down = unhealthy.min(budget);
                    if r.scale(rs, cur - down, max_surge).await {
                        budget -= down;
                    }
                }
                // scaleDownOldReplicaSetsForRollingUpdate
                let available: i64 = sets
                    .iter()
                    .chain(std::iter::once(&new_rs))
                    .map(|r| int(r, "/status/availableReplicas"))
                    .sum();
                let mut total_down = available - min_available;
                for rs in sets.iter_mut() {
                    if total_down <= 0 {
                        break;
                    }
                    let cur = int(rs, "/spec/replicas");
                    if cur == 0 {
                        continue;
                    }
                    let down = cur.min(total_down);
                    if r.scale(rs, cur - down, max_surge).await {
                        total_down -= down;
                    }
                }
            }
        }
    }
    // The deployment's revision annotation follows the new ReplicaSet's.
    let rev = revision(&new_rs).to_string();
    let mut d = d;
    if d.pointer(&format!(
        "/metadata/annotations/{}",
        REVISION.replace('/', "~1")
    ))
    .and_then(Value::as_str)
        != Some(rev.as_str())
    {
        let mut next = d.clone();
        if !next
            .pointer("/metadata/annotations")
            .is_some_and(Value::is_object)
        {
            next["metadata"]["annotations"] = json!({});
        }
        next["metadata"]["annotations"][REVISION] = json!(rev);
        if let Ok(u) = client.update(&path, &next).await {
            d = u;
        }
    }
    write_status(
        client,
        &path,
        &d,
        &new_rs,
        &sets,
        max_unavailable,
        created_new.as_deref(),
    )
    .await;
}

/// `calculateStatus` + the Progressing and Available conditions
/// (`syncRolloutStatus`).
async fn write_status(
    client: &Client,
    path: &str,
    d: &Value,
    new_rs: &Value,
    old: &[Value],
    max_unavailable: i64,
    created: Option<&str>,
) {
    let replicas = d
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let all: Vec<&Value> = old.iter().chain(std::iter::once(new_rs)).collect();
    let sum = |ptr: &str| all.iter().map(|r| int(r, ptr)).sum::<i64>();
    let total = sum("/status/replicas");
    let updated = int(new_rs, "/status/replicas");
    let ready = sum("/status/readyReplicas");
    let available = sum("/status/availableReplicas");
    let unavailable = (total.max(replicas) - available).max(0);
    let mut status = json!({"observedGeneration": int(d, "/metadata/generation"), "replicas": total,
        "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available,
        "unavailableReplicas": unavailable});
    for k in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
    ] {
        if status[k] == 0 {
            status.as_object_mut().map(|m| m.shift_remove(k));
        }
    }
    if let Some(c) = d.pointer("/status/collisionCount") {
        status["collisionCount"] = c.clone();
    }
    let now = crate::meta::time::now_rfc3339();
    let mut conds: Vec<Value> = d
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let rs_name = s(new_rs, "/metadata/name");
    let (av_status, av_reason, av_msg) = if available >= replicas - max_unavailable {
        (
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    set_condition(&mut conds, "Available", av_status, av_reason, av_msg, &now);
    let old_pods: i64 = old.iter().map(|r| int(r, "/status/replicas")).sum();
    let complete =
        updated == replicas && total == replicas && available == replicas && old_pods == 0;
    let (reason, msg) = if complete {
        (
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
        )
    } else if created.is_some() {
        (
            "NewReplicaSetCreated",
            format!("Created new replica set \"{rs_name}\""),
        )
    } else if !conds.iter().any(|c| c["type"] == "Progressing") {
        (
            "FoundNewReplicaSet",
            format!("Found new replica set \"{rs_name}\""),
        )
    } else {
        (
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{rs_name}\" is progressing."),
        )
    };
    set_condition(&mut conds, "Progressing", "True", reason, &msg, &now);
    status["conditions"] = Value::Array(conds);
    client.write_status(path, d, status).await;
}

/// `SetDeploymentCondition`: no change for the same status and reason;
/// otherwise the condition moves to the end, keeping its transition time
/// when the status stays.
fn set_condition(
    conds: &mut Vec<Value>,
    ty: &str,
    status: &str,
    reason: &str,
    msg: &str,
    now: &str,
) {
    let old = conds.iter().position(|c| c["type"] == ty);
    if let Some(i) = old {
        let c = &conds[i];
        if c["status"] == status && c["reason"] == reason {
            // Progressing keeps moving its update time (UNVERIFIED detail).
            return;
        }
    }
    let transition = old
        .filter(|i| conds[*i]["status"] == status)
        .map(|i| conds[i]["lastTransitionTime"].clone())
        .unwrap_or(json!(now));
    if let Some(i) = old {
        conds.remove(i);
    }
    conds.push(json!({"type": ty, "status": status, "lastUpdateTime": now,
        "lastTransitionTime": transition, "reason": reason, "message": msg}));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surge_and_unavailable_round_as_the_real_controller() {
        assert_eq!(scaled(None, 10, true, "25%"), 3);
        assert_eq!(scaled(None, 10, false, "25%"), 2);
        assert_eq!(scaled(Some(&json!(1)), 10, true, "25%"), 1);
        assert_eq!(scaled(Some(&json!("50%")), 3, true, "25%"), 2);
    }

    #[test]
    fn template_hashes_are_safe_and_stable() {
        let t = json!({"spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        let h = template_hash(&t, 0);
        assert_eq!(h, template_hash(&t, 0));
        assert_ne!(h, template_hash(&t, 1));
        assert!(
            h.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
            "{h}"
        );
    }
}
