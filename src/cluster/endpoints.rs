//! Endpoints and EndpointSlices of Services with a selector, from the pods
//! that match it (`pkg/controller/endpointslice` and
//! `pkg/controller/endpoint`): Ready pods are ready endpoints, unready ones
//! not ready, terminating ones `terminating` (in slices only). One IPv4
//! slice per Service, labelled `kubernetes.io/service-name` and managed-by
//! `endpointslice-controller.k8s.io`. Named target ports resolve against
//! the pod's container ports. Kept current as pods and services change.

use super::client::{collection_path, object_path, Client};
use super::informer::{Informer, Timers};
use super::Context;
use crate::store::{EventType, GroupResource, ReadAt};
use serde_json::{json, Map, Value};
use std::sync::Arc;

const SERVICE_NAME: &str = "kubernetes.io/service-name";
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
const CONTROLLER: &str = "endpointslice-controller.k8s.io";

fn s<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// The controller loop.
pub async fn run(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kube-controller-manager");
    let mut services = Informer::new(ctx.state.clone(), "", "services");
    let mut pods = Informer::new(ctx.state.clone(), "", "pods");
    let mut timers: Timers<()> = Timers::default();
    let mut clock = ctx.clock.clone();
    loop {
        tokio::select! {
            c = services.next() => {
                if c.event != EventType::Deleted {
                    timers.schedule(&c.key, clock.delay("workload-sync", &c.key), ());
                }
            }
            c = pods.next() => {
                // Every service of the pod's namespace whose selector the
                // pod matches now or matched before.
                let ns = s(&c.object, "/metadata/namespace");
                for svc in services_in(&ctx, ns) {
                    let labels = c.object.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
                    if selects(&svc, &labels) || c.event != EventType::Added {
                        let key = format!("{ns}/{}", s(&svc, "/metadata/name"));
                        timers.schedule(&key, clock.delay("workload-sync", &key), ());
                    }
                }
            }
            (key, ()) = timers.next() => {
                clock.wait_running().await;
                sync(&client, &ctx, &key).await;
            }
        }
    }
}

fn collection(ctx: &Context, group: &str, resource: &str, ns: &str) -> Vec<Arc<Value>> {
    ctx.state
        .store
        .snapshot(&GroupResource::new(group, resource), ReadAt::Latest)
        .map(|snap| {
            snap.objects
                .iter()
                .filter(|(k, _)| k.namespace == ns)
                .map(|(_, o)| Arc::new(o.to_value()))
                .collect()
        })
        .unwrap_or_default()
}

fn services_in(ctx: &Context, ns: &str) -> Vec<Arc<Value>> {
    collection(ctx, "", "services", ns)
        .into_iter()
        .filter(|svc| selector(svc).is_some())
        .collect()
}

fn selector(svc: &Value) -> Option<&Map<String, Value>> {
    svc.pointer("/spec/selector")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty())
}

fn selects(svc: &Value, labels: &Value) -> bool {
    selector(svc).is_some_and(|sel| sel.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// A service port's target port on one pod (`podutil.FindPort`).
fn target_port(port: &Value, pod: &Value) -> Option<i64> {
    match port.get("targetPort") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(name)) => pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|c| {
                c.get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .find(|p| s(p, "/name") == name)
            .and_then(|p| p.get("containerPort").and_then(Value::as_i64)),
        _ => port.get("port").and_then(Value::as_i64),
    }
}

async fn sync(client: &Client, ctx: &Context, key: &str) {
    let Some((ns, name)) = key.split_once('/') else {
        return;
    };
    let Some(svc) = ctx
        .state
        .store
        .get(&GroupResource::new("", "services"), ns, name)
    else {
        return;
    };
    if selector(&svc).is_none() || svc.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let mut pods: Vec<Arc<Value>> = collection(ctx, "", "pods", ns)
        .into_iter()
        .filter(|p| {
            selects(
                &svc,
                &p.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
            ) && !s(p, "/status/podIP").is_empty()
                && !matches!(s(p, "/status/phase"), "Succeeded" | "Failed")
        })
        .collect();
    pods.sort_by(|a, b| s(a, "/metadata/name").cmp(s(b, "/metadata/name")));
    let svc_ports: Vec<Value> = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ready = |p: &Value| {
        p.pointer("/status/conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True")
    };
    let target_ref = |p: &Value| json!({"kind": "Pod", "namespace": ns, "name": s(p, "/metadata/name"), "uid": s(p, "/metadata/uid")});
    let ports_for = |pod: Option<&Value>| -> Vec<Value> {
        svc_ports
            .iter()
            .map(|sp| {
                let port = pod
                    .and_then(|p| target_port(sp, p))
                    .unwrap_or_else(|| sp.get("targetPort").and_then(Value::as_i64).unwrap_or(0));
                let mut out = json!({"name": s(sp, "/name"), "port": port,
                    "protocol": sp.get("protocol").cloned().unwrap_or(json!("TCP"))});
                if let Some(a) = sp.get("appProtocol") {
                    out["appProtocol"] = a.clone();
                }
                out
            })
            .collect()
    };
    // EndpointSlice.
    let endpoints: Vec<Value> = pods
        .iter()
        .map(|p| {
            let terminating = p.pointer("/metadata/deletionTimestamp").is_some();
            let r = ready(p) && !terminating;
            json!({"addresses": [s(p, "/status/podIP")],
                "conditions": {"ready": r, "serving": ready(p), "terminating": terminating},
                "nodeName": s(p, "/spec/nodeName"), "targetRef": target_ref(p)})
        })
        .collect();
    let mut labels = svc
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    labels[SERVICE_NAME] = json!(name);
    labels[MANAGED_BY] = json!(CONTROLLER);
    let owner = json!([{"apiVersion": "v1", "kind": "Service", "name": name,
        "uid": s(&svc, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true}]);
    let ports = ports_for(pods.first().map(|p| &**p));
    let existing = collection(ctx, "discovery.k8s.io", "endpointslices", ns)
        .into_iter()
        .find(|e| {
            s(
                e,
                &format!("/metadata/labels/{}", SERVICE_NAME.replace('/', "~1")),
            ) == name
        });
    match existing {
        Some(cur) => {
            let mut next = (*cur).clone();
            next["endpoints"] = Value::Array(endpoints);
            next["ports"] = Value::Array(ports);
            next["metadata"]["labels"] = labels;
            if next != *cur {
                let path = object_path(
                    "discovery.k8s.io/v1",
                    ns,
                    "endpointslices",
                    s(&cur, "/metadata/name"),
                );
                let _ = client.update(&path, &next).await;
            }
        }
        None => {
            let slice = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"generateName": format!("{name}-"), "namespace": ns, "labels": labels,
                    "ownerReferences": owner},
                "addressType": "IPv4", "endpoints": endpoints, "ports": ports});
            let _ = client
                .create(
                    &collection_path("discovery.k8s.io/v1", ns, "endpointslices"),
                    &slice,
                )
                .await;
        }
    }
    // Endpoints (v1): ready and not-ready addresses, terminating left out.
    let addr = |p: &Value| json!({"ip": s(p, "/status/podIP"), "nodeName": s(p, "/spec/nodeName"), "targetRef": target_ref(p)});
    let live: Vec<&Arc<Value>> = pods
        .iter()
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        .collect();
    let ready_addrs: Vec<Value> = live.iter().filter(|p| ready(p)).map(|p| addr(p)).collect();
    let unready: Vec<Value> = live.iter().filter(|p| !ready(p)).map(|p| addr(p)).collect();
    let mut ep = json!({"apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": name, "namespace": ns,
            "labels": svc.pointer("/metadata/labels").cloned().unwrap_or(json!({}))}});
    if !live.is_empty() {
        let mut subset = json!({"ports": ports_for(live.first().map(|p| &***p))
            .into_iter()
            .map(|mut p| { p.as_object_mut().map(|m| m.shift_remove("appProtocol")); p })
            .collect::<Vec<_>>()});
        if !ready_addrs.is_empty() {
            subset["addresses"] = Value::Array(ready_addrs);
        }
        if !unready.is_empty() {
            subset["notReadyAddresses"] = Value::Array(unready);
        }
        ep["subsets"] = json!([subset]);
    }
    let path = object_path("v1", ns, "endpoints", name);
    match client.get(&path).await {
        Ok(cur) => {
            let mut next = cur.clone();
            match ep.get("subsets") {
                Some(sub) => next["subsets"] = sub.clone(),
                None => {
                    next.as_object_mut().map(|m| m.shift_remove("subsets"));
                }
            }
            if next != cur {
                let _ = client.update(&path, &next).await;
            }
        }
        Err(e) if e.code == 404 => {
            let _ = client
                .create(&collection_path("v1", ns, "endpoints"), &ep)
                .await;
        }
        Err(_) => {}
    }
}
