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
//! With restartPolicy Never or OnFailure, a container's main process
//! exits as the process script says ([`crate::streams::script::ProcessScript`]:
//! exit code per run, run time, or never), else with the pod's
//! `kubemock.io/exit-code` annotation (default 0) after the `pod-complete`
//! delay. A container that restarts (OnFailure after a non-zero exit;
//! Always after any exit, which only a process script makes happen) waits
//! in `CrashLoopBackOff` (lastState terminated, restartCount + 1, a BackOff
//! event) for the kubelet's back-off (10 s doubling to 5 min, scaled), then
//! runs again. UNVERIFIED: the back-off is not reset after 10 min of a
//! good run, and the script's `process` is read per pod, not per node.

use super::client::{object_path, Client};
use super::clock::stable_hash;
use super::events::{EventKind, Recorder};
use super::informer::{Informer, Timers};
use super::node::{node_ip, node_name, pod_cidr};
use super::Context;
use crate::store::EventType;
use crate::streams::script::ProcessScript;
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
        .any(|c| c.pointer("/state/waiting").is_some())
    {
        return Some(Step::Start);
    }
    if phase == "Running"
        && s(pod, "/spec/restartPolicy") != "Always"
        && containers
            .iter()
            .any(|c| c.pointer("/state/running").is_some())
    {
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
                let Some(step) = k.step(&c.object) else {
                    timers.cancel(&c.key);
                    due.remove(&c.key);
                    continue;
                };
                if due.get(&c.key) == Some(&step) {
                    continue;
                }
                let mut delay = clock.delay(step.stage(), &c.key);
                if step == Step::Complete {
                    // The process script says whether and when the
                    // containers exit; a restarted one waits its back-off.
                    let Some(run) = k.run_time(&c.object) else {
                        timers.cancel(&c.key);
                        due.remove(&c.key);
                        continue;
                    };
                    delay = run.map_or(delay, |d| clock.scaled(d));
                }
                if step == Step::Start {
                    delay += clock.scaled(crash_loop_back_off(&c.object));
                }
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
        if !self.nodes.contains(&node) || self.step(&pod) != Some(step) {
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
                let before: Vec<Value> = list(&status, "/containerStatuses").to_vec();
                status["containerStatuses"] = json!(mains
                    .iter()
                    .map(|(n, i)| {
                        let mut c = running(n, i, true);
                        // A restart: the count and the last run stay, the
                        // container is a new one.
                        if let Some(old) = before.iter().find(|o| s(o, "/name") == n) {
                            let restarts =
                                old.get("restartCount").and_then(Value::as_u64).unwrap_or(0);
                            if restarts > 0 {
                                c["restartCount"] = json!(restarts);
                                c["lastState"] = old["lastState"].clone();
                                let run = restarts.to_string();
                                c["containerID"] = json!(format!(
                                    "containerd://{}",
                                    hex64(seed, &["container", &uid, n, &run])
                                ));
                            }
                        }
                        c
                    })
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
                // Each running container's main process exits with the
                // script's code for this run (or the pod's exit-code
                // annotation); under OnFailure a non-zero exit restarts it.
                let policy = s(&pod, "/spec/restartPolicy");
                let always = policy == "Always" || policy.is_empty();
                let on_failure = policy == "OnFailure";
                let default_code: i64 = pod
                    .pointer(&format!(
                        "/metadata/annotations/{}",
                        EXIT_CODE_ANNOTATION.replace('/', "~1")
                    ))
                    .and_then(Value::as_str)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let mut restarted = Vec::new();
                let mut out = Vec::new();
                for c in list(&status, "/containerStatuses") {
                    if c.pointer("/state/running").is_none() {
                        out.push(c.clone());
                        continue;
                    }
                    let cname = s(c, "/name").to_string();
                    let restarts = c.get("restartCount").and_then(Value::as_u64).unwrap_or(0);
                    let code = match self.process_of(&pod, &cname) {
                        Some(p) if p.runs_forever => {
                            out.push(c.clone());
                            continue;
                        }
                        Some(p) => i64::from(p.exit_code(restarts as usize)),
                        // Under Always only a scripted process exits.
                        None if always => {
                            out.push(c.clone());
                            continue;
                        }
                        None => default_code,
                    };
                    let done = terminated(c, code);
                    if always || (on_failure && code != 0) {
                        // The kubelet waits out the back-off before the
                        // next run (`kubectl get pods`: CrashLoopBackOff).
                        let wait = back_off(restarts + 1).as_secs();
                        let mut again = c.clone();
                        again["state"] = json!({"waiting": {"reason": "CrashLoopBackOff",
                            "message": format!("back-off {wait}s restarting failed container={cname} pod={name}_{ns}({uid})")}});
                        again["lastState"] =
                            json!({"terminated": done["state"]["terminated"].clone()});
                        again["ready"] = json!(false);
                        again["started"] = json!(false);
                        again["restartCount"] = json!(restarts + 1);
                        restarted.push(cname);
                        out.push(again);
                    } else {
                        out.push(done);
                    }
                }
                let all_done = out.iter().all(|c| c.pointer("/state/terminated").is_some());
                let failed = out.iter().any(|c| {
                    c.pointer("/state/terminated/exitCode")
                        .and_then(Value::as_i64)
                        .is_some_and(|x| x != 0)
                });
                let unready: Vec<&str> = out
                    .iter()
                    .filter(|c| c.pointer("/state/running").is_none())
                    .map(|c| s(c, "/name"))
                    .collect();
                let unready = unready.join(" ");
                status["containerStatuses"] = Value::Array(out);
                if all_done {
                    status["phase"] = json!(if failed { "Failed" } else { "Succeeded" });
                    let reason = if failed { "PodFailed" } else { "PodCompleted" };
                    set_conditions(
                        &mut status,
                        &now,
                        &[
                            ("PodReadyToStartContainers", false, None),
                            ("Ready", false, Some((reason, String::new()))),
                            ("ContainersReady", false, Some((reason, String::new()))),
                        ],
                    );
                } else if !unready.is_empty() {
                    let why = format!("containers with unready status: [{unready}]");
                    set_conditions(
                        &mut status,
                        &now,
                        &[
                            ("Ready", false, Some(("ContainersNotReady", why.clone()))),
                            ("ContainersReady", false, Some(("ContainersNotReady", why))),
                        ],
                    );
                }
                if self.put_status(&path, pod.clone(), status).await {
                    for n in &restarted {
                        let fp = format!("spec.containers{{{n}}}");
                        events
                            .record(
                                &pod,
                                Some(&fp),
                                EventKind::Warning,
                                "BackOff",
                                &format!("Back-off restarting failed container {n} in pod {name}_{ns}({uid})"),
                            )
                            .await;
                    }
                }
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

    /// The process script of one container of the pod, if it has one.
    fn process_of(&self, pod: &Value, container: &str) -> Option<ProcessScript> {
        let script = crate::streams::for_state(&self.ctx.state).script();
        let empty = serde_json::Map::new();
        let labels = pod
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let found = script
            .entries_for(
                s(pod, "/metadata/namespace"),
                s(pod, "/metadata/name"),
                labels,
                container,
            )
            .find_map(|e| e.process.clone());
        found
    }

    /// The step a pod is due for: [`next_step`], and under restartPolicy
    /// Always the exit of a container whose process script says it exits.
    fn step(&self, pod: &Value) -> Option<Step> {
        next_step(pod).or_else(|| {
            let always = matches!(s(pod, "/spec/restartPolicy"), "Always" | "");
            (always
                && s(pod, "/status/phase") == "Running"
                && pod.pointer("/metadata/deletionTimestamp").is_none()
                && self.run_time(pod).is_some())
            .then_some(Step::Complete)
        })
    }

    /// How long the running containers run before the next exit: `None`
    /// when every one of them runs forever (under restartPolicy Always:
    /// every one without a process script that exits), `Some(None)` for
    /// the lifecycle's `pod-complete` delay, `Some(Some(d))` for the
    /// longest script's `afterMs`.
    fn run_time(&self, pod: &Value) -> Option<Option<Duration>> {
        let always = matches!(s(pod, "/spec/restartPolicy"), "Always" | "");
        let mut forever = true;
        let mut longest: Option<Duration> = None;
        for c in list(pod, "/status/containerStatuses") {
            if c.pointer("/state/running").is_none() {
                continue;
            }
            match self.process_of(pod, s(c, "/name")) {
                Some(p) if p.runs_forever => {}
                Some(p) => {
                    forever = false;
                    if let Some(ms) = p.after_ms {
                        longest = longest.max(Some(Duration::from_millis(ms)));
                    }
                }
                None => forever &= always,
            }
        }
        (!forever).then_some(longest)
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

/// The kubelet's crash-loop back-off before a container's next run: 10 s
/// doubling per restart, at most 5 min (`kubecontainer.MaxContainerBackOff`).
fn crash_loop_back_off(pod: &Value) -> Duration {
    let restarts = list(pod, "/status/containerStatuses")
        .iter()
        .filter(|c| s(c, "/state/waiting/reason") == "CrashLoopBackOff")
        .filter_map(|c| c.get("restartCount").and_then(Value::as_u64))
        .max()
        .unwrap_or(0);
    back_off(restarts)
}

/// The back-off after the `restarts`-th exit.
fn back_off(restarts: u64) -> Duration {
    if restarts == 0 {
        return Duration::ZERO;
    }
    let secs = 10u64.saturating_mul(1 << (restarts - 1).min(10));
    Duration::from_secs(secs.min(300))
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
