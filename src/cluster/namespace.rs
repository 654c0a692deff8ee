//! Namespaces as kube-controller-manager keeps them.
//!
//! - `serviceaccount`: every active namespace gets the `default`
//!   ServiceAccount (`pkg/controller/serviceaccount/serviceaccounts_controller.go`)
//!   and the `kube-root-ca.crt` ConfigMap holding kubemock's CA
//!   (`pkg/controller/certificates/rootcacertpublisher/publisher.go`);
//!   both come back when deleted.
//! - `namespace`: a namespace being deleted (`deletionTimestamp`, phase
//!   Terminating, `spec.finalizers: [kubernetes]`) has its content deleted,
//!   its status conditions written as `pkg/controller/namespace/deletion`
//!   writes them, and, once empty, the `kubernetes` finalizer removed
//!   through `/finalize`; the namespace then goes.

use super::client::{collection_path, object_path, Client};
use super::informer::{Informer, Timers};
use super::Context;
use crate::store::{EventType, GroupResource};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const SA_NAME: &str = "default";
const ROOT_CA: &str = "kube-root-ca.crt";
/// `rootcacertpublisher`'s description annotation (UNVERIFIED wording, from
/// `publisher.go`).
const ROOT_CA_DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

fn str_at<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn is_active(ns: &Value) -> bool {
    ns.pointer("/metadata/deletionTimestamp").is_none()
}

/// The ServiceAccount controller and the root CA publisher.
pub async fn run_serviceaccounts(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kube-controller-manager");
    let mut namespaces = Informer::new(ctx.state.clone(), "", "namespaces");
    let mut accounts = Informer::new(ctx.state.clone(), "", "serviceaccounts");
    let mut configmaps = Informer::new(ctx.state.clone(), "", "configmaps");
    let mut clock = ctx.clock.clone();
    loop {
        let ns = tokio::select! {
            c = namespaces.next() => (c.event != EventType::Deleted && is_active(&c.object))
                .then(|| str_at(&c.object, "/metadata/name").to_string()),
            c = accounts.next() => (c.event == EventType::Deleted
                && str_at(&c.object, "/metadata/name") == SA_NAME)
                .then(|| str_at(&c.object, "/metadata/namespace").to_string()),
            c = configmaps.next() => (c.event == EventType::Deleted
                && str_at(&c.object, "/metadata/name") == ROOT_CA)
                .then(|| str_at(&c.object, "/metadata/namespace").to_string()),
        };
        clock.wait_running().await;
        if let Some(ns) = ns {
            ensure_namespace_defaults(&client, &ctx, &ns).await;
        }
    }
}

async fn ensure_namespace_defaults(client: &Client, ctx: &Context, ns: &str) {
    let store = &ctx.state.store;
    let active = store
        .get(&GroupResource::new("", "namespaces"), "", ns)
        .is_some_and(|n| is_active(&n));
    if !active {
        return;
    }
    if store
        .get_stored(&GroupResource::new("", "serviceaccounts"), ns, SA_NAME)
        .is_none()
    {
        let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": SA_NAME, "namespace": ns}});
        let _ = client
            .create(&collection_path("v1", ns, "serviceaccounts"), &sa)
            .await;
    }
    if store
        .get_stored(&GroupResource::new("", "configmaps"), ns, ROOT_CA)
        .is_none()
    {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": ROOT_CA, "namespace": ns,
                "annotations": {"kubernetes.io/description": ROOT_CA_DESCRIPTION}},
            "data": {"ca.crt": ctx.config.ca_pem}});
        let _ = client
            .create(&collection_path("v1", ns, "configmaps"), &cm)
            .await;
    }
}

/// The namespace controller.
pub async fn run_namespaces(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kube-controller-manager");
    let mut namespaces = Informer::new(ctx.state.clone(), "", "namespaces");
    let mut timers: Timers<()> = Timers::default();
    let mut clock = ctx.clock.clone();
    loop {
        tokio::select! {
            c = namespaces.next() => {
                let name = str_at(&c.object, "/metadata/name").to_string();
                if c.event == EventType::Deleted {
                    timers.cancel(&name);
                } else if !is_active(&c.object) && has_kubernetes_finalizer(&c.object) {
                    let delay = clock.delay("namespace-finalize", &name);
                    timers.schedule(&name, delay, ());
                }
            }
            (name, ()) = timers.next() => {
                clock.wait_running().await;
                if let Some(retry) = sync(&client, &ctx, &name).await {
                    timers.schedule(&name, retry, ());
                }
            }
        }
    }
}

fn has_kubernetes_finalizer(ns: &Value) -> bool {
    ns.pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|x| x.as_str() == Some("kubernetes")))
}

/// One pass over a terminating namespace; `Some(delay)` to come back.
async fn sync(client: &Client, ctx: &Context, name: &str) -> Option<Duration> {
    let ns_path = object_path("v1", "", "namespaces", name);
    let ns = client.get(&ns_path).await.ok()?;
    if is_active(&ns) || !has_kubernetes_finalizer(&ns) {
        return None;
    }
    // Delete every object in it (the real controller deletes collection by
    // collection; per object keeps the same writes visible).
    let content = ctx.state.store.keys_in_namespace(name);
    for (gr, obj_name) in &content {
        let Some(gv) = group_version(ctx, gr) else {
            continue;
        };
        let path = object_path(&gv, name, &gr.resource, obj_name);
        let cur = ctx.state.store.get(gr, name, obj_name);
        if cur.is_some_and(|o| o.pointer("/metadata/deletionTimestamp").is_some()) {
            continue;
        }
        let _ = client.delete(&path, "", None).await;
    }
    // What is left, and which finalizers hold it.
    let mut remaining: BTreeMap<String, usize> = BTreeMap::new();
    let mut finalizers: BTreeMap<String, usize> = BTreeMap::new();
    for (gr, obj_name) in ctx.state.store.keys_in_namespace(name) {
        *remaining
            .entry(format!("{}.{}", gr.resource, gr.group))
            .or_default() += 1;
        if let Some(o) = ctx.state.store.get(&gr, name, &obj_name) {
            for f in o
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                *finalizers.entry(f.to_string()).or_default() += 1;
            }
        }
    }
    update_conditions(client, &ns_path, &remaining, &finalizers).await;
    if !remaining.is_empty() {
        // UNVERIFIED: the real controller waits an estimate from the pods'
        // grace periods; kubemock polls.
        return Some(Duration::from_millis(50));
    }
    let mut ns = client.get(&ns_path).await.ok()?;
    let fins: Vec<Value> = ns
        .pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|f| f.as_str() != Some("kubernetes"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    ns["spec"]["finalizers"] = Value::Array(fins);
    match client.update(&format!("{ns_path}/finalize"), &ns).await {
        Ok(_) => None,
        Err(e) if e.code == 404 => None,
        Err(_) => Some(Duration::from_millis(50)),
    }
}

/// The served version of a stored resource (its preferred one).
pub(crate) fn group_version(ctx: &Context, gr: &GroupResource) -> Option<String> {
    let reg = ctx.state.registry();
    reg.versions(&gr.group).iter().find_map(|v| {
        reg.lookup(&gr.group, v, &gr.resource).map(|d| {
            if d.group.is_empty() {
                d.version.clone()
            } else {
                format!("{}/{}", d.group, d.version)
            }
        })
    })
}

/// The five conditions of `status_condition_utils.go`.
const CONDITIONS: &[(&str, &str, &str)] = &[
    (
        "NamespaceDeletionDiscoveryFailure",
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    (
        "NamespaceDeletionGroupVersionParsingFailure",
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    (
        "NamespaceDeletionContentFailure",
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    (
        "NamespaceContentRemaining",
        "ContentRemoved",
        "All content successfully removed",
    ),
    (
        "NamespaceFinalizersRemaining",
        "ContentHasNoFinalizers",
        "All content-preserving finalizers finished",
    ),
];

/// `ProcessContentTotals` + `updateConditions`: writes the conditions when
/// they changed (a condition keeps its transition time while its status,
/// reason and message stay).
async fn update_conditions(
    client: &Client,
    ns_path: &str,
    remaining: &BTreeMap<String, usize>,
    finalizers: &BTreeMap<String, usize>,
) {
    let Ok(mut ns) = client.get(ns_path).await else {
        return;
    };
    let now = crate::meta::time::now_rfc3339();
    let old: Vec<Value> = ns
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut conds = Vec::new();
    for (ty, ok_reason, ok_message) in CONDITIONS {
        let (status, reason, message) = match *ty {
            "NamespaceContentRemaining" if !remaining.is_empty() => {
                let parts: Vec<String> = remaining
                    .iter()
                    .map(|(r, n)| format!("{r} has {n} resource instances"))
                    .collect();
                (
                    "True",
                    "SomeResourcesRemain".to_string(),
                    format!("Some resources are remaining: {}", parts.join(", ")),
                )
            }
            "NamespaceFinalizersRemaining" if !finalizers.is_empty() => {
                let parts: Vec<String> = finalizers
                    .iter()
                    .map(|(f, n)| format!("{f} in {n} resource instances"))
                    .collect();
                (
                    "True",
                    "SomeFinalizersRemain".to_string(),
                    format!(
                        "Some content in the namespace has finalizers remaining: {}",
                        parts.join(", ")
                    ),
                )
            }
            _ => ("False", ok_reason.to_string(), ok_message.to_string()),
        };
        let same = old.iter().find(|c| {
            c["type"] == *ty
                && c["status"] == status
                && c["reason"] == reason
                && c["message"] == message
        });
        conds.push(match same {
            Some(c) => c.clone(),
            None => json!({"type": ty, "status": status, "lastTransitionTime": now,
                "reason": reason, "message": message}),
        });
    }
    if conds == old {
        return;
    }
    ns["status"]["conditions"] = Value::Array(conds);
    let _ = client.update(&format!("{ns_path}/status"), &ns).await;
}
