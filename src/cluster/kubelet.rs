//! The kubelets of kubemock's nodes: a pod bound to one of them goes
//! Pending (ContainerCreating) -> init containers run -> Running and Ready,
//! or, with restartPolicy Never/OnFailure, on to Succeeded or Failed; a pod
//! being deleted has its containers stopped and is removed (DELETE with
//! `gracePeriodSeconds=0` and a uid precondition, as the status manager
//! does) after the `pod-stop` delay, never later than its scaled grace
//! period. Status shapes follow `pkg/kubelet/status/status_manager.go`,
//! `pkg/kubelet/kubelet_pods.go` (`generateAPIPodStatus`) and KWOK's pod
//! stages; values (image IDs, container IDs) are made up, seeded.
//!
//! A pod whose container finishes takes its exit code from the
//! `kubemock.io/exit-code` annotation (default 0).

use super::client::{object_path, Client};
use super::clock::stable_hash;
use super::events::{EventKind, Recorder};
use super::informer::{Informer, Timers};
use super::node::{node_ip, node_name, pod_cidr};
use super::Context;
use crate::store::EventType;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::time::Duration;

/// The exit code annotation of a run-to-completion pod.
pub const EXIT_CODE_ANNOTATION: &str = "kubemock.io/exit-code";

fn s<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn list<'v>(v: &'v Value, ptr: &str) -> &'v [Value] {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The step a pod is due for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Accept: Pending, ContainerCreating.
    Create,
    /// Run the init containers to completion.
    Init,
    /// Start the containers: Running, Ready.
    Start,
    /// Containers of a run-to-completion pod finish.
    Complete,
    /// Containers stopped, pod removed.
    Stop,
}

impl Step {
    fn stage(self) -> &'static str {
        match self {
            Step::Create => "pod-create",
            Step::Init | Step::Start => "pod-start",
            Step::Complete => "pod-complete",
            Step::Stop => "pod-stop",
        }
    }
}

/// What the pod needs next, from its current state.
fn next_step(pod: &Value) -> Option<Step> {
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        return Some(Step::Stop);
    }
    let phase = s(pod, "/status/phase");
    if matches!(phase, "Succeeded" | "Failed") {
        return None;
    }
    if pod.pointer("/status/containerStatuses").is_none() {
        return Some(Step::Create);
    }
    let inits = list(pod, "/status/initContainerStatuses");
    if inits
        .iter()
        .any(|c| c.pointer("/state/terminated").is_none())
    {
        return Some(Step::Init);
    }
    let containers = list(pod, "/status/containerStatuses");
    if containers
        .iter()
        .any(|c| c.pointer("/state/running").is_none())
    {
        return Some(Step::Start);
    }
    if phase == "Running" && s(pod, "/spec/restartPolicy") != "Always" {
        return Some(Step::Complete);
    }
    None
}

/// `docker.io/library/busybox:latest` for `busybox`, as containerd reports.
pub fn normalize_image(image: &str) -> String {
    let (name, tag) = match image.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n.to_string(), format!(":{t}")),
        _ if image.contains('@') => (image.to_string(), String::new()),
        _ => (image.to_string(), ":latest".to_string()),
    };
    let first = name.split('/').next().unwrap_or("");
    let has_registry =
        name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let name = if has_registry {
        name
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    format!("{name}{tag}")
}

fn hex64(seed: u64, parts: &[&str]) -> String {
    (0..4u64)
        .map(|i| format!("{:016x}", stable_hash(seed ^ i, parts)))
        .collect()
}

/// The kubelets' state.
struct Kubelet {
    client: Client,
    events: Recorder,
    ctx: Context,
    /// Our nodes' names.
    nodes: BTreeSet<String>,
    /// Pod IPs in use per node.
    ips: HashMap<String, BTreeSet<u32>>,
    /// pod key -> (node, ip) handed out.
    assigned: HashMap<String, (String, u32)>,
    /// Whether the last step's write failed (to be retried).
    failed: bool,
}

/// The kubelet loop (all nodes).
pub async fn run(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kubelet");
    let mut k = Kubelet {
        events: Recorder::new(client.clone(), "kubelet", ""),
        client,
        nodes: (0..ctx.config.nodes).map(node_name).collect(),
        ips: HashMap::new(),
        assigned: HashMap::new(),
        failed: false,
        ctx: ctx.clone(),
    };
    let mut pods = Informer::new(ctx.state.clone(), "", "pods");
    let mut timers: Timers<Step> = Timers::default();
    let mut due: HashMap<String, Step> = HashMap::new();
    let mut clock = ctx.clock.clone();
    loop {
        tokio::select! {
            c = pods.next() => {
                if c.event == EventType::Deleted {
                    timers.cancel(&c.key);
                    due.remove(&c.key);
                    k.release(&c.key);
                    continue;
                }
                if !k.nodes.contains(s(&c.object, "/spec/nodeName")) {
                    continue;
                }
                let Some(step) = next_step(&c.object) else {
                    timers.cancel(&c.key);
                    due.remove(&c.key);
                    continue;
                };
                if due.get(&c.key) == Some(&step) {
                    continue;
                }
                let mut delay = clock.delay(step.stage(), &c.key);
                if step == Step::Stop {
                    let grace = c.object
                        .pointer("/metadata/deletionGracePeriodSeconds")
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                        .max(0) as u64;
                    delay = delay.min(clock.scaled(Duration::from_secs(grace)));
                    // A shorter grace period replaces the pending stop.
                    timers.cancel(&c.key);
                }
                due.insert(c.key.clone(), step);
                timers.schedule(&c.key, delay, step);
            }
            (key, step) = timers.next() => {
                clock.wait_running().await;
                due.remove(&key);
                k.failed = false;
                k.act(&key, step).await;
                if k.failed {
                    // A conflicting write came in between: try again.
                    due.insert(key.clone(), step);
                    timers.schedule(&key, Duration::from_millis(10), step);
                }
            }
        }
    }
}

impl Kubelet {
    fn release(&mut self, key: &str) {
        if let Some((node, ip)) = self.assigned.remove(key) {
            if let Some(set) = self.ips.get_mut(&node) {
                set.remove(&ip);
            }
        }
    }

    fn node_index(&self, node: &str) -> usize {
        node.rsplit('-')
            .next()
            .and_then(|i| i.parse().ok())
            .unwrap_or(0)
    }

    /// A pod IP in the node's /24: a seeded pick from the pod's name, the
    /// next free address on a collision.
    fn pod_ip(&mut self, key: &str, node: &str) -> String {
        if let Some((_, ip)) = self.assigned.get(key) {
            return Ipv4Addr::from(*ip).to_string();
        }
        let (net, _) = pod_cidr(&self.ctx, self.node_index(node));
        let used = self.ips.entry(node.to_string()).or_default();
        let start = (stable_hash(self.ctx.config.seed, &["pod-ip", key]) % 252) as u32;
        let host = (0..252u32)
            .map(|i| (start + i) % 252 + 2)
            .find(|h| !used.contains(&(net + h)))
            .unwrap_or(2);
        used.insert(net + host);
        self.assigned
            .insert(key.to_string(), (node.to_string(), net + host));
        Ipv4Addr::from(net + host).to_string()
    }

    async fn act(&mut self, key: &str, step: Step) {
        let Some((ns, name)) = key.split_once('/') else {
            return;
        };
        let path = object_path("v1", ns, "pods", name);
        // Reads come from the store (the informer's cache); writes go
        // through the API.
        let Some(pod) = self
            .ctx
            .state
            .store
            .get(&crate::store::GroupResource::new("", "pods"), ns, name)
            .map(|p| (*p).clone())
        else {
            return;
        };
        let node = s(&pod, "/spec/nodeName").to_string();
        if !self.nodes.contains(&node) || next_step(&pod) != Some(step) {
            return;
        }
        let events = self.events.on_host(&node);
        let now = crate::meta::time::now_rfc3339();
        let seed = self.ctx.config.seed;
        let uid = s(&pod, "/metadata/uid").to_string();
        let host_ip = node_ip(&self.ctx, self.node_index(&node));
        let mut status = pod.get("status").cloned().unwrap_or(json!({}));
        let container_names = |field: &str| -> Vec<(String, String)> {
            list(&pod, &format!("/spec/{field}"))
                .iter()
                .map(|c| (s(c, "/name").to_string(), s(c, "/image").to_string()))
                .collect()
        };
        let inits = container_names("initContainers");
        let mains = container_names("containers");
        let main_list = mains
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let waiting = |n: &str, image: &str, reason: &str| {
            json!({"name": n, "state": {"waiting": {"reason": reason}}, "lastState": {},
                "ready": false, "restartCount": 0, "image": image, "imageID": "", "started": false})
        };
        let running = |n: &str, image: &str, ready: bool| {
            let image_n = normalize_image(image);
            json!({"name": n, "state": {"running": {"startedAt": now}}, "lastState": {},
                "ready": ready, "restartCount": 0, "image": image_n,
                "imageID": format!("{}@sha256:{}", image_n.rsplit_once(':').map(|(a, _)| a).unwrap_or(&image_n), hex64(seed, &["image", image])),
                "containerID": format!("containerd://{}", hex64(seed, &["container", &uid, n])),
                "started": true})
        };
        let terminated = |c: &Value, code: i64| {
            let mut c = c.clone();
            let started = c
                .pointer("/state/running/startedAt")
                .cloned()
                .unwrap_or(json!(now));
            c["state"] = json!({"terminated": {"exitCode": code,
                "reason": if code == 0 { "Completed" } else { "Error" },
                "startedAt": started, "finishedAt": now,
                "containerID": c.get("containerID").cloned().unwrap_or(Value::Null)}});
            c["ready"] = json!(false);
            c["started"] = json!(false);
            c
        };
        match step {
            Step::Create => {
                let init_reason = "PodInitializing";
                let main_reason = if inits.is_empty() {
                    "ContainerCreating"
                } else {
                    init_reason
                };
                status["phase"] = json!("Pending");
                status["hostIP"] = json!(host_ip);
                status["hostIPs"] = json!([{"ip": host_ip}]);
                status["startTime"] = json!(now);
                if !inits.is_empty() {
                    status["initContainerStatuses"] = json!(inits
                        .iter()
                        .map(|(n, i)| waiting(n, i, init_reason))
                        .collect::<Vec<_>>());
                }
                status["containerStatuses"] = json!(mains
                    .iter()
                    .map(|(n, i)| waiting(n, i, main_reason))
                    .collect::<Vec<_>>());
                let init_names: Vec<&str> = inits.iter().map(|(n, _)| n.as_str()).collect();
                set_conditions(
                    &mut status,
                    &now,
                    &[
                        ("PodReadyToStartContainers", false, None),
                        (
                            "Initialized",
                            inits.is_empty(),
                            (!inits.is_empty()).then(|| {
                                (
                                    "ContainersNotInitialized",
                                    format!(
                                        "containers with incomplete status: [{}]",
                                        init_names.join(" ")
                                    ),
                                )
                            }),
                        ),
                        (
                            "Ready",
                            false,
                            Some((
                                "ContainersNotReady",
                                format!("containers with unready status: [{main_list}]"),
                            )),
                        ),
                        (
                            "ContainersReady",
                            false,
                            Some((
                                "ContainersNotReady",
                                format!("containers with unready status: [{main_list}]"),
                            )),
                        ),
                    ],
                );
                if self.put_status(&path, pod.clone(), status).await {
                    let field = if inits.is_empty() {
                        "containers"
                    } else {
                        "initContainers"
                    };
                    let first = if inits.is_empty() { &mains } else { &inits };
                    for (n, image) in first {
                        self.pull_events(&events, &pod, &format!("spec.{field}{{{n}}}"), image)
                            .await;
                    }
                }
            }
            Step::Init => {
                let ip = self.pod_ip(key, &node);
                let done: Vec<Value> = list(&status, "/initContainerStatuses")
                    .iter()
                    .map(|c| {
                        let image = s(c, "/image").to_string();
                        terminated(&running(s(c, "/name"), &image, false), 0)
                    })
                    .collect();
                status["initContainerStatuses"] = Value::Array(done);
                status["containerStatuses"] = json!(mains
                    .iter()
                    .map(|(n, i)| waiting(n, i, "ContainerCreating"))
                    .collect::<Vec<_>>());
                self.set_ip(&pod, &mut status, &ip, &host_ip);
                set_conditions(
                    &mut status,
                    &now,
                    &[
                        ("PodReadyToStartContainers", true, None),
                        ("Initialized", true, None),
                    ],
                );
                if self.put_status(&path, pod.clone(), status).await {
                    for (n, _) in &inits {
                        let fp = format!("spec.initContainers{{{n}}}");
                        events
                            .record(
                                &pod,
                                Some(&fp),
                                EventKind::Normal,
                                "Created",
                                &format!("Created container: {n}"),
                            )
                            .await;
                        events
                            .record(
                                &pod,
                                Some(&fp),
                                EventKind::Normal,
                                "Started",
                                &format!("Started container {n}"),
                            )
                            .await;
                    }
                    for (n, image) in &mains {
                        self.pull_events(&events, &pod, &format!("spec.containers{{{n}}}"), image)
                            .await;
                    }
                }
            }
            Step::Start => {
                let ip = self.pod_ip(key, &node);
                status["phase"] = json!("Running");
                status["containerStatuses"] = json!(mains
                    .iter()
                    .map(|(n, i)| running(n, i, true))
                    .collect::<Vec<_>>());
                self.set_ip(&pod, &mut status, &ip, &host_ip);
                set_conditions(
                    &mut status,
                    &now,
                    &[
                        ("PodReadyToStartContainers", true, None),
                        ("Initialized", true, None),
                        ("Ready", true, None),
                        ("ContainersReady", true, None),
                    ],
                );
                if self.put_status(&path, pod.clone(), status).await {
                    for (n, _) in &mains {
                        let fp = format!("spec.containers{{{n}}}");
                        events
                            .record(
                                &pod,
                                Some(&fp),
                                EventKind::Normal,
                                "Created",
                                &format!("Created container: {n}"),
                            )
                            .await;
                        events
                            .record(
                                &pod,
                                Some(&fp),
                                EventKind::Normal,
                                "Started",
                                &format!("Started container {n}"),
                            )
                            .await;
                    }
                }
            }
            Step::Complete => {
                let code: i64 = pod
                    .pointer(&format!(
                        "/metadata/annotations/{}",
                        EXIT_CODE_ANNOTATION.replace('/', "~1")
                    ))
                    .and_then(Value::as_str)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let done: Vec<Value> = list(&status, "/containerStatuses")
                    .iter()
                    .map(|c| terminated(c, code))
                    .collect();
                status["containerStatuses"] = Value::Array(done);
                status["phase"] = json!(if code == 0 { "Succeeded" } else { "Failed" });
                let reason = if code == 0 {
                    "PodCompleted"
                } else {
                    "PodFailed"
                };
                set_conditions(
                    &mut status,
                    &now,
                    &[
                        ("PodReadyToStartContainers", false, None),
                        ("Ready", false, Some((reason, String::new()))),
                        ("ContainersReady", false, Some((reason, String::new()))),
                    ],
                );
                self.put_status(&path, pod.clone(), status).await;
            }
            Step::Stop => {
                for (n, _) in &mains {
                    let fp = format!("spec.containers{{{n}}}");
                    events
                        .record(
                            &pod,
                            Some(&fp),
                            EventKind::Normal,
                            "Killing",
                            &format!("Stopping container {n}"),
                        )
                        .await;
                }
                let opts = json!({"kind": "DeleteOptions", "apiVersion": "v1",
                    "gracePeriodSeconds": 0, "preconditions": {"uid": uid}});
                if let Err(e) = self
                    .client
                    .delete(&path, "gracePeriodSeconds=0", Some(&opts))
                    .await
                {
                    self.failed = retryable(e.code);
                }
            }
        }
    }

    fn set_ip(&self, pod: &Value, status: &mut Value, ip: &str, host_ip: &str) {
        let ip = if pod.pointer("/spec/hostNetwork").and_then(Value::as_bool) == Some(true) {
            host_ip
        } else {
            ip
        };
        status["podIP"] = json!(ip);
        status["podIPs"] = json!([{"ip": ip}]);
    }

    async fn pull_events(&self, events: &Recorder, pod: &Value, fp: &str, image: &str) {
        let policy = list(pod, "/spec/containers")
            .iter()
            .chain(list(pod, "/spec/initContainers"))
            .find(|c| s(c, "/image") == image)
            .map(|c| s(c, "/imagePullPolicy"))
            .unwrap_or("IfNotPresent");
        if policy == "Always" {
            events
                .record(
                    pod,
                    Some(fp),
                    EventKind::Normal,
                    "Pulling",
                    &format!("Pulling image \"{image}\""),
                )
                .await;
            events.record(pod, Some(fp), EventKind::Normal, "Pulled",
                &format!("Successfully pulled image \"{image}\" in 0s (0s including waiting). Image size: 0 bytes.")).await;
        } else {
            events
                .record(
                    pod,
                    Some(fp),
                    EventKind::Normal,
                    "Pulled",
                    &format!("Container image \"{image}\" already present on machine"),
                )
                .await;
        }
    }

    /// PUT `pods/{name}/status`; whether it was written.
    async fn put_status(&mut self, path: &str, mut pod: Value, status: Value) -> bool {
        pod["status"] = status;
        match self.client.update(&format!("{path}/status"), &pod).await {
            Ok(_) => true,
            Err(e) => {
                tracing::debug!("kubelet status of {path}: {e}");
                self.failed = e.code == 409 || retryable(e.code);
                false
            }
        }
    }
}

/// Whether a failed write is worth another try: throttled or a server
/// error. A 409 on a status write is a conflict with a newer write (retried
/// by the caller); on a DELETE with a uid precondition it means the pod was
/// replaced, and is final, as are 404 and validation errors.
fn retryable(code: u16) -> bool {
    code == 429 || code >= 500
}

/// Sets conditions in kubelet order (PodReadyToStartContainers,
/// Initialized, Ready, ContainersReady, PodScheduled), keeping the
/// transition time of a condition whose status does not change.
/// One wanted pod condition: type, whether True, and (reason, message).
type Wanted<'a> = (&'a str, bool, Option<(&'a str, String)>);

fn set_conditions(status: &mut Value, now: &str, wanted: &[Wanted<'_>]) {
    let old: Vec<Value> = list(status, "/conditions").to_vec();
    let order = [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ];
    let mut out = Vec::new();
    for ty in order {
        let prev = old.iter().find(|c| s(c, "/type") == ty);
        match wanted.iter().find(|(t, _, _)| *t == ty) {
            Some((_, ok, why)) => {
                let st = if *ok { "True" } else { "False" };
                let since = prev
                    .filter(|p| s(p, "/status") == st)
                    .and_then(|p| p.get("lastTransitionTime").cloned())
                    .unwrap_or(json!(now));
                let mut c = json!({"type": ty, "status": st, "lastProbeTime": null, "lastTransitionTime": since});
                if let Some((reason, message)) = why {
                    c["reason"] = json!(reason);
                    if !message.is_empty() {
                        c["message"] = json!(message);
                    }
                }
                out.push(c);
            }
            None => {
                if let Some(p) = prev {
                    out.push(p.clone());
                }
            }
        }
    }
    for c in old {
        if !order.contains(&s(&c, "/type")) {
            out.push(c);
        }
    }
    status["conditions"] = Value::Array(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_normalize_as_containerd_reports_them() {
        assert_eq!(
            normalize_image("busybox"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            normalize_image("nginx:1.27"),
            "docker.io/library/nginx:1.27"
        );
        assert_eq!(
            normalize_image("bitnami/redis"),
            "docker.io/bitnami/redis:latest"
        );
        assert_eq!(
            normalize_image("registry.k8s.io/pause:3.10"),
            "registry.k8s.io/pause:3.10"
        );
        assert_eq!(
            normalize_image("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
    }

    #[test]
    fn steps_follow_the_status() {
        let mut pod = json!({"spec": {"restartPolicy": "Always"}, "status": {"phase": "Pending"}});
        assert_eq!(next_step(&pod), Some(Step::Create));
        pod["status"]["containerStatuses"] = json!([{"state": {"waiting": {}}}]);
        pod["status"]["initContainerStatuses"] = json!([{"state": {"waiting": {}}}]);
        assert_eq!(next_step(&pod), Some(Step::Init));
        pod["status"]["initContainerStatuses"] = json!([{"state": {"terminated": {}}}]);
        assert_eq!(next_step(&pod), Some(Step::Start));
        pod["status"]["containerStatuses"] = json!([{"state": {"running": {}}}]);
        pod["status"]["phase"] = json!("Running");
        assert_eq!(next_step(&pod), None);
        pod["spec"]["restartPolicy"] = json!("Never");
        assert_eq!(next_step(&pod), Some(Step::Complete));
        pod["metadata"] = json!({"deletionTimestamp": "x"});
        assert_eq!(next_step(&pod), Some(Step::Stop));
    }
}
