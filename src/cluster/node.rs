//! Nodes as their kubelets register them, and the node Leases the kubelets
//! renew (`pkg/kubelet/kubelet_node_status.go` `initialNode` and
//! `setNodeStatus`; `pkg/kubelet/nodelease`; KWOK's node stages).
//!
//! `--nodes N` nodes `kubemock-node-0..N-1`, Ready, with capacity and
//! allocatable, addresses from the node CIDR, a pod CIDR each, the usual
//! conditions and `nodeInfo.kubeletVersion` of the emulated version. Field
//! values beyond the shapes are UNVERIFIED (a kind node's, roughly).

use super::client::{collection_path, object_path, Client};
use super::informer::Timers;
use super::Context;
use serde_json::{json, Value};
use std::net::Ipv4Addr;

/// The name of node `i`.
pub fn node_name(i: usize) -> String {
    format!("kubemock-node-{i}")
}

/// Node `i`'s InternalIP: host `i + 2` of the node CIDR.
pub fn node_ip(ctx: &Context, i: usize) -> String {
    let (base, _) = super::parse_cidr(&ctx.config.node_cidr).unwrap_or((0xac12_0000, 16));
    Ipv4Addr::from(base.wrapping_add(i as u32 + 2)).to_string()
}

/// Node `i`'s pod CIDR: the `i`-th /24 of the pod CIDR.
pub fn pod_cidr(ctx: &Context, i: usize) -> (u32, String) {
    let (base, _) = super::parse_cidr(&ctx.config.pod_cidr).unwrap_or((0x0af4_0000, 16));
    let net = base.wrapping_add((i as u32) << 8);
    (net, format!("{}/24", Ipv4Addr::from(net)))
}

/// `metav1.MicroTime` now.
pub fn micro_time_now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The conditions a healthy kubelet reports (`pkg/kubelet/nodestatus/setters.go`).
const CONDITIONS: &[(&str, &str, &str, &str)] = &[
    (
        "NetworkUnavailable",
        "False",
        "RouteCreated",
        "RouteController created a route",
    ),
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    (
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
    ),
    (
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
    ),
    (
        "Ready",
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    ),
];

fn node_object(ctx: &Context, i: usize) -> Value {
    let name = node_name(i);
    let now = crate::meta::time::now_rfc3339();
    let (_, cidr) = pod_cidr(ctx, i);
    let id = format!(
        "{:016x}{:016x}",
        super::clock::stable_hash(ctx.config.seed, &["machine", &name]),
        super::clock::stable_hash(ctx.config.seed, &["boot", &name])
    );
    let resources = json!({
        "cpu": "8", "ephemeral-storage": "102400Mi", "hugepages-1Gi": "0",
        "hugepages-2Mi": "0", "memory": "32Gi", "pods": "110"
    });
    let conditions: Vec<Value> = CONDITIONS
        .iter()
        .map(|(ty, status, reason, message)| {
            json!({"type": ty, "status": status, "lastHeartbeatTime": now,
                "lastTransitionTime": now, "reason": reason, "message": message})
        })
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "type": "kubemock"
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true"
            }
        },
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "conditions": conditions,
            "addresses": [
                {"type": "InternalIP", "address": node_ip(ctx, i)},
                {"type": "Hostname", "address": name}
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": &id[..32],
                "systemUUID": format!("{}-{}-{}-{}-{}", &id[0..8], &id[8..12], &id[12..16], &id[16..20], &id[20..32]),
                "bootID": format!("{}-{}-{}-{}-{}", &id[16..24], &id[24..28], &id[28..32], &id[0..4], &id[4..16]),
                "kernelVersion": "6.8.0-kubemock",
                "osImage": "kubemock",
                "containerRuntimeVersion": "containerd://2.1.3",
                "kubeletVersion": ctx.state.profile.git_version,
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64"
            }
        }
    })
}

/// Registers the nodes, then renews their Leases on the clock.
pub async fn run(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kubelet");
    let mut clock = ctx.clock.clone();
    let mut timers: Timers<usize> = Timers::default();
    for i in 0..ctx.config.nodes {
        register(&client, &ctx, i).await;
        renew_lease(&client, &ctx, i).await;
        timers.schedule(
            &node_name(i),
            clock.delay("node-lease-renew", &node_name(i)),
            i,
        );
    }
    loop {
        let (name, i) = timers.next().await;
        clock.wait_running().await;
        renew_lease(&client, &ctx, i).await;
        let mut next = clock.delay("node-lease-renew", &name);
        if next.is_zero() {
            next = std::time::Duration::from_millis(10);
        }
        timers.schedule(&name, next, i);
    }
}

async fn register(client: &Client, ctx: &Context, i: usize) {
    let node = node_object(ctx, i);
    let created = match client
        .create(&collection_path("v1", "", "nodes"), &node)
        .await
    {
        Ok(n) => n,
        Err(e) if e.code == 409 => return,
        Err(e) => {
            tracing::warn!("registering {}: {e}", node_name(i));
            return;
        }
    };
    // A create that dropped the status (status subresource): write it.
    if created.pointer("/status/conditions").is_none() {
        let mut n = created;
        n["status"] = node["status"].clone();
        let path = object_path("v1", "", "nodes", &node_name(i));
        let _ = client.update(&format!("{path}/status"), &n).await;
    }
}

async fn renew_lease(client: &Client, ctx: &Context, i: usize) {
    let name = node_name(i);
    let path = object_path("coordination.k8s.io/v1", "kube-node-lease", "leases", &name);
    let now = micro_time_now();
    match client.get(&path).await {
        Ok(mut lease) => {
            lease["spec"]["renewTime"] = json!(now);
            let _ = client.update(&path, &lease).await;
        }
        Err(e) if e.code == 404 => {
            let uid = ctx
                .state
                .store
                .get(&crate::store::GroupResource::new("", "nodes"), "", &name)
                .and_then(|n| {
                    n.pointer("/metadata/uid")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_default();
            let duration = ((40.0 * ctx.config.time_scale).ceil() as i64).max(1);
            let lease = json!({
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {
                    "name": name,
                    "namespace": "kube-node-lease",
                    "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": uid}]
                },
                "spec": {"holderIdentity": name, "leaseDurationSeconds": duration, "renewTime": now}
            });
            let _ = client
                .create(
                    &collection_path("coordination.k8s.io/v1", "kube-node-lease", "leases"),
                    &lease,
                )
                .await;
        }
        Err(_) => {}
    }
}
