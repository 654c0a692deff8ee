//! The cluster behind the API (issue 15): controllers run pods, nodes
//! register, namespaces finalize, all driven by real clients (kubectl, the
//! `kube` crate) against an in-process kubemock.

use crate::common;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod, ServiceAccount};
use kube::api::{Api, DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::wait::{await_condition, conditions};
use kubemock::MockServer;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

/// kubectl for one server (own discovery cache).
struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
    cache: tempfile::TempDir,
}

impl Kubectl {
    fn new(server: &MockServer) -> Option<Kubectl> {
        Some(Kubectl {
            bin: common::kubectl_bin()?,
            kubeconfig: server.kubeconfig_path().to_path_buf(),
            cache: tempfile::tempdir().expect("cache dir"),
        })
    }

    async fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = tokio::process::Command::new(&self.bin)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.cache.path())
            .args(args)
            .env_remove("KUBECONFIG")
            .kill_on_drop(true)
            .output()
            .await
            .expect("run kubectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    async fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(args).await;
        assert!(ok, "kubectl {args:?} failed:\n{out}\n{err}");
        out
    }
}

/// Polls `check` until it returns `Some`, or panics after the deadline.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    }))
    .expect("pod")
}

async fn start(b: kubemock::MockServerBuilder) -> (MockServer, kube::Client) {
    let server = b.start().await.expect("kubemock starts");
    let client = common::client_for(&server).await;
    (server, client)
}

#[tokio::test]
async fn kubectl_run_goes_ready_with_kubelet_status_and_events() {
    let server = MockServer::start().await;
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    k.ok(&["run", "p1", "--image=busybox", "--", "sleep", "3600"])
        .await;
    k.ok(&["wait", "--for=condition=Ready", "pod/p1", "--timeout=30s"])
        .await;
    let p: Value = serde_json::from_str(
        &k.ok(&["get", "pod", "p1", "-o", "json", "--show-managed-fields"])
            .await,
    )
    .unwrap();
    assert_eq!(p["spec"]["nodeName"], "kubemock-node-0");
    assert_eq!(p["status"]["phase"], "Running");
    assert_eq!(p["status"]["hostIP"], "172.18.0.2");
    let ip = p["status"]["podIP"].as_str().unwrap();
    assert!(ip.starts_with("10.244.0."), "{ip}");
    assert_eq!(p["status"]["podIPs"], json!([{"ip": ip}]));
    assert!(p["status"]["startTime"].is_string());
    let conds: Vec<(String, String)> = p["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    .iter()
    .map(|t| (t.to_string(), "True".to_string()))
    .collect();
    assert_eq!(conds, want);
    let cs = &p["status"]["containerStatuses"][0];
    assert_eq!(cs["name"], "p1");
    assert_eq!(cs["ready"], true);
    assert_eq!(cs["started"], true);
    assert_eq!(cs["restartCount"], 0);
    assert_eq!(cs["image"], "docker.io/library/busybox:latest");
    assert!(cs["imageID"]
        .as_str()
        .unwrap()
        .starts_with("docker.io/library/busybox@sha256:"));
    assert!(cs["containerID"]
        .as_str()
        .unwrap()
        .starts_with("containerd://"));
    assert!(cs["state"]["running"]["startedAt"].is_string());
    // The kubelet's and the scheduler's writes carry their manager names.
    let managers: Vec<&str> = p["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert!(managers.contains(&"kubelet"), "{managers:?}");
    // Events as a cluster records them.
    let out = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=p1",
            "-o",
            "json",
        ])
        .await;
    let events: Value = serde_json::from_str(&out).unwrap();
    let reasons: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    for r in ["Scheduled", "Pulling", "Pulled", "Created", "Started"] {
        assert!(reasons.contains(&r), "{r} in {reasons:?}");
    }
    // Graceful deletion: kubectl waits for the kubelet to remove the pod.
    k.ok(&["delete", "pod", "p1", "--timeout=30s"]).await;
    let (found, _, err) = k.run(&["get", "pod", "p1"]).await;
    assert!(!found && err.contains("NotFound"), "{err}");
}

#[tokio::test]
async fn namespaces_get_defaults_and_deletion_finalizes() {
    let server = MockServer::start().await;
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    // The namespaces present at start are settled when start() returns.
    let out = k.ok(&["get", "sa,cm", "-n", "kube-system"]).await;
    assert!(out.contains("serviceaccount/default"), "{out}");
    assert!(out.contains("configmap/kube-root-ca.crt"), "{out}");
    k.ok(&["create", "namespace", "x"]).await;
    let out = eventually("defaults in x", || async {
        let out = k.ok(&["get", "sa,cm", "-n", "x"]).await;
        (out.contains("serviceaccount/default") && out.contains("configmap/kube-root-ca.crt"))
            .then_some(out)
    })
    .await;
    assert!(out.contains("default"), "{out}");
    let ca = k
        .ok(&[
            "get",
            "cm",
            "kube-root-ca.crt",
            "-n",
            "x",
            "-o",
            "jsonpath={.data.ca\\.crt}",
        ])
        .await;
    assert_eq!(Some(ca.as_str()), server.ca_pem());
    k.ok(&["run", "web", "-n", "x", "--image=nginx"]).await;
    k.ok(&["create", "configmap", "c1", "-n", "x", "--from-literal=a=b"])
        .await;
    // kubectl delete waits until the namespace is gone.
    k.ok(&["delete", "namespace", "x", "--timeout=30s"]).await;
    let (found, _, err) = k.run(&["get", "namespace", "x"]).await;
    assert!(!found && err.contains("NotFound"), "{err}");
    assert!(server.state().store.keys_in_namespace("x").is_empty());
}

#[tokio::test]
async fn a_paused_cluster_holds_a_terminating_namespace_and_refuses_creates() {
    let (server, client) = start(MockServer::builder()).await;
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "held"}})).unwrap();
    nss.create(&PostParams::default(), &ns).await.unwrap();
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), "held");
    eventually("default sa", || async {
        sas.get_opt("default").await.unwrap()
    })
    .await;

    server.pause_controllers();
    let gone = nss.delete("held", &DeleteParams::default()).await.unwrap();
    let ns = gone.left().expect("the namespace, Terminating");
    assert_eq!(ns.status.unwrap().phase.as_deref(), Some("Terminating"));
    assert_eq!(
        ns.spec.unwrap().finalizers,
        Some(vec!["kubernetes".to_string()])
    );
    // NamespaceLifecycle admission: 403 in a terminating namespace.
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "held");
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "late"}})).unwrap();
    match cms.create(&PostParams::default(), &cm).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 403);
            assert!(
                s.message.contains("because it is being terminated"),
                "{}",
                s.message
            );
        }
        other => panic!("expected 403, got {other:?}"),
    }
    // Still there while paused (the window stays open).
    assert!(nss.get_opt("held").await.unwrap().is_some());
    assert!(sas.get_opt("default").await.unwrap().is_some());

    server.resume_controllers();
    eventually("namespace gone", || async {
        nss.get_opt("held").await.unwrap().is_none().then_some(())
    })
    .await;
}

#[tokio::test]
async fn bare_mode_is_a_kube_apiserver_alone() {
    let (server, client) = start(MockServer::builder().controllers("none")).await;
    assert!(server.controllers().is_empty());
    let nodes: Api<Node> = Api::all(client.clone());
    assert!(nodes
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .is_empty());
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    assert!(sas.get_opt("default").await.unwrap().is_none());
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.create(&PostParams::default(), &pod("idle"))
        .await
        .unwrap();
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "stays"}})).unwrap();
    nss.create(&PostParams::default(), &ns).await.unwrap();
    nss.delete("stays", &DeleteParams::default()).await.unwrap();
    // A later write proves the controllers had their chance: nothing moved.
    let rv = server.state().store.current_rv();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "tick"}})).unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();
    assert_eq!(
        server.state().store.current_rv(),
        rv + 1,
        "only the client wrote"
    );
    let p = pods.get("idle").await.unwrap();
    assert!(p.spec.unwrap().node_name.is_none());
    let ns = nss.get("stays").await.unwrap();
    assert_eq!(ns.status.unwrap().phase.as_deref(), Some("Terminating"));
    // Deleting an unscheduled pod is immediate (no kubelet owns it).
    pods.delete("idle", &DeleteParams::default()).await.unwrap();
    assert!(pods.get_opt("idle").await.unwrap().is_none());
}

#[tokio::test]
async fn kube_rs_awaits_running_pods_spread_over_nodes() {
    let (_server, client) = start(MockServer::builder().nodes(3)).await;
    let nodes: Api<Node> = Api::all(client.clone());
    let list = nodes.list(&ListParams::default()).await.unwrap();
    let names: Vec<String> = list
        .items
        .iter()
        .map(|n| n.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        ["kubemock-node-0", "kubemock-node-1", "kubemock-node-2"]
    );
    for n in &list.items {
        let st = n.status.as_ref().unwrap();
        let ready = st
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == "Ready")
            .unwrap();
        assert_eq!(ready.status, "True");
        assert_eq!(st.node_info.as_ref().unwrap().kubelet_version, "v1.37.0");
        assert_eq!(st.allocatable.as_ref().unwrap()["pods"].0, "110");
    }
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), "kube-node-lease");
    let l = leases.get("kubemock-node-1").await.unwrap();
    assert_eq!(
        l.spec.unwrap().holder_identity.as_deref(),
        Some("kubemock-node-1")
    );

    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for i in 0..3 {
        pods.create(&PostParams::default(), &pod(&format!("w{i}")))
            .await
            .unwrap();
    }
    let mut placed = Vec::new();
    for i in 0..3 {
        let name = format!("w{i}");
        let running = tokio::time::timeout(
            DEADLINE,
            await_condition(pods.clone(), &name, conditions::is_pod_running()),
        )
        .await
        .expect("running in time")
        .unwrap()
        .unwrap();
        placed.push(running.spec.unwrap().node_name.unwrap());
    }
    placed.sort();
    assert_eq!(placed, names, "least-pods spreads one pod per node");
}

#[tokio::test]
async fn scheduler_filters_and_user_binding() {
    let (_server, client) = start(MockServer::builder()).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut p = pod("picky");
    p.spec.as_mut().unwrap().node_selector = Some([("disk".to_string(), "ssd".to_string())].into());
    pods.create(&PostParams::default(), &p).await.unwrap();
    let cond = eventually("Unschedulable", || async {
        let p = pods.get("picky").await.unwrap();
        p.status?
            .conditions?
            .into_iter()
            .find(|c| c.type_ == "PodScheduled" && c.status == "False")
    })
    .await;
    assert_eq!(cond.reason.as_deref(), Some("Unschedulable"));
    assert_eq!(
        cond.message.as_deref(),
        Some("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
    );
    // Labelling the node lets it schedule.
    let nodes: Api<Node> = Api::all(client.clone());
    nodes
        .patch(
            "kubemock-node-0",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"metadata": {"labels": {"disk": "ssd"}}})),
        )
        .await
        .unwrap();
    tokio::time::timeout(
        DEADLINE,
        await_condition(pods.clone(), "picky", conditions::is_pod_running()),
    )
    .await
    .expect("running in time")
    .unwrap();

    // Another scheduler's pod is left alone; a user scheduler binds it.
    let mut p = pod("mine");
    p.spec.as_mut().unwrap().scheduler_name = Some("my-scheduler".into());
    pods.create(&PostParams::default(), &p).await.unwrap();
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "mine"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "kubemock-node-0"}});
    let req = http::Request::post("/api/v1/namespaces/default/pods/mine/binding")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&binding).unwrap())
        .unwrap();
    let status: Value = client.request(req).await.unwrap();
    assert_eq!(status["status"], "Success");
    assert_eq!(status["code"], 201);
    tokio::time::timeout(
        DEADLINE,
        await_condition(pods.clone(), "mine", conditions::is_pod_running()),
    )
    .await
    .expect("running in time")
    .unwrap();
    let req = http::Request::post("/api/v1/namespaces/default/pods/mine/binding")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&binding).unwrap())
        .unwrap();
    match client.request::<Value>(req).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 409);
            assert!(
                s.message.contains("is already assigned to node"),
                "{}",
                s.message
            );
        }
        other => panic!("expected 409, got {other:?}"),
    }
}

#[tokio::test]
async fn graceful_deletion_waits_the_scaled_grace_period_and_force_does_not() {
    // Containers that ignore SIGTERM (pod-stop far away): the grace period,
    // 30 s scaled by 0.01, bounds the deletion.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("slow-stop.yaml");
    std::fs::write(
        &file,
        "apiVersion: kubemock.io/v1alpha1\nkind: Lifecycle\nstages:\n- name: pod-stop\n  delay: 1h\n",
    )
    .unwrap();
    let (server, client) =
        start(MockServer::builder().time_scale(0.01).lifecycle_file(&file)).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for name in ["slow", "forced"] {
        pods.create(&PostParams::default(), &pod(name))
            .await
            .unwrap();
        tokio::time::timeout(
            DEADLINE,
            await_condition(pods.clone(), name, conditions::is_pod_running()),
        )
        .await
        .expect("running in time")
        .unwrap();
    }
    let res = pods.delete("slow", &DeleteParams::default()).await.unwrap();
    let p = res.left().expect("the pod, being deleted");
    assert_eq!(p.metadata.deletion_grace_period_seconds, Some(30));
    assert!(p.metadata.deletion_timestamp.is_some());
    tokio::time::timeout(
        DEADLINE,
        await_condition(
            pods.clone(),
            "slow",
            conditions::is_deleted(&p.metadata.uid.clone().unwrap()),
        ),
    )
    .await
    .expect("removed in time")
    .unwrap();

    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    k.ok(&["delete", "pod", "forced", "--grace-period=0", "--force"])
        .await;
    assert!(
        pods.get_opt("forced").await.unwrap().is_none(),
        "removed at once"
    );
}

#[tokio::test]
async fn bad_cluster_options_stop_start_up_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "apiVersion: kubemock.io/v1alpha1\nkind: Lifecycle\nstages:\n- name: pod-start\n  delay: soonish\n",
    )
    .unwrap();
    let err = MockServer::builder()
        .lifecycle_file(&file)
        .start()
        .await
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains(&format!("{}:5: ", file.display())), "{msg}");
    assert!(msg.contains("soonish"), "{msg}");
    let err = MockServer::builder()
        .controllers("kubelet,warp")
        .start()
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("unknown controller \"warp\""),
        "{err:#}"
    );
    let err = MockServer::builder()
        .time_scale(-1.0)
        .start()
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("--time-scale"), "{err:#}");
}

/// Replaces what differs between runs by design (timestamps, uids,
/// resourceVersions, generated names) with placeholders.
fn normalize(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in [
                "uid",
                "resourceVersion",
                "creationTimestamp",
                "managedFields",
                "containerID",
            ] {
                if m.contains_key(k) {
                    m.insert(k.into(), json!("*"));
                }
            }
            for (_, x) in m.iter_mut() {
                normalize(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalize),
        Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => *s = "T".into(),
        // The service-account volume's generated name.
        Value::String(s) if s.starts_with("kube-api-access-") => *s = "kube-api-access-*".into(),
        _ => {}
    }
}

/// One run: watch pods, create `n` pods one after another, wait until all
/// run; the watch events per pod, normalized.
async fn recorded_run(seed: u64) -> std::collections::BTreeMap<String, Vec<(String, Value)>> {
    use futures::{StreamExt, TryStreamExt};
    let (_server, client) = start(MockServer::builder().seed(seed).nodes(2)).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut stream = pods
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    let names = ["d0", "d1", "d2", "d3"];
    for n in names {
        let mut p = pod(n);
        p.spec.as_mut().unwrap().init_containers = Some(vec![serde_json::from_value(
            json!({"name": "init", "image": "busybox"}),
        )
        .unwrap()]);
        pods.create(&PostParams::default(), &p).await.unwrap();
    }
    let mut per_pod: std::collections::BTreeMap<String, Vec<(String, Value)>> = Default::default();
    let mut running = std::collections::BTreeSet::new();
    let end = Instant::now() + DEADLINE;
    while running.len() < names.len() {
        let ev = tokio::time::timeout_at(end.into(), stream.try_next())
            .await
            .expect("pods running in time")
            .unwrap()
            .expect("watch open");
        let (ty, p) = match ev {
            WatchEvent::Added(p) => ("ADDED", p),
            WatchEvent::Modified(p) => ("MODIFIED", p),
            WatchEvent::Deleted(p) => ("DELETED", p),
            _ => continue,
        };
        let name = p.metadata.name.clone().unwrap();
        if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running") {
            running.insert(name.clone());
        }
        let mut v = serde_json::to_value(&p).unwrap();
        normalize(&mut v);
        per_pod.entry(name).or_default().push((ty.to_string(), v));
    }
    per_pod
}

#[tokio::test]
async fn the_same_seed_gives_the_same_watch_events() {
    let a = recorded_run(42).await;
    let b = recorded_run(42).await;
    assert_eq!(a.len(), 4);
    for (name, events) in &a {
        let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
        // created, scheduled, accepted (Pending), init done, running
        assert_eq!(
            types,
            ["ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "MODIFIED"],
            "{name}"
        );
        let other = &b[name];
        for (i, (x, y)) in events.iter().zip(other).enumerate() {
            assert_eq!(x, y, "{name}: event {i} differs between runs");
        }
        assert_eq!(events.len(), other.len(), "{name}");
    }
    // Another seed moves pod IPs.
    let c = recorded_run(7).await;
    let ip = |r: &std::collections::BTreeMap<String, Vec<(String, Value)>>| {
        r["d0"].last().unwrap().1["status"]["podIP"].clone()
    };
    assert_ne!(ip(&a), ip(&c));
}

#[tokio::test]
async fn kubectl_rollouts_scale_and_undo() {
    let server = MockServer::start().await;
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    k.ok(&[
        "create",
        "deployment",
        "d1",
        "--image=nginx",
        "--replicas=3",
    ])
    .await;
    k.ok(&["rollout", "status", "deployment/d1", "--timeout=30s"])
        .await;
    let rs: Value = serde_json::from_str(&k.ok(&["get", "rs", "-o", "json"]).await).unwrap();
    let first = &rs["items"][0];
    let hash = first["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(first["metadata"]["name"], format!("d1-{hash}"));
    assert_eq!(
        first["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );
    assert_eq!(
        first["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"],
        "3"
    );
    assert_eq!(
        first["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"],
        "4"
    );
    assert_eq!(first["status"]["readyReplicas"], 3);

    k.ok(&["set", "image", "deployment/d1", "nginx=nginx:1.27"])
        .await;
    k.ok(&["rollout", "status", "deployment/d1", "--timeout=30s"])
        .await;
    let d: Value =
        serde_json::from_str(&k.ok(&["get", "deployment", "d1", "-o", "json"]).await).unwrap();
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    assert_eq!(d["status"]["updatedReplicas"], 3);
    assert_eq!(d["status"]["availableReplicas"], 3);
    assert_eq!(
        d["status"]["observedGeneration"],
        d["metadata"]["generation"]
    );
    let conds = d["status"]["conditions"].as_array().unwrap();
    let progressing = conds.iter().find(|c| c["type"] == "Progressing").unwrap();
    assert_eq!(progressing["reason"], "NewReplicaSetAvailable");
    let available = conds.iter().find(|c| c["type"] == "Available").unwrap();
    assert_eq!(available["reason"], "MinimumReplicasAvailable");
    assert_eq!(available["message"], "Deployment has minimum availability.");
    let out = k
        .ok(&[
            "get",
            "pods",
            "-l",
            "app=d1",
            "-o",
            "jsonpath={.items[*].spec.containers[0].image}",
        ])
        .await;
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["nginx:1.27"; 3],
        "{out}"
    );
    let history = k.ok(&["rollout", "history", "deployment/d1"]).await;
    assert!(history.contains('1') && history.contains('2'), "{history}");

    k.ok(&["rollout", "undo", "deployment/d1"]).await;
    k.ok(&["rollout", "status", "deployment/d1", "--timeout=30s"])
        .await;
    let d: Value =
        serde_json::from_str(&k.ok(&["get", "deployment", "d1", "-o", "json"]).await).unwrap();
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "3"
    );
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx"
    );
    let rs: Value = serde_json::from_str(&k.ok(&["get", "rs", "-o", "json"]).await).unwrap();
    assert_eq!(
        rs["items"].as_array().unwrap().len(),
        2,
        "undo reuses the first ReplicaSet"
    );

    k.ok(&["scale", "deployment/d1", "--replicas=5"]).await;
    k.ok(&["rollout", "status", "deployment/d1", "--timeout=30s"])
        .await;
    let out = eventually("5 running pods", || async {
        let out = k
            .ok(&[
                "get",
                "pods",
                "-l",
                "app=d1",
                "--field-selector=status.phase=Running",
                "-o",
                "name",
            ])
            .await;
        (out.lines().count() == 5).then_some(out)
    })
    .await;
    assert_eq!(out.lines().count(), 5);
    let events = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=d1",
            "-o",
            "jsonpath={.items[*].message}",
        ])
        .await;
    assert!(
        events.contains(&format!("Scaled up replica set d1-{hash} from 0 to 3")),
        "{events}"
    );
    let events = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.kind=ReplicaSet",
            "-o",
            "jsonpath={.items[*].reason}",
        ])
        .await;
    assert!(
        events.contains("SuccessfulCreate") && events.contains("SuccessfulDelete"),
        "{events}"
    );
}

#[tokio::test]
async fn jobs_complete_or_fail_by_the_pods_exit_codes() {
    let server = MockServer::start().await;
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    k.ok(&["create", "job", "j1", "--image=busybox", "--", "true"])
        .await;
    k.ok(&[
        "wait",
        "--for=condition=complete",
        "job/j1",
        "--timeout=30s",
    ])
    .await;
    let j: Value = serde_json::from_str(&k.ok(&["get", "job", "j1", "-o", "json"]).await).unwrap();
    assert_eq!(j["status"]["succeeded"], 1);
    assert!(j["status"]["completionTime"].is_string());
    let types: Vec<&str> = j["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["SuccessCriteriaMet", "Complete"]);
    let out = k
        .ok(&[
            "get",
            "pods",
            "-l",
            "job-name=j1",
            "-o",
            "jsonpath={.items[*].status.phase}",
        ])
        .await;
    assert_eq!(out, "Succeeded");

    // Two completions, one at a time; then a Job whose pods fail.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        r#"
apiVersion: batch/v1
kind: Job
metadata: {name: j2}
spec:
  completions: 2
  parallelism: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  backoffLimit: 1
  template:
    metadata:
      annotations: {kubemock.io/exit-code: "3"}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
"#,
    )
    .unwrap();
    k.ok(&["apply", "-f", file.path().to_str().unwrap()]).await;
    k.ok(&[
        "wait",
        "--for=condition=complete",
        "job/j2",
        "--timeout=30s",
    ])
    .await;
    k.ok(&["wait", "--for=condition=failed", "job/bad", "--timeout=30s"])
        .await;
    let j: Value = serde_json::from_str(&k.ok(&["get", "job", "bad", "-o", "json"]).await).unwrap();
    assert_eq!(j["status"]["failed"], 2, "backoffLimit 1: two pods failed");
    let failed = j["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Failed")
        .unwrap()
        .clone();
    assert_eq!(failed["reason"], "BackoffLimitExceeded");
    let out = k
        .ok(&[
            "get",
            "pods",
            "-l",
            "job-name=bad",
            "-o",
            "jsonpath={.items[*].status.containerStatuses[0].state.terminated.exitCode}",
        ])
        .await;
    assert_eq!(out, "3 3");
}

#[tokio::test]
async fn endpoint_slices_follow_ready_pods() {
    let server = MockServer::start().await;
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    k.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx",
        "--replicas=2",
        "--port=80",
    ])
    .await;
    k.ok(&[
        "expose",
        "deployment",
        "web",
        "--port=8080",
        "--target-port=80",
    ])
    .await;
    k.ok(&["rollout", "status", "deployment/web", "--timeout=30s"])
        .await;
    let addresses = |n: usize| {
        let k = &k;
        async move {
            eventually(&format!("{n} endpoints"), || async {
                let out = k
                    .ok(&[
                        "get",
                        "endpointslices",
                        "-l",
                        "kubernetes.io/service-name=web",
                        "-o",
                        "json",
                    ])
                    .await;
                let v: Value = serde_json::from_str(&out).unwrap();
                let slice = v["items"].get(0)?.clone();
                let eps = slice["endpoints"].as_array().cloned().unwrap_or_default();
                let ready = eps
                    .iter()
                    .filter(|e| e["conditions"]["ready"] == true)
                    .count();
                (ready == n && eps.len() == n).then_some(slice)
            })
            .await
        }
    };
    let slice = addresses(2).await;
    assert_eq!(slice["addressType"], "IPv4");
    assert_eq!(slice["ports"][0]["port"], 80);
    assert_eq!(
        slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(slice["endpoints"][0]["targetRef"]["kind"], "Pod");
    let ep = k
        .ok(&[
            "get",
            "endpoints",
            "web",
            "-o",
            "jsonpath={.subsets[0].addresses[*].ip}",
        ])
        .await;
    assert_eq!(ep.split_whitespace().count(), 2, "{ep}");
    // Scaling down removes an address; scaling up adds it back.
    k.ok(&["scale", "deployment/web", "--replicas=1"]).await;
    addresses(1).await;
    k.ok(&["scale", "deployment/web", "--replicas=3"]).await;
    addresses(3).await;
}

#[tokio::test]
async fn python_client_watches_a_pod_to_running() {
    let server = MockServer::start().await;
    let Some(python) = common::find_tool("PYTHON", "python3") else {
        eprintln!("SKIP: python3 not found");
        return;
    };
    let client = common::client_for(&server).await;
    let pods: Api<Pod> = Api::namespaced(client, "default");
    pods.create(&PostParams::default(), &pod("py"))
        .await
        .unwrap();
    let script = r#"
import sys
from kubernetes import client, config, watch
config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
for ev in watch.Watch().stream(v1.list_namespaced_pod, "default", field_selector="metadata.name=py", timeout_seconds=30):
    p = ev["object"]
    print(ev["type"], p.status.phase, flush=True)
    if p.status.phase == "Running" and all(c.ready for c in p.status.container_statuses or []):
        print("RUNNING", p.status.pod_ip)
        break
"#;
    let out = tokio::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(server.kubeconfig_path())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if String::from_utf8_lossy(&out.stderr).contains("No module named 'kubernetes'") {
        eprintln!("SKIP: python kubernetes package not installed");
        return;
    }
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("RUNNING 10.244.0."), "{stdout}");
}

/// Writes `yaml` to a file beside kubectl's cache and applies it.
async fn apply(k: &Kubectl, name: &str, yaml: &str) {
    let path = k.cache.path().join(name);
    std::fs::write(&path, yaml).expect("write manifest");
    k.ok(&["apply", "-f", path.to_str().unwrap()]).await;
}

fn names_and_images(pods: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(|p| {
            (
                p["metadata"]["name"].as_str().unwrap().to_string(),
                p["spec"]["containers"][0]["image"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

const STATEFULSET: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: "nginx:1.26"}]}
"#;

#[tokio::test]
async fn statefulset_creates_in_order_and_rolls_out_by_partition() {
    use futures::{StreamExt, TryStreamExt};
    let (server, client) = start(MockServer::builder()).await;
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut stream = pods
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    apply(&k, "sts.yaml", STATEFULSET).await;
    let out = k
        .ok(&["rollout", "status", "statefulset/web", "--timeout=30s"])
        .await;
    assert!(
        out.contains("partitioned roll out complete: 3 new pods have been updated"),
        "{out}"
    );
    // OrderedReady: web-N is created only after web-(N-1) is Ready.
    let mut ready = std::collections::BTreeSet::new();
    let mut created = Vec::new();
    while created.len() < 3 {
        let ev = tokio::time::timeout(DEADLINE, stream.try_next())
            .await
            .expect("events")
            .unwrap()
            .expect("watch open");
        let (added, p) = match ev {
            WatchEvent::Added(p) => (true, p),
            WatchEvent::Modified(p) => (false, p),
            _ => continue,
        };
        let name = p.metadata.name.clone().unwrap();
        if added {
            if let Some(prev) = created.len().checked_sub(1) {
                assert!(
                    ready.contains(&format!("web-{prev}")),
                    "{name} created before web-{prev} was Ready"
                );
            }
            created.push(name.clone());
        }
        let is_ready = p
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        if is_ready {
            ready.insert(name);
        }
    }
    assert_eq!(created, ["web-0", "web-1", "web-2"]);
    let p: Value =
        serde_json::from_str(&k.ok(&["get", "pod", "web-1", "-o", "json"]).await).unwrap();
    assert_eq!(p["spec"]["hostname"], "web-1");
    assert_eq!(p["spec"]["subdomain"], "web");
    assert_eq!(
        p["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
        "web-1"
    );
    assert_eq!(p["metadata"]["labels"]["apps.kubernetes.io/pod-index"], "1");
    assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "StatefulSet");
    let sts: Value =
        serde_json::from_str(&k.ok(&["get", "sts", "web", "-o", "json"]).await).unwrap();
    let rev1 = sts["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(sts["status"]["currentRevision"], rev1);
    assert_eq!(p["metadata"]["labels"]["controller-revision-hash"], rev1);
    for f in [
        "replicas",
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
    ] {
        assert_eq!(sts["status"][f], 3, "{f}: {sts}");
    }
    assert_eq!(
        sts["status"]["observedGeneration"],
        sts["metadata"]["generation"]
    );

    // A rolling update replaces every pod; the revision moves on.
    k.ok(&["set", "image", "statefulset/web", "c=nginx:1.27"])
        .await;
    k.ok(&["rollout", "status", "statefulset/web", "--timeout=30s"])
        .await;
    let sts: Value =
        serde_json::from_str(&k.ok(&["get", "sts", "web", "-o", "json"]).await).unwrap();
    let rev2 = sts["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rev1, rev2);
    assert_eq!(sts["status"]["currentRevision"], rev2);
    assert_eq!(sts["status"]["updatedReplicas"], 3);
    let all: Value = serde_json::from_str(&k.ok(&["get", "pods", "-o", "json"]).await).unwrap();
    assert_eq!(
        names_and_images(&all),
        [
            ("web-0".to_string(), "nginx:1.27".to_string()),
            ("web-1".into(), "nginx:1.27".into()),
            ("web-2".into(), "nginx:1.27".into())
        ]
    );
    let revs: Value =
        serde_json::from_str(&k.ok(&["get", "controllerrevisions", "-o", "json"]).await).unwrap();
    let mut numbers: Vec<(i64, String)> = revs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap(),
                r["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, [(1, rev1.clone()), (2, rev2.clone())]);
    let out = k.ok(&["rollout", "history", "statefulset/web"]).await;
    assert!(out.contains('1') && out.contains('2'), "{out}");
    // Undo goes back to revision 1's template, which becomes revision 3.
    k.ok(&["rollout", "undo", "statefulset/web"]).await;
    k.ok(&["rollout", "status", "statefulset/web", "--timeout=30s"])
        .await;
    let sts: Value =
        serde_json::from_str(&k.ok(&["get", "sts", "web", "-o", "json"]).await).unwrap();
    assert_eq!(sts["status"]["updateRevision"], rev1.as_str());
    assert_eq!(
        sts["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.26"
    );
    let rev: Value = serde_json::from_str(
        &k.ok(&["get", "controllerrevision", &rev1, "-o", "json"])
            .await,
    )
    .unwrap();
    assert_eq!(rev["revision"], 3);
    k.ok(&["rollout", "undo", "statefulset/web"]).await;
    k.ok(&["rollout", "status", "statefulset/web", "--timeout=30s"])
        .await;

    // A partition keeps the pods below it at the old revision.
    k.ok(&[
        "patch",
        "statefulset",
        "web",
        "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}"#,
    ])
    .await;
    k.ok(&["set", "image", "statefulset/web", "c=nginx:1.28"])
        .await;
    let out = k
        .ok(&["rollout", "status", "statefulset/web", "--timeout=30s"])
        .await;
    assert!(
        out.contains("partitioned roll out complete: 1 new pods have been updated"),
        "{out}"
    );
    let all: Value = serde_json::from_str(&k.ok(&["get", "pods", "-o", "json"]).await).unwrap();
    assert_eq!(
        names_and_images(&all),
        [
            ("web-0".to_string(), "nginx:1.27".to_string()),
            ("web-1".into(), "nginx:1.27".into()),
            ("web-2".into(), "nginx:1.28".into())
        ]
    );
    let sts: Value =
        serde_json::from_str(&k.ok(&["get", "sts", "web", "-o", "json"]).await).unwrap();
    assert_eq!(sts["status"]["currentRevision"], rev2);
    assert_eq!(sts["status"]["currentReplicas"], 2);
    assert_eq!(sts["status"]["updatedReplicas"], 1);

    // rollout restart: a new template annotation, every pod replaced.
    let before: Value =
        serde_json::from_str(&k.ok(&["get", "pod", "web-2", "-o", "json"]).await).unwrap();
    k.ok(&["rollout", "restart", "statefulset/web"]).await;
    k.ok(&["rollout", "status", "statefulset/web", "--timeout=30s"])
        .await;
    let after: Value =
        serde_json::from_str(&k.ok(&["get", "pod", "web-2", "-o", "json"]).await).unwrap();
    assert_ne!(before["metadata"]["uid"], after["metadata"]["uid"]);
    assert!(
        after["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].is_string(),
        "{after}"
    );

    // Scaling down removes the highest ordinals.
    k.ok(&["scale", "statefulset/web", "--replicas=1"]).await;
    eventually("web scaled to 1", || async {
        let all: Value = serde_json::from_str(&k.ok(&["get", "pods", "-o", "json"]).await).unwrap();
        (all["items"].as_array().unwrap().len() == 1).then_some(all)
    })
    .await;
    k.ok(&["get", "pod", "web-0"]).await;
}

#[tokio::test]
async fn statefulset_parallel_and_on_delete() {
    let server = MockServer::start().await;
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    let yaml = STATEFULSET.replace(
        "replicas: 3",
        "replicas: 4\n  podManagementPolicy: Parallel\n  updateStrategy: {type: OnDelete}\n  volumeClaimTemplates: [{metadata: {name: www}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}]",
    );
    apply(&k, "sts.yaml", &yaml).await;
    // Parallel: all four are created at once, without waiting.
    eventually("4 pods ready", || async {
        let sts: Value =
            serde_json::from_str(&k.ok(&["get", "sts", "web", "-o", "json"]).await).unwrap();
        (sts["status"]["readyReplicas"] == 4).then_some(())
    })
    .await;
    // kubectl refuses rollout status for OnDelete.
    let (ok, _, err) = k
        .run(&["rollout", "status", "statefulset/web", "--timeout=5s"])
        .await;
    assert!(
        !ok && err.contains("only available for RollingUpdate"),
        "{err}"
    );
    // OnDelete: a new template reaches a pod only when it is deleted.
    k.ok(&["set", "image", "statefulset/web", "c=nginx:1.27"])
        .await;
    eventually("the update revision observed", || async {
        let sts: Value =
            serde_json::from_str(&k.ok(&["get", "sts", "web", "-o", "json"]).await).unwrap();
        (sts["status"]["observedGeneration"] == 2
            && sts["status"]["updateRevision"] != sts["status"]["currentRevision"])
            .then_some(())
    })
    .await;
    k.ok(&["delete", "pod", "web-3", "--timeout=30s"]).await;
    let all = eventually("web-3 recreated with the new image", || async {
        let all: Value = serde_json::from_str(&k.ok(&["get", "pods", "-o", "json"]).await).unwrap();
        let v = names_and_images(&all);
        (v.len() == 4 && v[3].1 == "nginx:1.27").then_some(v)
    })
    .await;
    assert_eq!(all[0].1, "nginx:1.26");
    // Each pod has its claim, kept when the pod is replaced.
    let out = k
        .ok(&["get", "pvc", "-o", "jsonpath={.items[*].metadata.name}"])
        .await;
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["www-web-0", "www-web-1", "www-web-2", "www-web-3"]
    );
    let out = k
        .ok(&[
            "get",
            "pod",
            "web-3",
            "-o",
            "jsonpath={.spec.volumes[?(@.name==\"www\")].persistentVolumeClaim.claimName}",
        ])
        .await;
    assert_eq!(out, "www-web-3");
}

const DAEMONSET: &str = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: "busybox:1.36"}]}
"#;

#[tokio::test]
async fn daemonset_runs_one_pod_per_fitting_node_and_rolls_out() {
    let (server, _client) = start(MockServer::builder().nodes(3)).await;
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    apply(&k, "ds.yaml", DAEMONSET).await;
    let out = k
        .ok(&["rollout", "status", "daemonset/agent", "--timeout=30s"])
        .await;
    assert!(
        out.contains("daemon set \"agent\" successfully rolled out"),
        "{out}"
    );
    let nodes_of = |pods: &Value| {
        let mut v: Vec<String> = pods["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .map(|p| p["spec"]["nodeName"].as_str().unwrap_or("").to_string())
            .collect();
        v.sort();
        v
    };
    let pods: Value = serde_json::from_str(
        &k.ok(&["get", "pods", "-l", "app=agent", "-o", "json"])
            .await,
    )
    .unwrap();
    assert_eq!(
        nodes_of(&pods),
        ["kubemock-node-0", "kubemock-node-1", "kubemock-node-2"]
    );
    let p = &pods["items"][0];
    assert_eq!(
        p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            ["nodeSelectorTerms"][0]["matchFields"][0]["key"],
        "metadata.name"
    );
    let ds: Value =
        serde_json::from_str(&k.ok(&["get", "ds", "agent", "-o", "json"]).await).unwrap();
    for f in [
        "desiredNumberScheduled",
        "currentNumberScheduled",
        "numberReady",
        "updatedNumberScheduled",
        "numberAvailable",
    ] {
        assert_eq!(ds["status"][f], 3, "{f}: {ds}");
    }
    assert_eq!(ds["status"]["numberMisscheduled"], 0);
    let hash1 = p["metadata"]["labels"]["controller-revision-hash"]
        .as_str()
        .unwrap()
        .to_string();
    k.ok(&["get", "controllerrevision", &format!("agent-{hash1}")])
        .await;

    // Rolling update: every pod replaced, one node at a time.
    k.ok(&["set", "image", "daemonset/agent", "c=busybox:1.37"])
        .await;
    k.ok(&["rollout", "status", "daemonset/agent", "--timeout=30s"])
        .await;
    let pods: Value = serde_json::from_str(
        &k.ok(&["get", "pods", "-l", "app=agent", "-o", "json"])
            .await,
    )
    .unwrap();
    let live: Vec<&Value> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .collect();
    assert_eq!(live.len(), 3);
    for p in live {
        assert_eq!(p["spec"]["containers"][0]["image"], "busybox:1.37");
        assert_ne!(p["metadata"]["labels"]["controller-revision-hash"], hash1);
    }

    // rollout restart replaces every daemon pod.
    k.ok(&["rollout", "restart", "daemonset/agent"]).await;
    k.ok(&["rollout", "status", "daemonset/agent", "--timeout=30s"])
        .await;
    let restarted: Value = serde_json::from_str(
        &k.ok(&["get", "pods", "-l", "app=agent", "-o", "json"])
            .await,
    )
    .unwrap();
    let live: Vec<&Value> = restarted["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .collect();
    assert_eq!(live.len(), 3);
    for p in &live {
        assert!(p["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].is_string());
    }
    // Undo goes back one revision: to the template before the restart.
    k.ok(&["rollout", "undo", "daemonset/agent"]).await;
    k.ok(&["rollout", "status", "daemonset/agent", "--timeout=30s"])
        .await;

    // Undo to revision 1 takes the first template back (renumbered).
    k.ok(&["rollout", "undo", "daemonset/agent", "--to-revision=1"])
        .await;
    k.ok(&["rollout", "status", "daemonset/agent", "--timeout=30s"])
        .await;
    let pods: Value = serde_json::from_str(
        &k.ok(&["get", "pods", "-l", "app=agent", "-o", "json"])
            .await,
    )
    .unwrap();
    for p in pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
    {
        assert_eq!(p["spec"]["containers"][0]["image"], "busybox:1.36");
        assert_eq!(
            p["metadata"]["labels"]["controller-revision-hash"],
            hash1.as_str()
        );
    }

    // maxSurge: the new pod starts beside the old one, which goes once
    // the new one is ready; no node is left without a ready pod.
    k.ok(&[
        "patch",
        "daemonset",
        "agent",
        "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}"#,
    ])
    .await;
    use futures::{StreamExt, TryStreamExt};
    let pods_api: Api<Pod> = Api::namespaced(_client.clone(), "default");
    let listed = pods_api
        .list(&ListParams::default().labels("app=agent"))
        .await
        .unwrap();
    let rv = listed.metadata.resource_version.clone().unwrap();
    // Replay the pods' watch into their states: every state the store held.
    let mut state: std::collections::BTreeMap<String, Value> = listed
        .items
        .into_iter()
        .map(|p| {
            (
                p.metadata.name.clone().unwrap(),
                serde_json::to_value(&p).unwrap(),
            )
        })
        .collect();
    let mut stream = pods_api
        .watch(&WatchParams::default().labels("app=agent"), &rv)
        .await
        .unwrap()
        .boxed();
    let mut seen_two = false;
    k.ok(&["set", "image", "daemonset/agent", "c=busybox:1.38"])
        .await;
    loop {
        let ready_on = |state: &std::collections::BTreeMap<String, Value>, image: Option<&str>| {
            let mut m: std::collections::BTreeMap<String, usize> = Default::default();
            for v in state.values() {
                let ready = v["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True");
                if ready
                    && v["metadata"]["deletionTimestamp"].is_null()
                    && image.is_none_or(|i| v["spec"]["containers"][0]["image"] == i)
                {
                    *m.entry(v["spec"]["nodeName"].as_str().unwrap_or("").to_string())
                        .or_default() += 1;
                }
            }
            m
        };
        let all = ready_on(&state, None);
        seen_two |= all.values().any(|n| *n == 2);
        assert_eq!(all.len(), 3, "a node without a ready pod: {all:?}");
        if ready_on(&state, Some("busybox:1.38")).len() == 3 && all.values().all(|n| *n == 1) {
            break;
        }
        let ev = tokio::time::timeout(DEADLINE, stream.try_next())
            .await
            .expect("surge rollout in time")
            .unwrap()
            .expect("watch open");
        match ev {
            WatchEvent::Added(p) | WatchEvent::Modified(p) => {
                state.insert(
                    p.metadata.name.clone().unwrap(),
                    serde_json::to_value(&p).unwrap(),
                );
            }
            WatchEvent::Deleted(p) => {
                state.remove(&p.metadata.name.unwrap());
            }
            _ => {}
        }
    }
    assert!(seen_two, "no node ever ran old and new side by side");
    k.ok(&["rollout", "status", "daemonset/agent", "--timeout=30s"])
        .await;

    // nodeSelector: only the labelled node gets a pod.
    let edge = DAEMONSET
        .replace("name: agent", "name: edge")
        .replace("app: agent", "app: edge")
        .replace(
            "spec: {containers",
            "spec: {nodeSelector: {role: edge}, containers",
        );
    apply(&k, "edge.yaml", &edge).await;
    eventually("edge observed with nothing to run", || async {
        let ds: Value =
            serde_json::from_str(&k.ok(&["get", "ds", "edge", "-o", "json"]).await).unwrap();
        (ds["status"]["observedGeneration"] == 1 && ds["status"]["desiredNumberScheduled"] == 0)
            .then_some(())
    })
    .await;
    k.ok(&["label", "node", "kubemock-node-1", "role=edge"])
        .await;
    k.ok(&["rollout", "status", "daemonset/edge", "--timeout=30s"])
        .await;
    let pods: Value =
        serde_json::from_str(&k.ok(&["get", "pods", "-l", "app=edge", "-o", "json"]).await)
            .unwrap();
    assert_eq!(nodes_of(&pods), ["kubemock-node-1"]);
}

#[tokio::test]
async fn replication_controllers_keep_their_replicas() {
    let server = MockServer::start().await;
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    apply(
        &k,
        "rc.yaml",
        r#"
apiVersion: v1
kind: ReplicationController
metadata: {name: rc1}
spec:
  replicas: 2
  selector: {app: rc1}
  template:
    metadata: {labels: {app: rc1}}
    spec: {containers: [{name: c, image: nginx}]}
"#,
    )
    .await;
    let rc = eventually("rc1 ready", || async {
        let rc: Value =
            serde_json::from_str(&k.ok(&["get", "rc", "rc1", "-o", "json"]).await).unwrap();
        (rc["status"]["readyReplicas"] == 2).then_some(rc)
    })
    .await;
    assert_eq!(rc["status"]["replicas"], 2);
    assert_eq!(rc["status"]["availableReplicas"], 2);
    assert!(rc["status"].get("terminatingReplicas").is_none(), "{rc}");
    let pods: Value =
        serde_json::from_str(&k.ok(&["get", "pods", "-l", "app=rc1", "-o", "json"]).await).unwrap();
    let owner = &pods["items"][0]["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "ReplicationController");
    assert_eq!(owner["apiVersion"], "v1");
    k.ok(&["scale", "rc/rc1", "--replicas=1"]).await;
    eventually("rc1 at 1", || async {
        let rc: Value =
            serde_json::from_str(&k.ok(&["get", "rc", "rc1", "-o", "json"]).await).unwrap();
        (rc["status"]["replicas"] == 1 && rc["status"]["readyReplicas"] == 1).then_some(())
    })
    .await;
}

const PROCESS_SCRIPT: &str = r#"
containers:
  - match: {pod: "fails"}
    process: {exitCodes: [3]}
  - match: {pod: "retries"}
    process: {exitCodes: [1, 0], afterMs: 10}
  - match: {pod: "forever"}
    process: {runsForever: true}
  - match: {pod: "crashes"}
    process: {exitCodes: [1]}
  - match: {pod: "c2-*"}
    process: {runsForever: true}
"#;

fn run_once(name: &str, policy: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"restartPolicy": policy, "containers": [{"name": "c", "image": "busybox"}]}
    }))
    .expect("pod")
}

#[tokio::test]
async fn containers_exit_as_the_process_script_says() {
    let script = kubemock::streams::Script::parse(PROCESS_SCRIPT, "s.yaml").unwrap();
    // Scaled so the 10 s crash-loop back-off takes 100 ms.
    let (_server, client) = start(MockServer::builder().scripts(script).time_scale(0.01)).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for (name, policy) in [
        ("fails", "Never"),
        ("retries", "OnFailure"),
        ("forever", "Never"),
        ("plain", "Never"),
        ("crashes", "Always"),
    ] {
        pods.create(&PostParams::default(), &run_once(name, policy))
            .await
            .unwrap();
    }
    let phase_of = |p: &Pod| p.status.as_ref().and_then(|s| s.phase.clone());
    let done = |name: &'static str, want: &'static str| {
        let pods = pods.clone();
        async move {
            eventually(&format!("{name} {want}"), || async {
                let p = pods.get(name).await.unwrap();
                (phase_of(&p).as_deref() == Some(want)).then_some(p)
            })
            .await
        }
    };
    let p = done("fails", "Failed").await;
    let cs = serde_json::to_value(&p.status.unwrap().container_statuses.unwrap()[0]).unwrap();
    assert_eq!(cs["state"]["terminated"]["exitCode"], 3);
    assert_eq!(cs["state"]["terminated"]["reason"], "Error");
    let p = done("retries", "Succeeded").await;
    let cs = serde_json::to_value(&p.status.unwrap().container_statuses.unwrap()[0]).unwrap();
    assert_eq!(cs["restartCount"], 1);
    assert_eq!(cs["lastState"]["terminated"]["exitCode"], 1);
    // The restarted container is a new one.
    assert_ne!(
        cs["lastState"]["terminated"]["containerID"],
        cs["state"]["terminated"]["containerID"]
    );
    assert_eq!(cs["state"]["terminated"]["exitCode"], 0);
    assert_eq!(cs["state"]["terminated"]["reason"], "Completed");
    done("plain", "Succeeded").await;
    // Always: a process that exits is restarted after a growing back-off,
    // waiting in CrashLoopBackOff meanwhile; the pod stays Running.
    let cs = eventually("crashes in CrashLoopBackOff after 2 restarts", || async {
        let p = pods.get("crashes").await.unwrap();
        let cs = serde_json::to_value(&p.status?.container_statuses?[0]).unwrap();
        (cs["state"]["waiting"]["reason"] == "CrashLoopBackOff" && cs["restartCount"] == 2)
            .then_some(cs)
    })
    .await;
    assert_eq!(cs["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(cs["ready"], false);
    let msg = cs["state"]["waiting"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("back-off 20s restarting failed container=c pod=crashes_default("),
        "{msg}"
    );
    let p = pods.get("crashes").await.unwrap();
    assert_eq!(phase_of(&p).as_deref(), Some("Running"));
    // The pods beside it have finished; this one runs on.
    let p = pods.get("forever").await.unwrap();
    assert_eq!(phase_of(&p).as_deref(), Some("Running"));
}

#[tokio::test]
async fn cronjobs_run_on_the_cluster_clock() {
    let script = kubemock::streams::Script::parse(PROCESS_SCRIPT, "s.yaml").unwrap();
    let server = MockServer::builder().scripts(script).start().await.unwrap();
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    k.ok(&[
        "create",
        "cronjob",
        "c1",
        "--image=busybox",
        "--schedule=*/5 * * * *",
        "--",
        "true",
    ])
    .await;
    let jobs_of = |cj: &'static str| {
        let k = &k;
        async move {
            let all: Value =
                serde_json::from_str(&k.ok(&["get", "jobs", "-o", "json"]).await).unwrap();
            let mut names: Vec<String> = all["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|j| j["metadata"]["deletionTimestamp"].is_null())
                .map(|j| j["metadata"]["name"].as_str().unwrap().to_string())
                .filter(|n| n.starts_with(&format!("{cj}-")))
                .collect();
            names.sort();
            names
        }
    };
    // Five cluster minutes later (no real waiting) the first Job runs.
    server.advance_clock(Duration::from_secs(300));
    let first = eventually("c1's first job", || async {
        jobs_of("c1").await.into_iter().next()
    })
    .await;
    k.ok(&[
        "wait",
        "--for=condition=complete",
        &format!("job/{first}"),
        "--timeout=30s",
    ])
    .await;
    let cj = eventually("c1 sees the job complete", || async {
        let cj: Value =
            serde_json::from_str(&k.ok(&["get", "cronjob", "c1", "-o", "json"]).await).unwrap();
        (cj["status"]["lastSuccessfulTime"].is_string() && cj["status"]["active"].is_null())
            .then_some(cj)
    })
    .await;
    let scheduled =
        chrono::DateTime::parse_from_rfc3339(cj["status"]["lastScheduleTime"].as_str().unwrap())
            .unwrap();
    assert_eq!(first, format!("c1-{}", scheduled.timestamp() / 60));
    assert_eq!(scheduled.timestamp() % 300, 0, "on a */5 minute");
    let job: Value =
        serde_json::from_str(&k.ok(&["get", "job", &first, "-o", "json"]).await).unwrap();
    assert_eq!(
        job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"],
        cj["status"]["lastScheduleTime"]
    );
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    let events = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=c1",
        ])
        .await;
    assert!(events.contains("SuccessfulCreate"), "{events}");
    assert!(events.contains(&format!("Created job {first}")), "{events}");
    assert!(events.contains("SawCompletedJob"), "{events}");

    // A schedule the controller cannot read gets a Warning, and the
    // controller goes on with the others.
    apply(
        &k,
        "bad-cron.yaml",
        r#"
apiVersion: batch/v1
kind: CronJob
metadata: {name: bad}
spec:
  schedule: "every tuesday"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: c, image: busybox}]
"#,
    )
    .await;
    let out = eventually("UnparseableSchedule", || async {
        let out = k
            .ok(&[
                "get",
                "events",
                "--field-selector",
                "involvedObject.name=bad",
            ])
            .await;
        out.contains("UnparseableSchedule").then_some(out)
    })
    .await;
    assert!(out.contains("expected exactly 5 fields, found 2"), "{out}");

    // Forbid: while c2's job runs (its container never exits), the next
    // time is skipped; c1, suspended meanwhile, makes nothing.
    k.ok(&[
        "create",
        "cronjob",
        "c2",
        "--image=busybox",
        "--schedule=@hourly",
        "--",
        "sleep",
        "inf",
    ])
    .await;
    k.ok(&[
        "patch",
        "cronjob",
        "c2",
        "-p",
        r#"{"spec":{"concurrencyPolicy":"Forbid"}}"#,
    ])
    .await;
    k.ok(&[
        "patch",
        "cronjob",
        "c1",
        "-p",
        r#"{"spec":{"suspend":true}}"#,
    ])
    .await;
    eventually("c1 suspended and c2 forbidding, as seen", || async {
        let c1: Value =
            serde_json::from_str(&k.ok(&["get", "cronjob", "c1", "-o", "json"]).await).unwrap();
        let c2: Value =
            serde_json::from_str(&k.ok(&["get", "cronjob", "c2", "-o", "json"]).await).unwrap();
        (c1["spec"]["suspend"] == true && c2["spec"]["concurrencyPolicy"] == "Forbid").then_some(())
    })
    .await;
    server.advance_clock(Duration::from_secs(3600));
    let c2_first = eventually("c2's first job", || async {
        jobs_of("c2").await.into_iter().next()
    })
    .await;
    assert_eq!(jobs_of("c1").await, vec![first.clone()], "suspended c1 ran");
    eventually("c2's job active", || async {
        let cj: Value =
            serde_json::from_str(&k.ok(&["get", "cronjob", "c2", "-o", "json"]).await).unwrap();
        (cj["status"]["active"][0]["name"] == c2_first.as_str()).then_some(())
    })
    .await;
    server.advance_clock(Duration::from_secs(3600));
    eventually("JobAlreadyActive", || async {
        let out = k
            .ok(&[
                "get",
                "events",
                "--field-selector",
                "involvedObject.name=c2",
            ])
            .await;
        out.contains("JobAlreadyActive").then_some(())
    })
    .await;
    assert_eq!(jobs_of("c2").await, vec![c2_first.clone()]);
    // Replace: the running job goes, a new one takes its place.
    k.ok(&[
        "patch",
        "cronjob",
        "c2",
        "-p",
        r#"{"spec":{"concurrencyPolicy":"Replace"}}"#,
    ])
    .await;
    eventually("Replace seen", || async {
        let c2: Value =
            serde_json::from_str(&k.ok(&["get", "cronjob", "c2", "-o", "json"]).await).unwrap();
        (c2["metadata"]["generation"] == 3).then_some(())
    })
    .await;
    server.advance_clock(Duration::from_secs(3600));
    let now = eventually("c2's job replaced", || async {
        let v = jobs_of("c2").await;
        (v.len() == 1 && v[0] != c2_first).then_some(v)
    })
    .await;
    assert!(now[0] > c2_first, "{now:?}");
}

#[test]
fn the_cluster_bench_rows_run_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("bench.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubemock"))
        .args(["bench", "--quick", "--only", "cluster", "--json"])
        .arg(&json)
        .output()
        .expect("run bench");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("report")).expect("json");
    let rows = report["rows"].as_array().expect("rows");
    for label in ["delays=0", "default delays"] {
        for (workload, metric) in [
            (format!("cluster pods n=200 {label}"), "pods Running"),
            (
                format!("cluster pods n=200 {label}"),
                "pods to Running per second (sustained)",
            ),
            (
                format!("cluster deployment replicas=10 {label}"),
                "create to rollout complete",
            ),
        ] {
            let row = rows
                .iter()
                .find(|r| r["workload"] == workload.as_str() && r["metric"] == metric)
                .unwrap_or_else(|| panic!("missing {workload} / {metric} in {report}"));
            assert!(row["value"].as_f64().is_some_and(|v| v > 0.0), "{row}");
        }
    }
    // Only the cluster rows ran.
    assert!(
        rows.iter()
            .all(|r| r["workload"].as_str().unwrap().starts_with("cluster ")),
        "{report}"
    );
}

/// One run: a StatefulSet of 3 on 2 nodes, its pods' watch events
/// (normalized) until all run.
async fn recorded_statefulset(
    seed: u64,
) -> std::collections::BTreeMap<String, Vec<(String, Value)>> {
    use futures::{StreamExt, TryStreamExt};
    use k8s_openapi::api::apps::v1::StatefulSet;
    let (_server, client) = start(MockServer::builder().seed(seed).nodes(2)).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let mut stream = pods
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    let set: StatefulSet = serde_yaml::from_str(STATEFULSET).unwrap();
    sets.create(&PostParams::default(), &set).await.unwrap();
    let mut per_pod: std::collections::BTreeMap<String, Vec<(String, Value)>> = Default::default();
    let mut running = std::collections::BTreeSet::new();
    let end = Instant::now() + DEADLINE;
    while running.len() < 3 {
        let ev = tokio::time::timeout_at(end.into(), stream.try_next())
            .await
            .expect("pods running in time")
            .unwrap()
            .expect("watch open");
        let (ty, p) = match ev {
            WatchEvent::Added(p) => ("ADDED", p),
            WatchEvent::Modified(p) => ("MODIFIED", p),
            WatchEvent::Deleted(p) => ("DELETED", p),
            _ => continue,
        };
        let name = p.metadata.name.clone().unwrap();
        if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running") {
            running.insert(name.clone());
        }
        let mut v = serde_json::to_value(&p).unwrap();
        normalize(&mut v);
        per_pod.entry(name).or_default().push((ty.to_string(), v));
    }
    per_pod
}

#[tokio::test]
async fn the_same_seed_gives_the_same_statefulset_events() {
    let a = recorded_statefulset(42).await;
    let b = recorded_statefulset(42).await;
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        ["web-0", "web-1", "web-2"],
        "{a:?}"
    );
    assert_eq!(a, b);
    let node = |r: &std::collections::BTreeMap<String, Vec<(String, Value)>>, n: &str| {
        r[n].last().unwrap().1["spec"]["nodeName"].clone()
    };
    assert_ne!(
        node(&a, "web-0"),
        node(&a, "web-1"),
        "spread over the nodes"
    );
}
