//! A cluster behind the API: the controllers a kind or KWOK cluster runs
//! (namespace and service-account controllers, nodes and their kubelets,
//! the scheduler), inside kubemock.
//!
//! Every controller is a client of the API ([`client::Client`]): it writes
//! through [`crate::api::handle`] with its real manager name
//! (`kube-controller-manager`, `kube-scheduler`, `kubelet`), so its writes get
//! the same admission, managedFields, resourceVersions and watch events as
//! any client's. It is driven by the store's watch ([`informer::Informer`])
//! and the [`clock::Clock`] (delays from the lifecycle file, seeded jitter,
//! time scale, pause). Each concern is one entry of [`CONTROLLERS`].
//!
//! Go sources mirrored: `pkg/controller/namespace`,
//! `pkg/controller/serviceaccount`, `pkg/controller/certificates/rootcacertpublisher`,
//! `pkg/scheduler` (binding, PodScheduled), `pkg/kubelet/status`,
//! `pkg/controller/{deployment,replicaset,replication,statefulset,daemon,job,cronjob}`,
//! `pkg/controller/history`, and KWOK's node and pod stages.

pub mod client;
pub mod clock;
pub mod cron;
pub mod cronjob;
pub mod daemonset;
pub mod endpoints;
pub mod events;
pub mod history;
pub mod informer;
pub mod job;
pub mod kubelet;
pub mod lifecycle;
pub mod namespace;
pub mod node;
pub mod scheduler;
pub mod statefulset;
pub mod workloads;

use crate::api::ApiState;
use crate::store::{GroupResource, ReadAt};
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::watch;

pub use lifecycle::{Lifecycle, LifecycleError};

/// What every controller gets.
#[derive(Clone)]
pub struct Context {
    /// The API.
    pub state: Arc<ApiState>,
    /// Settings.
    pub config: Arc<ClusterConfig>,
    /// Delays and pause.
    pub clock: clock::Clock,
    /// Set when the server stops.
    pub shutdown: watch::Receiver<bool>,
}

/// One controller: its name (for `--controllers`), the manager it writes
/// as, and its loop.
pub struct ControllerDef {
    /// Name in `--controllers`.
    pub name: &'static str,
    /// `fieldManager` of its writes.
    pub manager: &'static str,
    /// What it does.
    pub doc: &'static str,
    /// Its loop (returns when the server stops).
    pub run: fn(Context) -> BoxFuture<'static, ()>,
}

/// Every controller kubemock runs, in start order.
pub const CONTROLLERS: &[ControllerDef] = &[
    ControllerDef {
        name: "serviceaccount",
        manager: "kube-controller-manager",
        doc: "the default ServiceAccount and the kube-root-ca.crt ConfigMap in every namespace",
        run: |c| Box::pin(namespace::run_serviceaccounts(c)),
    },
    ControllerDef {
        name: "namespace",
        manager: "kube-controller-manager",
        doc: "deletes a terminating namespace's content, then finalizes it",
        run: |c| Box::pin(namespace::run_namespaces(c)),
    },
    ControllerDef {
        name: "node",
        manager: "kubelet",
        doc: "registers --nodes Ready nodes and renews their Leases",
        run: |c| Box::pin(node::run(c)),
    },
    ControllerDef {
        name: "scheduler",
        manager: "kube-scheduler",
        doc: "binds pending default-scheduler pods to nodes",
        run: |c| Box::pin(scheduler::run(c)),
    },
    ControllerDef {
        name: "kubelet",
        manager: "kubelet",
        doc: "runs bound pods through their lifecycle; graceful deletion",
        run: |c| Box::pin(kubelet::run(c)),
    },
    ControllerDef {
        name: "replicaset",
        manager: "kube-controller-manager",
        doc: "keeps a ReplicaSet's pods at spec.replicas",
        run: |c| Box::pin(workloads::run_replicasets(c)),
    },
    ControllerDef {
        name: "deployment",
        manager: "kube-controller-manager",
        doc: "rolls Deployments out through ReplicaSets",
        run: |c| Box::pin(workloads::run_deployments(c)),
    },
    ControllerDef {
        name: "replicationcontroller",
        manager: "kube-controller-manager",
        doc: "keeps a ReplicationController's pods at spec.replicas",
        run: |c| Box::pin(workloads::run_replication_controllers(c)),
    },
    ControllerDef {
        name: "statefulset",
        manager: "kube-controller-manager",
        doc: "StatefulSets' ordered pods with stable names, rolling updates, ControllerRevisions",
        run: |c| Box::pin(statefulset::run(c)),
    },
    ControllerDef {
        name: "daemonset",
        manager: "kube-controller-manager",
        doc: "one DaemonSet pod on every node it fits, rolling updates",
        run: |c| Box::pin(daemonset::run(c)),
    },
    ControllerDef {
        name: "job",
        manager: "kube-controller-manager",
        doc: "runs Jobs' pods to completion",
        run: |c| Box::pin(job::run(c)),
    },
    ControllerDef {
        name: "cronjob",
        manager: "kube-controller-manager",
        doc: "creates CronJobs' Jobs on their schedules (on the cluster's clock)",
        run: |c| Box::pin(cronjob::run(c)),
    },
    ControllerDef {
        name: "endpoints",
        manager: "kube-controller-manager",
        doc: "Endpoints and EndpointSlices of Services from their pods",
        run: |c| Box::pin(endpoints::run(c)),
    },
];

/// Settings of the cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Controllers to run (names from [`CONTROLLERS`]).
    pub controllers: Vec<&'static str>,
    /// Nodes to register.
    pub nodes: usize,
    /// Seed of every jitter.
    pub seed: u64,
    /// Multiplies every delay.
    pub time_scale: f64,
    /// Stages and delays.
    pub lifecycle: Lifecycle,
    /// Pod addresses: node `i` gets the `i`-th /24 of this /16.
    pub pod_cidr: String,
    /// Node addresses: node `i` gets host `i + 2` of this range.
    pub node_cidr: String,
    /// The CA (PEM) published in `kube-root-ca.crt`.
    pub ca_pem: String,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            controllers: CONTROLLERS.iter().map(|c| c.name).collect(),
            nodes: 1,
            seed: 0,
            time_scale: 1.0,
            lifecycle: Lifecycle::default(),
            pod_cidr: "10.244.0.0/16".into(),
            node_cidr: "172.18.0.0/16".into(),
            ca_pem: String::new(),
        }
    }
}

/// The controller names of `--controllers all|none|a,b,...`; an unknown
/// name is an error that lists the known ones.
pub fn parse_controllers(spec: &str) -> Result<Vec<&'static str>, String> {
    let spec = spec.trim();
    match spec {
        "all" | "" => return Ok(CONTROLLERS.iter().map(|c| c.name).collect()),
        "none" => return Ok(Vec::new()),
        _ => {}
    }
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match CONTROLLERS.iter().find(|c| c.name == part) {
            Some(c) if !out.contains(&c.name) => out.push(c.name),
            Some(_) => {}
            None => {
                let known: Vec<&str> = CONTROLLERS.iter().map(|c| c.name).collect();
                return Err(format!(
                    "unknown controller {part:?}; known: all, none, {}",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

/// Parses `a.b.c.d/n` into the address as a number and the prefix length.
pub fn parse_cidr(cidr: &str) -> Result<(u32, u8), String> {
    let (addr, len) = cidr
        .split_once('/')
        .ok_or_else(|| format!("{cidr:?} is not a CIDR (a.b.c.d/n)"))?;
    let ip: std::net::Ipv4Addr = addr
        .parse()
        .map_err(|e| format!("{cidr:?} is not a CIDR: {e}"))?;
    let len: u8 = len
        .parse()
        .ok()
        .filter(|l| *l <= 24)
        .ok_or_else(|| format!("{cidr:?}: the prefix must be a number up to 24"))?;
    Ok((u32::from(ip), len))
}

/// The running controllers: pause and resume them.
#[derive(Debug)]
pub struct Cluster {
    paused: watch::Sender<bool>,
    offset: watch::Sender<i64>,
    clock: clock::Clock,
    names: Vec<&'static str>,
    nodes: usize,
}

impl Cluster {
    /// Stops every controller from taking its next step until resumed
    /// (opens a timing window on purpose).
    pub fn pause(&self) {
        self.paused.send_replace(true);
    }
    /// Lets the controllers go on.
    pub fn resume(&self) {
        self.paused.send_replace(false);
    }
    /// Whether paused.
    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }
    /// Moves the cluster's clock forward by `by` (CronJob schedules fall
    /// due at once; delays already running are not shortened).
    pub fn advance_clock(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset.send_modify(|o| *o = o.saturating_add(ms));
    }
    /// The cluster's time now (see [`clock::Clock::now`]).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
    /// The controllers running.
    pub fn controllers(&self) -> &[&'static str] {
        &self.names
    }

    /// Waits (at most 10 s) until the start-up writes are done: the nodes
    /// registered and the namespaces present at start given their
    /// ServiceAccount and CA ConfigMap, so a client sees a settled cluster.
    pub async fn wait_started(&self, state: &Arc<ApiState>) {
        let nodes = if self.names.contains(&"node") {
            self.nodes
        } else {
            0
        };
        let accounts = self.names.contains(&"serviceaccount");
        let namespaces: Vec<String> = match state
            .store
            .snapshot(&GroupResource::new("", "namespaces"), ReadAt::Latest)
        {
            Ok(s) => s.objects.keys().map(|k| k.name.clone()).collect(),
            Err(_) => Vec::new(),
        };
        let settled = || {
            let store = &state.store;
            let node_count = store
                .snapshot(&GroupResource::new("", "nodes"), ReadAt::Latest)
                .map(|s| s.objects.len())
                .unwrap_or(0);
            node_count >= nodes
                && (!accounts
                    || namespaces.iter().all(|ns| {
                        store
                            .get_stored(&GroupResource::new("", "serviceaccounts"), ns, "default")
                            .is_some()
                            && store
                                .get_stored(
                                    &GroupResource::new("", "configmaps"),
                                    ns,
                                    "kube-root-ca.crt",
                                )
                                .is_some()
                    }))
        };
        let mut rx = state.store.rv_receiver();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while !settled() {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
    }
}

/// Starts the chosen controllers on the runtime; they end with `shutdown`.
pub fn start(
    state: Arc<ApiState>,
    config: ClusterConfig,
    shutdown: watch::Receiver<bool>,
) -> Cluster {
    let (paused, paused_rx) = watch::channel(false);
    let (offset, offset_rx) = watch::channel(0);
    let clock = clock::Clock::new(
        config.time_scale,
        config.seed,
        config.lifecycle.clone(),
        paused_rx,
        offset_rx,
    );
    let names = config.controllers.clone();
    let nodes = config.nodes;
    let ctx = Context {
        state,
        config: Arc::new(config),
        clock: clock.clone(),
        shutdown,
    };
    for def in CONTROLLERS.iter().filter(|d| names.contains(&d.name)) {
        let ctx = ctx.clone();
        let mut stop = ctx.shutdown.clone();
        let fut = (def.run)(ctx);
        tokio::spawn(async move {
            tokio::select! {
                _ = fut => {}
                _ = stop.wait_for(|v| *v) => {}
            }
        });
    }
    Cluster {
        paused,
        offset,
        clock,
        names,
        nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_lists_parse() {
        assert_eq!(parse_controllers("all").unwrap().len(), CONTROLLERS.len());
        assert!(parse_controllers("none").unwrap().is_empty());
        assert_eq!(
            parse_controllers("kubelet, scheduler").unwrap(),
            vec!["kubelet", "scheduler"]
        );
        let e = parse_controllers("kubelet,warp").unwrap_err();
        assert!(e.contains("unknown controller \"warp\""), "{e}");
    }

    #[test]
    fn cidrs_parse() {
        assert_eq!(parse_cidr("10.244.0.0/16").unwrap(), (0x0af4_0000, 16));
        assert!(parse_cidr("10.244.0.0").is_err());
        assert!(parse_cidr("10.244.0.0/30").is_err());
    }
}
