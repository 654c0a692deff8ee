//! Defaulting: the fields kube-apiserver fills in on create/update
//! (`pkg/apis/*/v1/defaults.go`, the registry strategies' `PrepareForCreate`
//! / `PrepareForUpdate`, and the admission plugins every cluster runs:
//! ServiceAccount, DefaultTolerationSeconds, Priority).
//!
//! Defaulting never fails: a field of the wrong JSON type is left alone (the
//! decode check rejects such bodies before this runs). Keys of the objects
//! that get defaults are put in the Go struct order, so the JSON reads like
//! the real server's.

use serde_json::{json, Map, Value};

/// State defaulting needs across requests (cluster IPs handed out...).
#[derive(Debug, Default)]
pub struct DefaultsContext {
    /// Next service cluster IP offset.
    pub next_cluster_ip: u32,
    /// Next node port offset (from 30000).
    pub next_node_port: u32,
    /// ≤1.33: an embedded zero `metadata.creationTimestamp` (pod templates,
    /// job templates, claim templates) is written as `null` (no `omitzero`
    /// before apimachinery 503b9897).
    pub creation_timestamp_null: bool,
}

impl DefaultsContext {
    /// A fresh cluster IP from the service CIDR 10.96.0.0/12 (10.96.0.1 is
    /// the `kubernetes` service, 10.96.0.10 the conventional DNS service).
    fn allocate_cluster_ip(&mut self) -> String {
        loop {
            let n = 2 + self.next_cluster_ip;
            self.next_cluster_ip = self.next_cluster_ip.wrapping_add(1) % (1 << 20);
            if n == 10 {
                continue;
            }
            let base: u32 = (10 << 24) | (96 << 16);
            let ip = base + n;
            return format!(
                "{}.{}.{}.{}",
                ip >> 24,
                (ip >> 16) & 0xff,
                (ip >> 8) & 0xff,
                ip & 0xff
            );
        }
    }

    /// A fresh node port in 30000-32767.
    fn allocate_node_port(&mut self) -> i64 {
        let p = 30000 + (self.next_node_port % 2768) as i64;
        self.next_node_port = self.next_node_port.wrapping_add(1);
        p
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Sets `key` when it is absent (or null).
fn default(m: &mut Map<String, Value>, key: &str, v: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.into(), v);
    }
}

/// Sets `key` when it is absent, null or an empty string.
fn default_str(m: &mut Map<String, Value>, key: &str, v: &str) {
    if m.get(key)
        .is_none_or(|x| x.is_null() || x.as_str() == Some(""))
    {
        m.insert(key.into(), Value::String(v.into()));
    }
}

/// The object at `key`, created when absent; `None` when it has another type.
fn child<'m>(m: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Map<String, Value>> {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.into(), json!({}));
    }
    m.get_mut(key).and_then(Value::as_object_mut)
}

/// The object at `key` if present.
fn existing<'m>(m: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Map<String, Value>> {
    m.get_mut(key).and_then(Value::as_object_mut)
}

fn each_obj(m: &mut Map<String, Value>, key: &str, mut f: impl FnMut(&mut Map<String, Value>)) {
    if let Some(a) = m.get_mut(key).and_then(Value::as_array_mut) {
        for x in a.iter_mut().filter_map(Value::as_object_mut) {
            f(x);
        }
    }
}

fn str_of<'m>(m: &'m Map<String, Value>, key: &str) -> &'m str {
    m.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Puts the keys of `m` in `order`; keys not listed keep their order after.
fn reorder(m: &mut Map<String, Value>, order: &[&str]) {
    let mut old = std::mem::take(m);
    for k in order {
        if let Some(v) = old.shift_remove(*k) {
            m.insert((*k).to_string(), v);
        }
    }
    m.extend(old);
}

/// `names.SimpleNameGenerator`'s five-character suffix.
fn random_suffix() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

// ---------------------------------------------------------------------------
// Pods and pod templates
// ---------------------------------------------------------------------------

const POD_SPEC_ORDER: &[&str] = &[
    "volumes",
    "initContainers",
    "containers",
    "ephemeralContainers",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "activeDeadlineSeconds",
    "dnsPolicy",
    "nodeSelector",
    "serviceAccountName",
    "serviceAccount",
    "automountServiceAccountToken",
    "nodeName",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "shareProcessNamespace",
    "securityContext",
    "imagePullSecrets",
    "hostname",
    "subdomain",
    "affinity",
    "schedulerName",
    "tolerations",
    "hostAliases",
    "priorityClassName",
    "priority",
    "dnsConfig",
    "readinessGates",
    "runtimeClassName",
    "enableServiceLinks",
    "preemptionPolicy",
    "overhead",
    "topologySpreadConstraints",
    "setHostnameAsFQDN",
    "os",
    "hostUsers",
    "schedulingGates",
    "resourceClaims",
    "resources",
];

const CONTAINER_ORDER: &[&str] = &[
    "name",
    "image",
    "command",
    "args",
    "workingDir",
    "ports",
    "envFrom",
    "env",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "restartPolicyRules",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "imagePullPolicy",
    "securityContext",
    "stdin",
    "stdinOnce",
    "tty",
];

/// `parsers.ParseImageName`'s tag: the part after the last `:` of the last
/// path component (before any digest); `latest` when there is none.
fn image_tag(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or("");
    let last = no_digest.rsplit('/').next().unwrap_or("");
    match last.rsplit_once(':') {
        Some((_, tag)) if !tag.is_empty() => tag,
        _ => {
            if image.contains('@') {
                ""
            } else {
                "latest"
            }
        }
    }
}

fn default_probe(p: &mut Map<String, Value>) {
    for (k, v) in [
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ] {
        if p.get(k)
            .is_none_or(|x| x.is_null() || x.as_i64() == Some(0))
        {
            p.insert(k.into(), json!(v));
        }
    }
    if let Some(h) = existing(p, "httpGet") {
        default_str(h, "path", "/");
        default_str(h, "scheme", "HTTP");
    }
}

fn default_handler(h: &mut Map<String, Value>) {
    if let Some(g) = existing(h, "httpGet") {
        default_str(g, "path", "/");
        default_str(g, "scheme", "HTTP");
    }
}

/// `SetDefaults_Container` plus the declarative defaults below it.
fn default_container(c: &mut Map<String, Value>) {
    if str_of(c, "imagePullPolicy").is_empty() {
        let policy = if image_tag(str_of(c, "image")) == "latest" {
            "Always"
        } else {
            "IfNotPresent"
        };
        c.insert("imagePullPolicy".into(), json!(policy));
    }
    default_str(c, "terminationMessagePath", "/dev/termination-log");
    default_str(c, "terminationMessagePolicy", "File");
    default(c, "resources", json!({}));
    each_obj(c, "ports", |p| {
        default_str(p, "protocol", "TCP");
    });
    each_obj(c, "env", |e| {
        if let Some(vf) = existing(e, "valueFrom") {
            if let Some(fr) = existing(vf, "fieldRef") {
                default_str(fr, "apiVersion", "v1");
            }
        }
    });
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = existing(c, probe) {
            default_probe(p);
        }
    }
    if let Some(l) = existing(c, "lifecycle") {
        for h in ["postStart", "preStop"] {
            if let Some(h) = existing(l, h) {
                default_handler(h);
            }
        }
    }
    reorder(c, CONTAINER_ORDER);
}

const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

fn default_volume(v: &mut Map<String, Value>) {
    if !VOLUME_SOURCES
        .iter()
        .any(|k| v.get(*k).is_some_and(|x| !x.is_null()))
    {
        v.insert("emptyDir".into(), json!({}));
    }
    for k in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(src) = existing(v, k) {
            default(src, "defaultMode", json!(420));
        }
    }
    if let Some(hp) = existing(v, "hostPath") {
        default(hp, "type", json!(""));
    }
    if let Some(pr) = existing(v, "projected") {
        each_obj(pr, "sources", |src| {
            if let Some(t) = existing(src, "serviceAccountToken") {
                default(t, "expirationSeconds", json!(3600));
            }
        });
    }
    if let Some(img) = existing(v, "image") {
        if str_of(img, "pullPolicy").is_empty() {
            let p = if image_tag(str_of(img, "reference")) == "latest" {
                "Always"
            } else {
                "IfNotPresent"
            };
            img.insert("pullPolicy".into(), json!(p));
        }
    }
}

/// `SetDefaults_PodSpec` and the defaults of what it contains; used for pods
/// and every pod template.
fn default_pod_spec(spec: &mut Map<String, Value>) {
    each_obj(spec, "volumes", default_volume);
    each_obj(spec, "initContainers", default_container);
    each_obj(spec, "containers", default_container);
    each_obj(spec, "ephemeralContainers", default_container);
    default_str(spec, "restartPolicy", "Always");
    default(spec, "terminationGracePeriodSeconds", json!(30));
    default_str(spec, "dnsPolicy", "ClusterFirst");
    default(spec, "securityContext", json!({}));
    default_str(spec, "schedulerName", "default-scheduler");
    // v1 conversion: serviceAccount is the deprecated alias.
    let sa = match str_of(spec, "serviceAccountName") {
        "" => str_of(spec, "serviceAccount").to_string(),
        s => s.to_string(),
    };
    if sa.is_empty() {
        spec.shift_remove("serviceAccount");
    } else {
        spec.insert("serviceAccountName".into(), json!(sa));
        spec.insert("serviceAccount".into(), json!(sa));
    }
    reorder(spec, POD_SPEC_ORDER);
}

fn default_pod_template(t: &mut Map<String, Value>) {
    if let Some(spec) = child(t, "spec") {
        default_pod_spec(spec);
    }
}

/// `SetDefaults_Pod`: requests from limits, enableServiceLinks.
fn default_pod_only(spec: &mut Map<String, Value>) {
    for list in ["containers", "initContainers"] {
        each_obj(spec, list, |c| {
            let Some(res) = existing(c, "resources") else {
                return;
            };
            let Some(limits) = res.get("limits").and_then(Value::as_object).cloned() else {
                return;
            };
            if let Some(req) = child(res, "requests") {
                for (k, v) in limits {
                    req.entry(k).or_insert(v);
                }
            }
            reorder(res, &["limits", "requests", "claims"]);
        });
    }
    default(spec, "enableServiceLinks", json!(true));
}

/// `qos.GetPodQOS` (simplified: compares quantities as written).
fn pod_qos(spec: &Map<String, Value>) -> &'static str {
    let mut any = false;
    let mut guaranteed = true;
    for list in ["containers", "initContainers"] {
        let Some(cs) = spec.get(list).and_then(Value::as_array) else {
            continue;
        };
        for c in cs {
            let req = c.pointer("/resources/requests").and_then(Value::as_object);
            let lim = c.pointer("/resources/limits").and_then(Value::as_object);
            let relevant = |m: Option<&Map<String, Value>>, k: &str| {
                m.and_then(|m| m.get(k)).filter(|v| !v.is_null()).cloned()
            };
            for k in ["cpu", "memory"] {
                let (r, l) = (relevant(req, k), relevant(lim, k));
                if r.is_some() || l.is_some() {
                    any = true;
                }
                if l.is_none() || r != l {
                    guaranteed = false;
                }
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

const SA_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The admission plugins a real cluster runs on pod create.
fn pod_admission(spec: &mut Map<String, Value>) {
    // ServiceAccount.
    if str_of(spec, "serviceAccountName").is_empty() {
        spec.insert("serviceAccountName".into(), json!("default"));
        spec.insert("serviceAccount".into(), json!("default"));
    }
    let automount = spec
        .get("automountServiceAccountToken")
        .and_then(Value::as_bool)
        != Some(false);
    if automount {
        let mounted = ["containers", "initContainers"].iter().any(|l| {
            spec.get(*l).and_then(Value::as_array).is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.get("volumeMounts")
                        .and_then(Value::as_array)
                        .is_some_and(|ms| {
                            ms.iter().any(|m| {
                                m.get("mountPath").and_then(Value::as_str) == Some(SA_MOUNT_PATH)
                            })
                        })
                })
            })
        });
        if !mounted {
            let name = format!("kube-api-access-{}", random_suffix());
            let vol = json!({
                "name": name,
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
                    ],
                    "defaultMode": 420
                }
            });
            if !spec.get("volumes").is_some_and(Value::is_array) {
                spec.insert("volumes".into(), json!([]));
            }
            if let Some(v) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
                v.push(vol);
            }
            let mount = json!({"name": name, "readOnly": true, "mountPath": SA_MOUNT_PATH});
            for list in ["initContainers", "containers"] {
                each_obj(spec, list, |c| {
                    if !c.get("volumeMounts").is_some_and(Value::is_array) {
                        c.insert("volumeMounts".into(), json!([]));
                    }
                    if let Some(ms) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
                        ms.push(mount.clone());
                    }
                    reorder(c, CONTAINER_ORDER);
                });
            }
        }
    }
    // DefaultTolerationSeconds.
    let tolerates = |key: &str, ts: &[Value]| {
        ts.iter().any(|t| {
            let k = t.get("key").and_then(Value::as_str).unwrap_or("");
            let e = t.get("effect").and_then(Value::as_str).unwrap_or("");
            (k == key || k.is_empty()) && (e == "NoExecute" || e.is_empty())
        })
    };
    let existing_tol: Vec<Value> = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut add = Vec::new();
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        if !tolerates(key, &existing_tol) {
            add.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
        }
    }
    if !add.is_empty() {
        if !spec.get("tolerations").is_some_and(Value::is_array) {
            spec.insert("tolerations".into(), json!([]));
        }
        if let Some(t) = spec.get_mut("tolerations").and_then(Value::as_array_mut) {
            t.extend(add);
        }
    }
    // Priority.
    let priority = match str_of(spec, "priorityClassName") {
        "system-node-critical" => 2000001000,
        "system-cluster-critical" => 2000000000,
        _ => 0,
    };
    default(spec, "priority", json!(priority));
    default_str(spec, "preemptionPolicy", "PreemptLowerPriority");
    reorder(spec, POD_SPEC_ORDER);
}

fn default_pod(o: &mut Map<String, Value>, old: Option<&Value>) {
    let Some(spec) = child(o, "spec") else { return };
    default_pod_spec(spec);
    default_pod_only(spec);
    if old.is_none() {
        pod_admission(spec);
    }
    reorder(spec, POD_SPEC_ORDER);
    let qos = pod_qos(spec);
    match old {
        None => {
            o.insert(
                "status".into(),
                json!({"phase": "Pending", "qosClass": qos}),
            );
        }
        Some(_) => {
            if let Some(st) = child(o, "status") {
                default_str(st, "phase", "Pending");
                default_str(st, "qosClass", qos);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------

const SERVICE_SPEC_ORDER: &[&str] = &[
    "ports",
    "selector",
    "clusterIP",
    "clusterIPs",
    "type",
    "externalIPs",
    "sessionAffinity",
    "loadBalancerIP",
    "loadBalancerSourceRanges",
    "externalName",
    "externalTrafficPolicy",
    "healthCheckNodePort",
    "publishNotReadyAddresses",
    "sessionAffinityConfig",
    "ipFamilies",
    "ipFamilyPolicy",
    "allocateLoadBalancerNodePorts",
    "loadBalancerClass",
    "internalTrafficPolicy",
    "trafficDistribution",
];

fn default_service(o: &mut Map<String, Value>, old: Option<&Value>, ctx: &mut DefaultsContext) {
    let Some(spec) = child(o, "spec") else { return };
    default_str(spec, "sessionAffinity", "None");
    match str_of(spec, "sessionAffinity") {
        "None" => {
            spec.shift_remove("sessionAffinityConfig");
        }
        "ClientIP" => {
            let has = spec
                .get("sessionAffinityConfig")
                .and_then(|v| v.pointer("/clientIP/timeoutSeconds"))
                .is_some_and(|v| !v.is_null());
            if !has {
                spec.insert(
                    "sessionAffinityConfig".into(),
                    json!({"clientIP": {"timeoutSeconds": 10800}}),
                );
            }
        }
        _ => {}
    }
    default_str(spec, "type", "ClusterIP");
    let ty = str_of(spec, "type").to_string();
    let old_spec = old.and_then(|o| o.get("spec"));
    let old_ty = old_spec
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    each_obj(spec, "ports", |p| {
        default_str(p, "protocol", "TCP");
        let port = p.get("port").cloned().unwrap_or(Value::Null);
        let unset = match p.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            Some(Value::String(s)) => s.is_empty(),
            _ => false,
        };
        if unset {
            p.insert("targetPort".into(), port);
        }
    });
    let external = ty == "NodePort" || ty == "LoadBalancer";
    if external {
        default_str(spec, "externalTrafficPolicy", "Cluster");
    }
    if matches!(ty.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer") {
        default_str(spec, "internalTrafficPolicy", "Cluster");
    }
    if ty == "LoadBalancer" {
        default(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
    if ty != "ExternalName" {
        // Keep what was allocated when an update leaves it out.
        if let Some(os) = old_spec.filter(|_| old_ty != "ExternalName") {
            for k in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
                if let Some(v) = os.get(k) {
                    let missing = spec
                        .get(k)
                        .is_none_or(|x| x.is_null() || x.as_str() == Some(""));
                    if missing {
                        spec.insert(k.into(), v.clone());
                    }
                }
            }
        }
        let ip = str_of(spec, "clusterIP").to_string();
        let ip = if ip.is_empty() {
            match spec
                .get("clusterIPs")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
            {
                Some(first) if !first.is_empty() => first.to_string(),
                _ => ctx.allocate_cluster_ip(),
            }
        } else {
            ip
        };
        spec.insert("clusterIP".into(), json!(ip));
        let ips_missing = spec
            .get("clusterIPs")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if ips_missing {
            spec.insert("clusterIPs".into(), json!([ip]));
        }
        let headless_no_selector = ip == "None"
            && spec
                .get("selector")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty);
        default_str(
            spec,
            "ipFamilyPolicy",
            if headless_no_selector {
                "RequireDualStack"
            } else {
                "SingleStack"
            },
        );
        let fams_missing = spec
            .get("ipFamilies")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if fams_missing {
            spec.insert("ipFamilies".into(), json!(["IPv4"]));
        }
        if external {
            let old_ports: Vec<Value> = old_spec
                .and_then(|s| s.get("ports"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let allocate = ty == "NodePort"
                || spec
                    .get("allocateLoadBalancerNodePorts")
                    .and_then(Value::as_bool)
                    != Some(false);
            if allocate {
                each_obj(spec, "ports", |p| {
                    let set = p
                        .get("nodePort")
                        .and_then(Value::as_i64)
                        .is_some_and(|n| n != 0);
                    if !set {
                        let reuse = old_ports
                            .iter()
                            .find(|op| {
                                op.get("port") == p.get("port")
                                    && op.get("protocol") == p.get("protocol")
                            })
                            .and_then(|op| op.get("nodePort"))
                            .and_then(Value::as_i64);
                        let n = reuse.unwrap_or_else(|| ctx.allocate_node_port());
                        p.insert("nodePort".into(), json!(n));
                    }
                });
            }
            if ty == "LoadBalancer" && str_of(spec, "externalTrafficPolicy") == "Local" {
                let set = spec
                    .get("healthCheckNodePort")
                    .and_then(Value::as_i64)
                    .is_some_and(|n| n != 0);
                if !set {
                    let n = old_spec
                        .and_then(|s| s.get("healthCheckNodePort"))
                        .and_then(Value::as_i64)
                        .unwrap_or_else(|| ctx.allocate_node_port());
                    spec.insert("healthCheckNodePort".into(), json!(n));
                }
            }
        }
    }
    each_obj(spec, "ports", |p| {
        reorder(
            p,
            &[
                "name",
                "protocol",
                "appProtocol",
                "port",
                "targetPort",
                "nodePort",
            ],
        );
    });
    reorder(spec, SERVICE_SPEC_ORDER);
    if let Some(st) = child(o, "status") {
        default(st, "loadBalancer", json!({}));
    }
}

// ---------------------------------------------------------------------------
// Other core kinds
// ---------------------------------------------------------------------------

fn default_namespace(o: &mut Map<String, Value>, old: Option<&Value>) {
    let name = o
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !name.is_empty() {
        if let Some(meta) = child(o, "metadata") {
            if let Some(labels) = child(meta, "labels") {
                labels.insert("kubernetes.io/metadata.name".into(), json!(name));
            }
        }
    }
    match old {
        None => {
            if let Some(spec) = child(o, "spec") {
                let fins = spec
                    .get("finalizers")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if !fins.iter().any(|f| f.as_str() == Some("kubernetes")) {
                    let mut fins = fins;
                    fins.push(json!("kubernetes"));
                    spec.insert("finalizers".into(), Value::Array(fins));
                }
            }
            o.insert("status".into(), json!({"phase": "Active"}));
        }
        Some(old) => {
            // PrepareForUpdate: finalizers go through /finalize only.
            match old.pointer("/spec/finalizers") {
                Some(f) => {
                    if let Some(spec) = child(o, "spec") {
                        spec.insert("finalizers".into(), f.clone());
                    }
                }
                None => {
                    if let Some(spec) = existing(o, "spec") {
                        spec.shift_remove("finalizers");
                    }
                }
            }
            if let Some(st) = child(o, "status") {
                default_str(st, "phase", "Active");
            }
        }
    }
}

fn default_secret(o: &mut Map<String, Value>) {
    use base64::Engine as _;
    if let Some(sd) = o.shift_remove("stringData") {
        if let Some(sd) = sd.as_object() {
            if let Some(data) = child(o, "data") {
                for (k, v) in sd {
                    let raw = v.as_str().unwrap_or("");
                    let enc = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
                    data.insert(k.clone(), json!(enc));
                }
            }
            if o.get("data")
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
            {
                o.shift_remove("data");
            }
        }
    }
    default_str(o, "type", "Opaque");
}

fn default_pvc_spec(spec: &mut Map<String, Value>) {
    default(spec, "volumeMode", json!("Filesystem"));
}

fn default_pvc(o: &mut Map<String, Value>) {
    if let Some(spec) = child(o, "spec") {
        default_pvc_spec(spec);
    }
    if let Some(st) = child(o, "status") {
        default_str(st, "phase", "Pending");
    }
}

fn default_pv(o: &mut Map<String, Value>) {
    if let Some(spec) = child(o, "spec") {
        default_str(spec, "persistentVolumeReclaimPolicy", "Retain");
        default(spec, "volumeMode", json!("Filesystem"));
    }
    if let Some(st) = child(o, "status") {
        default_str(st, "phase", "Pending");
    }
}

fn default_replication_controller(o: &mut Map<String, Value>) {
    let tlabels = o
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
        .filter(|l| l.is_object())
        .cloned();
    if let Some(spec) = child(o, "spec") {
        default(spec, "replicas", json!(1));
        if let Some(l) = &tlabels {
            if spec
                .get("selector")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
            {
                spec.insert("selector".into(), l.clone());
            }
        }
        if let Some(t) = existing(spec, "template") {
            default_pod_template(t);
        }
        reorder(
            spec,
            &["replicas", "minReadySeconds", "selector", "template"],
        );
    }
    if let Some(l) = tlabels {
        if let Some(meta) = child(o, "metadata") {
            if meta
                .get("labels")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
            {
                meta.insert("labels".into(), l);
            }
        }
    }
    if let Some(st) = child(o, "status") {
        default(st, "replicas", json!(0));
    }
}

// ---------------------------------------------------------------------------
// apps
// ---------------------------------------------------------------------------

fn default_deployment(o: &mut Map<String, Value>) {
    if let Some(spec) = child(o, "spec") {
        default(spec, "replicas", json!(1));
        if let Some(strategy) = child(spec, "strategy") {
            default_str(strategy, "type", "RollingUpdate");
            if str_of(strategy, "type") == "RollingUpdate" {
                if let Some(ru) = child(strategy, "rollingUpdate") {
                    default(ru, "maxUnavailable", json!("25%"));
                    default(ru, "maxSurge", json!("25%"));
                    reorder(ru, &["maxUnavailable", "maxSurge"]);
                }
            }
            reorder(strategy, &["type", "rollingUpdate"]);
        }
        default(spec, "revisionHistoryLimit", json!(10));
        default(spec, "progressDeadlineSeconds", json!(600));
        if let Some(t) = child(spec, "template") {
            default_pod_template(t);
        }
        reorder(
            spec,
            &[
                "replicas",
                "selector",
                "template",
                "strategy",
                "minReadySeconds",
                "revisionHistoryLimit",
                "paused",
                "progressDeadlineSeconds",
            ],
        );
    }
    child(o, "status");
}

fn default_replica_set(o: &mut Map<String, Value>) {
    if let Some(spec) = child(o, "spec") {
        default(spec, "replicas", json!(1));
        if let Some(t) = child(spec, "template") {
            default_pod_template(t);
        }
        reorder(
            spec,
            &["replicas", "minReadySeconds", "selector", "template"],
        );
    }
    if let Some(st) = child(o, "status") {
        default(st, "replicas", json!(0));
    }
}

fn default_stateful_set(o: &mut Map<String, Value>) {
    if let Some(spec) = child(o, "spec") {
        default(spec, "replicas", json!(1));
        default_str(spec, "podManagementPolicy", "OrderedReady");
        if let Some(us) = child(spec, "updateStrategy") {
            if str_of(us, "type").is_empty() {
                us.insert("type".into(), json!("RollingUpdate"));
                default(us, "rollingUpdate", json!({}));
            }
            if str_of(us, "type") == "RollingUpdate" {
                if let Some(ru) = existing(us, "rollingUpdate") {
                    default(ru, "partition", json!(0));
                }
            }
            reorder(us, &["type", "rollingUpdate"]);
        }
        if let Some(p) = child(spec, "persistentVolumeClaimRetentionPolicy") {
            default_str(p, "whenDeleted", "Retain");
            default_str(p, "whenScaled", "Retain");
            reorder(p, &["whenDeleted", "whenScaled"]);
        }
        default(spec, "revisionHistoryLimit", json!(10));
        if let Some(t) = child(spec, "template") {
            default_pod_template(t);
        }
        each_obj(spec, "volumeClaimTemplates", |pvc| {
            if let Some(s) = child(pvc, "spec") {
                default_pvc_spec(s);
            }
            if let Some(st) = child(pvc, "status") {
                default_str(st, "phase", "Pending");
            }
        });
        reorder(
            spec,
            &[
                "replicas",
                "selector",
                "template",
                "volumeClaimTemplates",
                "serviceName",
                "podManagementPolicy",
                "updateStrategy",
                "revisionHistoryLimit",
                "minReadySeconds",
                "persistentVolumeClaimRetentionPolicy",
                "ordinals",
            ],
        );
    }
    if let Some(st) = child(o, "status") {
        default(st, "replicas", json!(0));
        default(st, "availableReplicas", json!(0));
    }
}

fn default_daemon_set(o: &mut Map<String, Value>) {
    if let Some(spec) = child(o, "spec") {
        if let Some(us) = child(spec, "updateStrategy") {
            default_str(us, "type", "RollingUpdate");
            if str_of(us, "type") == "RollingUpdate" {
                if let Some(ru) = child(us, "rollingUpdate") {
                    default(ru, "maxUnavailable", json!(1));
                    default(ru, "maxSurge", json!(0));
                    reorder(ru, &["maxUnavailable", "maxSurge"]);
                }
            }
            reorder(us, &["type", "rollingUpdate"]);
        }
        default(spec, "revisionHistoryLimit", json!(10));
        if let Some(t) = child(spec, "template") {
            default_pod_template(t);
        }
        reorder(
            spec,
            &[
                "selector",
                "template",
                "updateStrategy",
                "minReadySeconds",
                "revisionHistoryLimit",
            ],
        );
    }
    if let Some(st) = child(o, "status") {
        for k in [
            "currentNumberScheduled",
            "numberMisscheduled",
            "desiredNumberScheduled",
            "numberReady",
        ] {
            default(st, k, json!(0));
        }
    }
}

// ---------------------------------------------------------------------------
// batch
// ---------------------------------------------------------------------------

fn default_job_spec(spec: &mut Map<String, Value>) {
    let c_unset = spec.get("completions").is_none_or(Value::is_null);
    let p_unset = spec.get("parallelism").is_none_or(Value::is_null);
    if c_unset && p_unset {
        spec.insert("completions".into(), json!(1));
    }
    default(spec, "parallelism", json!(1));
    default(spec, "backoffLimit", json!(6));
    default_str(spec, "completionMode", "NonIndexed");
    default(spec, "suspend", json!(false));
    let policy = if spec.get("podFailurePolicy").is_some_and(|v| !v.is_null()) {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    default_str(spec, "podReplacementPolicy", policy);
    if let Some(t) = child(spec, "template") {
        default_pod_template(t);
    }
}

const JOB_SPEC_ORDER: &[&str] = &[
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "podFailurePolicy",
    "successPolicy",
    "backoffLimit",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
    "selector",
    "manualSelector",
    "template",
    "ttlSecondsAfterFinished",
    "completionMode",
    "suspend",
    "podReplacementPolicy",
    "managedBy",
];

fn default_job(o: &mut Map<String, Value>, old: Option<&Value>) {
    let name = o
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    // FillObjectMetaSystemFields runs before PrepareForCreate: the uid is set.
    let existing_uid = o
        .get("metadata")
        .and_then(|m| m.get("uid"))
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if let Some(spec) = child(o, "spec") {
        default_job_spec(spec);
        // PrepareForCreate: the generated selector and template labels.
        let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
        if old.is_none() && !manual {
            let uid = existing_uid
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            if let Some(t) = child(spec, "template") {
                if let Some(tm) = child(t, "metadata") {
                    if let Some(l) = child(tm, "labels") {
                        l.insert("batch.kubernetes.io/controller-uid".into(), json!(uid));
                        l.insert("batch.kubernetes.io/job-name".into(), json!(name));
                        l.insert("controller-uid".into(), json!(uid));
                        l.insert("job-name".into(), json!(name));
                    }
                }
            }
            if spec.get("selector").is_none_or(Value::is_null) {
                spec.insert(
                    "selector".into(),
                    json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
                );
            }
        }
        reorder(spec, JOB_SPEC_ORDER);
    }
    // SetDefaults_Job: object labels from the template's.
    let tl = o
        .get("spec")
        .and_then(|v| v.pointer("/template/metadata/labels"))
        .filter(|v| v.is_object())
        .cloned();
    if let (Some(tl), Some(meta)) = (tl, child(o, "metadata")) {
        if meta
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
        {
            meta.insert("labels".into(), tl);
        }
    }
    child(o, "status");
}

fn default_cron_job(o: &mut Map<String, Value>) {
    if let Some(spec) = child(o, "spec") {
        default_str(spec, "concurrencyPolicy", "Allow");
        default(spec, "suspend", json!(false));
        default(spec, "successfulJobsHistoryLimit", json!(3));
        default(spec, "failedJobsHistoryLimit", json!(1));
        if let Some(jt) = existing(spec, "jobTemplate") {
            if let Some(js) = existing(jt, "spec") {
                if let Some(t) = existing(js, "template") {
                    default_pod_template(t);
                }
            }
        }
        reorder(
            spec,
            &[
                "schedule",
                "timeZone",
                "startingDeadlineSeconds",
                "concurrencyPolicy",
                "suspend",
                "jobTemplate",
                "successfulJobsHistoryLimit",
                "failedJobsHistoryLimit",
            ],
        );
    }
    child(o, "status");
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// Fills in defaults on `obj` (kind `kind` in `group`); `old` is the stored
/// object on update.
pub fn apply_defaults(
    group: &str,
    kind: &str,
    obj: &mut Value,
    old: Option<&Value>,
    ctx: &mut DefaultsContext,
) {
    let Some(o) = obj.as_object_mut() else { return };
    match (group, kind) {
        ("", "Pod") => default_pod(o, old),
        ("", "PodTemplate") => {
            if let Some(t) = child(o, "template") {
                default_pod_template(t);
            }
        }
        ("", "Service") => default_service(o, old, ctx),
        ("", "Namespace") => default_namespace(o, old),
        ("", "Secret") => default_secret(o),
        ("", "ReplicationController") => default_replication_controller(o),
        ("", "PersistentVolumeClaim") => default_pvc(o),
        ("", "PersistentVolume") => default_pv(o),
        ("", "Endpoints") => each_obj(o, "subsets", |ss| {
            each_obj(ss, "ports", |p| default_str(p, "protocol", "TCP"));
        }),
        ("apps", "Deployment") => default_deployment(o),
        ("apps", "ReplicaSet") => default_replica_set(o),
        ("apps", "StatefulSet") => default_stateful_set(o),
        ("apps", "DaemonSet") => default_daemon_set(o),
        ("batch", "Job") => default_job(o, old),
        ("batch", "CronJob") => default_cron_job(o),
        ("discovery.k8s.io", "EndpointSlice") => each_obj(o, "ports", |p| {
            default(p, "name", json!(""));
            default(p, "protocol", json!("TCP"));
            reorder(p, &["name", "protocol", "port", "appProtocol"]);
        }),
        ("autoscaling", "HorizontalPodAutoscaler") => {
            if let Some(spec) = child(o, "spec") {
                default(spec, "minReplicas", json!(1));
                if spec
                    .get("metrics")
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty)
                {
                    spec.insert(
                        "metrics".into(),
                        json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
                    );
                }
            }
            if let Some(st) = child(o, "status") {
                default(st, "desiredReplicas", json!(0));
            }
        }
        ("networking.k8s.io", "Ingress") => {
            if let Some(st) = child(o, "status") {
                default(st, "loadBalancer", json!({}));
            }
        }
        ("policy", "PodDisruptionBudget") => {
            if let Some(st) = child(o, "status") {
                for k in [
                    "disruptionsAllowed",
                    "currentHealthy",
                    "desiredHealthy",
                    "expectedPods",
                ] {
                    default(st, k, json!(0));
                }
            }
        }
        _ => {}
    }
    if ctx.creation_timestamp_null {
        null_embedded_creation_timestamps(group, kind, o);
    }
}

/// Whether `metadata.generation` is kept (bumped on spec changes).
pub fn tracks_generation(group: &str, resource: &str) -> bool {
    matches!(
        (group, resource),
        (
            "apps",
            "deployments" | "replicasets" | "statefulsets" | "daemonsets"
        ) | ("batch", _)
            | ("", "replicationcontrollers" | "pods")
            | ("discovery.k8s.io", "endpointslices")
            | ("networking.k8s.io", "ingresses" | "networkpolicies")
            | ("policy", "poddisruptionbudgets")
            | ("apiextensions.k8s.io", "customresourcedefinitions")
            | ("apiregistration.k8s.io", "apiservices")
            | (
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations"
                    | "mutatingwebhookconfigurations"
                    | "validatingadmissionpolicies"
                    | "validatingadmissionpolicybindings"
                    | "mutatingadmissionpolicies"
                    | "mutatingadmissionpolicybindings"
            )
            | (
                "flowcontrol.apiserver.k8s.io",
                "flowschemas" | "prioritylevelconfigurations"
            )
            | (
                "resource.k8s.io",
                "resourceclaims" | "resourceslices" | "deviceclasses"
            )
    )
}

/// Whether create/update of the main resource ignore `status` (status is
/// written through the status subresource).
pub fn has_status_subresource_semantics(group: &str, resource: &str) -> bool {
    matches!(
        (group, resource),
        (
            "",
            "namespaces"
                | "nodes"
                | "persistentvolumeclaims"
                | "persistentvolumes"
                | "pods"
                | "replicationcontrollers"
                | "resourcequotas"
                | "services"
        ) | ("apiregistration.k8s.io", "apiservices")
            | (
                "apps",
                "daemonsets" | "deployments" | "replicasets" | "statefulsets"
            )
            | ("autoscaling", "horizontalpodautoscalers")
            | ("batch", "cronjobs" | "jobs")
            | ("certificates.k8s.io", "certificatesigningrequests")
            | ("networking.k8s.io", "ingresses" | "servicecidrs")
            | ("policy", "poddisruptionbudgets")
            | ("storage.k8s.io", "volumeattachments")
            | (
                "admissionregistration.k8s.io",
                "validatingadmissionpolicies"
            )
            | ("apiextensions.k8s.io", "customresourcedefinitions")
            | ("resource.k8s.io", "resourceclaims")
            | (
                "flowcontrol.apiserver.k8s.io",
                "flowschemas" | "prioritylevelconfigurations"
            )
    )
}

/// Writes `creationTimestamp: null` into the embedded `ObjectMeta`s of
/// `kind` that lack one (≤1.33 encoding of a zero `metav1.Time`).
fn null_embedded_creation_timestamps(group: &str, kind: &str, o: &mut Map<String, Value>) {
    fn meta_of(holder: &mut Map<String, Value>) {
        let meta = holder
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(m) = meta.as_object_mut() {
            if !m.contains_key("creationTimestamp") {
                m.insert("creationTimestamp".into(), Value::Null);
                let mut old = std::mem::take(m);
                for k in crate::meta::OBJECT_META_FIELDS {
                    if let Some(v) = old.shift_remove(*k) {
                        m.insert((*k).to_string(), v);
                    }
                }
                m.extend(old);
            }
        }
    }
    fn at(o: &mut Map<String, Value>, path: &[&str]) {
        let mut cur = o;
        for k in path {
            match cur.get_mut(*k).and_then(Value::as_object_mut) {
                Some(next) => cur = next,
                None => return,
            }
        }
        meta_of(cur);
    }
    match (group, kind) {
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
        | ("", "ReplicationController")
        | ("batch", "Job") => at(o, &["spec", "template"]),
        ("", "PodTemplate") => at(o, &["template"]),
        ("batch", "CronJob") => {
            at(o, &["spec", "jobTemplate"]);
            at(o, &["spec", "jobTemplate", "spec", "template"]);
        }
        _ => {}
    }
    if (group, kind) == ("apps", "StatefulSet") {
        if let Some(claims) = o
            .get_mut("spec")
            .and_then(|s| s.get_mut("volumeClaimTemplates"))
            .and_then(Value::as_array_mut)
        {
            for c in claims.iter_mut().filter_map(Value::as_object_mut) {
                meta_of(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden_pod_spec() -> Value {
        json!({
            "containers": [{
                "name": "c",
                "image": "registry.example/busybox:1.36",
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent"
            }],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "automountServiceAccountToken": false,
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            ],
            "priority": 0,
            "enableServiceLinks": true,
            "preemptionPolicy": "PreemptLowerPriority"
        })
    }

    fn keys(v: &Value) -> Vec<String> {
        v.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Golden pods-create / pods-get / pods-list.
    #[test]
    fn golden_pod_create() {
        let mut p = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "obj-a"},
            "spec": {"automountServiceAccountToken": false,
                "containers": [{"name": "c", "image": "registry.example/busybox:1.36"}]}});
        apply_defaults("", "Pod", &mut p, None, &mut DefaultsContext::default());
        assert_eq!(p["spec"], golden_pod_spec());
        assert_eq!(keys(&p["spec"]), keys(&golden_pod_spec()));
        assert_eq!(
            keys(&p["spec"]["containers"][0]),
            keys(&golden_pod_spec()["containers"][0])
        );
        assert_eq!(
            p["status"],
            json!({"phase": "Pending", "qosClass": "BestEffort"})
        );
    }

    #[test]
    fn pod_token_volume_when_automount() {
        let mut p = json!({"metadata": {"name": "a"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        apply_defaults("", "Pod", &mut p, None, &mut DefaultsContext::default());
        let vol = &p["spec"]["volumes"][0];
        let name = vol["name"].as_str().unwrap_or("");
        assert!(name.starts_with("kube-api-access-") && name.len() == 21);
        assert_eq!(
            p["spec"]["containers"][0]["volumeMounts"][0]["name"],
            json!(name)
        );
        assert_eq!(
            p["spec"]["containers"][0]["imagePullPolicy"],
            json!("Always")
        );
        assert_eq!(keys(&p["spec"])[0], "volumes");
    }

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("nginx"), "latest");
        assert_eq!(image_tag("nginx:latest"), "latest");
        assert_eq!(image_tag("registry:5000/nginx"), "latest");
        assert_eq!(image_tag("registry:5000/nginx:1.2"), "1.2");
        assert_eq!(image_tag("nginx@sha256:abc"), "");
    }

    #[test]
    fn qos_classes() {
        let mut p = json!({"spec": {"automountServiceAccountToken": false, "containers": [{"name": "c", "image": "i",
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}});
        apply_defaults("", "Pod", &mut p, None, &mut DefaultsContext::default());
        assert_eq!(p["status"]["qosClass"], json!("Guaranteed"));
        assert_eq!(
            p["spec"]["containers"][0]["resources"]["requests"],
            json!({"cpu": "1", "memory": "1Gi"})
        );
        let mut p = json!({"spec": {"containers": [{"name": "c", "image": "i",
            "resources": {"requests": {"cpu": "1"}}}]}});
        apply_defaults("", "Pod", &mut p, None, &mut DefaultsContext::default());
        assert_eq!(p["status"]["qosClass"], json!("Burstable"));
    }

    /// Golden services-list.
    #[test]
    fn golden_service() {
        let mut ctx = DefaultsContext::default();
        let mut s = json!({"metadata": {"name": "obj-a"}, "spec": {"selector": {"app": "obj-a"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}});
        apply_defaults("", "Service", &mut s, None, &mut ctx);
        let ip = s["spec"]["clusterIP"].as_str().unwrap_or("").to_string();
        assert!(ip.starts_with("10.96."));
        assert_eq!(
            s["spec"],
            json!({"ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                "selector": {"app": "obj-a"}, "clusterIP": ip, "clusterIPs": [ip], "type": "ClusterIP",
                "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "internalTrafficPolicy": "Cluster"})
        );
        assert_eq!(
            keys(&s["spec"]),
            vec![
                "ports",
                "selector",
                "clusterIP",
                "clusterIPs",
                "type",
                "sessionAffinity",
                "ipFamilies",
                "ipFamilyPolicy",
                "internalTrafficPolicy"
            ]
        );
        assert_eq!(s["status"], json!({"loadBalancer": {}}));
        let mut s2 = json!({"metadata": {"name": "b"}, "spec": {"ports": [{"port": 80}]}});
        apply_defaults("", "Service", &mut s2, None, &mut ctx);
        assert_ne!(s2["spec"]["clusterIP"], json!(ip));
        assert_eq!(s2["spec"]["ports"][0]["targetPort"], json!(80));
        // An update without clusterIP keeps the allocated one.
        let mut upd = json!({"metadata": {"name": "obj-a"}, "spec": {"ports": [{"port": 80}]}});
        apply_defaults("", "Service", &mut upd, Some(&s), &mut ctx);
        assert_eq!(upd["spec"]["clusterIP"], json!(ip));
    }

    #[test]
    fn nodeport_service() {
        let mut s = json!({"spec": {"type": "NodePort", "ports": [{"port": 80}]}});
        apply_defaults("", "Service", &mut s, None, &mut DefaultsContext::default());
        assert_eq!(s["spec"]["externalTrafficPolicy"], json!("Cluster"));
        assert!(s["spec"]["ports"][0]["nodePort"]
            .as_i64()
            .is_some_and(|n| (30000..=32767).contains(&n)));
    }

    /// Golden deployments-list.
    #[test]
    fn golden_deployment() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "obj-a"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "obj-a"}},
                "template": {"metadata": {"labels": {"app": "obj-a"}},
                    "spec": {"containers": [{"name": "c", "image": "registry.example/nginx:1.27"}]}}}});
        apply_defaults(
            "apps",
            "Deployment",
            &mut d,
            None,
            &mut DefaultsContext::default(),
        );
        let want = json!({
            "replicas": 1,
            "selector": {"matchLabels": {"app": "obj-a"}},
            "template": {"metadata": {"labels": {"app": "obj-a"}}, "spec": {
                "containers": [{"name": "c", "image": "registry.example/nginx:1.27", "resources": {},
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent"}],
                "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                "securityContext": {}, "schedulerName": "default-scheduler"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600
        });
        assert_eq!(d["spec"], want);
        assert_eq!(keys(&d["spec"]), keys(&want));
        assert_eq!(d["status"], json!({}));
    }

    /// Golden namespaces-get / namespaces-update.
    #[test]
    fn golden_namespace() {
        let mut n = json!({"metadata": {"name": "ns1"}});
        apply_defaults(
            "",
            "Namespace",
            &mut n,
            None,
            &mut DefaultsContext::default(),
        );
        assert_eq!(
            n["metadata"]["labels"],
            json!({"kubernetes.io/metadata.name": "ns1"})
        );
        assert_eq!(n["spec"], json!({"finalizers": ["kubernetes"]}));
        assert_eq!(n["status"], json!({"phase": "Active"}));
        let mut u = json!({"metadata": {"name": "ns1", "labels": {"golden": "updated"}}, "status": {"phase": "Active"}});
        apply_defaults(
            "",
            "Namespace",
            &mut u,
            Some(&n),
            &mut DefaultsContext::default(),
        );
        assert_eq!(
            u["metadata"]["labels"],
            json!({"golden": "updated", "kubernetes.io/metadata.name": "ns1"})
        );
        assert_eq!(u["spec"], json!({"finalizers": ["kubernetes"]}));
    }

    /// Golden endpointslices-create (and the name default).
    #[test]
    fn golden_endpoint_slice() {
        let mut e = json!({"addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}, {"port": 1}]});
        apply_defaults(
            "discovery.k8s.io",
            "EndpointSlice",
            &mut e,
            None,
            &mut DefaultsContext::default(),
        );
        assert_eq!(
            e["ports"][0],
            json!({"name": "http", "protocol": "TCP", "port": 8080})
        );
        assert_eq!(keys(&e["ports"][0]), vec!["name", "protocol", "port"]);
        assert_eq!(
            e["ports"][1],
            json!({"name": "", "protocol": "TCP", "port": 1})
        );
    }

    #[test]
    fn secret_defaults() {
        let mut s = json!({"metadata": {"name": "a"}, "stringData": {"u": "v"}});
        apply_defaults("", "Secret", &mut s, None, &mut DefaultsContext::default());
        assert_eq!(s["type"], json!("Opaque"));
        assert_eq!(s["data"], json!({"u": "dg=="}));
        assert!(s.get("stringData").is_none());
    }

    #[test]
    fn lease_and_configmap_untouched() {
        let l = json!({"metadata": {"name": "a"}, "spec": {"holderIdentity": "h", "leaseDurationSeconds": 15}});
        let mut l2 = l.clone();
        apply_defaults(
            "coordination.k8s.io",
            "Lease",
            &mut l2,
            None,
            &mut DefaultsContext::default(),
        );
        assert_eq!(l, l2);
        let c = json!({"metadata": {"name": "a"}});
        let mut c2 = c.clone();
        apply_defaults(
            "",
            "ConfigMap",
            &mut c2,
            None,
            &mut DefaultsContext::default(),
        );
        assert_eq!(c, c2);
    }

    #[test]
    fn workloads() {
        let mut ctx = DefaultsContext::default();
        let mut ss = json!({"spec": {"selector": {}, "template": {"spec": {"containers": []}}}});
        apply_defaults("apps", "StatefulSet", &mut ss, None, &mut ctx);
        assert_eq!(
            ss["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        );
        assert_eq!(ss["status"], json!({"replicas": 0, "availableReplicas": 0}));
        let mut ds = json!({"spec": {}});
        apply_defaults("apps", "DaemonSet", &mut ds, None, &mut ctx);
        assert_eq!(
            ds["spec"]["updateStrategy"]["rollingUpdate"],
            json!({"maxUnavailable": 1, "maxSurge": 0})
        );
        let mut job = json!({"metadata": {"name": "j"}, "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": []}}}});
        apply_defaults("batch", "Job", &mut job, None, &mut ctx);
        assert_eq!(job["spec"]["completions"], json!(1));
        assert_eq!(job["spec"]["backoffLimit"], json!(6));
        assert_eq!(
            job["spec"]["template"]["metadata"]["labels"]["job-name"],
            json!("j")
        );
        assert!(
            job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"]
                .is_string()
        );
    }

    #[test]
    fn odd_input_is_skipped() {
        let mut ctx = DefaultsContext::default();
        for kind in [
            ("", "Pod"),
            ("", "Service"),
            ("apps", "Deployment"),
            ("", "Namespace"),
            ("batch", "Job"),
            ("discovery.k8s.io", "EndpointSlice"),
        ] {
            for v in [
                json!(null),
                json!(1),
                json!({"spec": 5}),
                json!({"spec": {"containers": 3, "ports": "x"}}),
                json!({"metadata": [], "spec": {"template": []}}),
            ] {
                let mut v = v;
                apply_defaults(kind.0, kind.1, &mut v, None, &mut ctx);
                let old = v.clone();
                apply_defaults(kind.0, kind.1, &mut v, Some(&old), &mut ctx);
            }
        }
    }

    #[test]
    fn generation_and_status_tables() {
        assert!(tracks_generation("", "pods"));
        assert!(tracks_generation("discovery.k8s.io", "endpointslices"));
        assert!(!tracks_generation("", "services"));
        assert!(!tracks_generation("coordination.k8s.io", "leases"));
        assert!(has_status_subresource_semantics("", "pods"));
        assert!(has_status_subresource_semantics("apps", "deployments"));
        assert!(!has_status_subresource_semantics("", "configmaps"));
    }
}
