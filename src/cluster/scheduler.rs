//! The scheduler: binds pending pods whose `schedulerName` is
//! `default-scheduler` to a node through `pods/binding`, as kube-scheduler's
//! binder does (`pkg/scheduler/framework/plugins/defaultbinder`), and records
//! `Scheduled`. Filters (`NodeName`, `NodeUnschedulable`, `NodeAffinity` with
//! `nodeSelector` and required node affinity, `TaintToleration`, node
//! Ready) then the node with the fewest pods (name order breaks ties). A
//! pod no node fits gets `PodScheduled=False` reason `Unschedulable` and a
//! `FailedScheduling` event, and is tried again when a node changes.
//! Messages UNVERIFIED against a recording (from `pkg/scheduler/schedule_one.go`
//! `FitError.Error`).

use super::client::{object_path, Client};
use super::events::{EventKind, Recorder};
use super::informer::{Informer, Timers};
use super::Context;
use crate::store::EventType;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn s<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// Whether the scheduler should place this pod.
fn wants_scheduling(pod: &Value) -> bool {
    s(pod, "/spec/nodeName").is_empty()
        && matches!(s(pod, "/spec/schedulerName"), "" | "default-scheduler")
        && pod.pointer("/metadata/deletionTimestamp").is_none()
        && !matches!(s(pod, "/status/phase"), "Succeeded" | "Failed")
}

/// Why a node does not fit (the `FitError` reason strings).
pub(crate) fn misfit(pod: &Value, node: &Value) -> Option<String> {
    let tolerations = pod
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        let unsched = json!({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"});
        if !tolerations.iter().any(|t| tolerates(t, &unsched)) {
            return Some("node(s) were unschedulable".into());
        }
    }
    let labels = node
        .pointer("/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    if let Some(sel) = pod.pointer("/spec/nodeSelector").and_then(Value::as_object) {
        if sel.iter().any(|(k, v)| labels.get(k) != Some(v)) {
            return Some("node(s) didn't match Pod's node affinity/selector".into());
        }
    }
    if let Some(terms) = pod
        .pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
    {
        if !terms.is_empty() && !terms.iter().any(|t| term_matches(t, &labels, s(node, "/metadata/name"))) {
            return Some("node(s) didn't match Pod's node affinity/selector".into());
        }
    }
    for taint in node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let effect = s(taint, "/effect");
        if (effect == "NoSchedule" || effect == "NoExecute")
            && !tolerations.iter().any(|t| tolerates(t, taint))
        {
            let (k, v) = (s(taint, "/key"), s(taint, "/value"));
            return Some(format!("node(s) had untolerated taint {{{k}: {v}}}"));
        }
    }
    let ready = node
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True");
    if !ready {
        return Some("node(s) had untolerated taint {node.kubernetes.io/not-ready: }".into());
    }
    None
}

/// `v1helper.TolerationsTolerateTaint` for one toleration.
fn tolerates(t: &Value, taint: &Value) -> bool {
    let effect = s(t, "/effect");
    if !effect.is_empty() && effect != s(taint, "/effect") {
        return false;
    }
    let key = s(t, "/key");
    match s(t, "/operator") {
        "Exists" => key.is_empty() || key == s(taint, "/key"),
        _ => key == s(taint, "/key") && s(t, "/value") == s(taint, "/value"),
    }
}

/// A `nodeSelectorTerm` against the node: its `matchExpressions` on the
/// labels and its `matchFields` on `metadata.name` (the only field the
/// scheduler supports; DaemonSet pods are pinned to their node with it).
fn term_matches(term: &Value, labels: &Value, node_name: &str) -> bool {
    let fields = term
        .pointer("/matchFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|e| {
            let values = e.pointer("/values").and_then(Value::as_array);
            let has = values.is_some_and(|v| v.iter().any(|x| x.as_str() == Some(node_name)));
            s(e, "/key") == "metadata.name"
                && match s(e, "/operator") {
                    "In" => has,
                    "NotIn" => !has,
                    _ => false,
                }
        });
    fields && expressions_match(term, labels)
}

/// A `nodeSelectorTerm`'s `matchExpressions` against the node's labels.
fn expressions_match(term: &Value, labels: &Value) -> bool {
    term.pointer("/matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|e| {
            let label = labels.get(s(e, "/key")).and_then(Value::as_str);
            let values: Vec<&str> = e
                .pointer("/values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match s(e, "/operator") {
                "In" => label.is_some_and(|l| values.contains(&l)),
                "NotIn" => !label.is_some_and(|l| values.contains(&l)),
                "Exists" => label.is_some(),
                "DoesNotExist" => label.is_none(),
                "Gt" | "Lt" => {
                    let (Some(l), Some(v)) = (
                        label.and_then(|l| l.parse::<i64>().ok()),
                        values.first().and_then(|v| v.parse::<i64>().ok()),
                    ) else {
                        return false;
                    };
                    if s(e, "/operator") == "Gt" {
                        l > v
                    } else {
                        l < v
                    }
                }
                _ => false,
            }
        })
}

/// The scheduler's picture of the cluster.
#[derive(Default)]
struct View {
    nodes: BTreeMap<String, Value>,
    /// pod key -> node, for the pods bound.
    placed: HashMap<String, String>,
    /// Pods that fitted nowhere, tried again when a node changes.
    waiting: BTreeSet<String>,
}

impl View {
    fn pods_on(&self, node: &str) -> usize {
        self.placed.values().filter(|n| *n == node).count()
    }

    /// The node for `pod`, or the `FitError` message.
    fn pick(&self, pod: &Value) -> Result<String, String> {
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        let mut best: Option<(usize, &String)> = None;
        for (name, node) in &self.nodes {
            match misfit(pod, node) {
                Some(r) => *reasons.entry(r).or_default() += 1,
                None => {
                    let n = self.pods_on(name);
                    if best.is_none_or(|(b, _)| n < b) {
                        best = Some((n, name));
                    }
                }
            }
        }
        if let Some((_, name)) = best {
            return Ok(name.clone());
        }
        Err(fit_error(self.nodes.len(), &reasons))
    }
}

/// `FitError.Error()` with the preemption postscript.
fn fit_error(nodes: usize, reasons: &BTreeMap<String, usize>) -> String {
    let mut parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    let list = if parts.is_empty() {
        "no nodes available to schedule pods".to_string()
    } else {
        parts.join(", ")
    };
    format!(
        "0/{nodes} nodes are available: {list}. preemption: 0/{nodes} nodes are available: {nodes} Preemption is not helpful for scheduling."
    )
}

/// The scheduler loop.
pub async fn run(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kube-scheduler");
    let events = Recorder::new(client.clone(), "default-scheduler", "");
    let mut pods = Informer::new(ctx.state.clone(), "", "pods");
    let mut nodes = Informer::new(ctx.state.clone(), "", "nodes");
    let mut view = View::default();
    let mut timers: Timers<()> = Timers::default();
    let mut clock = ctx.clock.clone();
    loop {
        tokio::select! {
            c = nodes.next() => {
                let name = s(&c.object, "/metadata/name").to_string();
                if c.event == EventType::Deleted {
                    view.nodes.remove(&name);
                } else {
                    view.nodes.insert(name, (*c.object).clone());
                }
                for key in std::mem::take(&mut view.waiting) {
                    let delay = clock.delay("pod-schedule", &key);
                    timers.schedule(&key, delay, ());
                }
            }
            c = pods.next() => {
                let node = s(&c.object, "/spec/nodeName").to_string();
                if c.event == EventType::Deleted {
                    view.placed.remove(&c.key);
                    view.waiting.remove(&c.key);
                    timers.cancel(&c.key);
                } else if !node.is_empty() {
                    view.placed.insert(c.key.clone(), node);
                    view.waiting.remove(&c.key);
                    timers.cancel(&c.key);
                } else if wants_scheduling(&c.object)
                    && !view.waiting.contains(&c.key)
                    && !timers.contains(&c.key)
                {
                    let delay = clock.delay("pod-schedule", &c.key);
                    timers.schedule(&c.key, delay, ());
                }
            }
            (key, ()) = timers.next() => {
                clock.wait_running().await;
                schedule_one(&client, &events, &mut view, &key).await;
            }
        }
    }
}

async fn schedule_one(client: &Client, events: &Recorder, view: &mut View, key: &str) {
    let Some((ns, name)) = key.split_once('/') else {
        return;
    };
    let path = object_path("v1", ns, "pods", name);
    let Ok(pod) = client.get(&path).await else {
        return;
    };
    if !wants_scheduling(&pod) {
        return;
    }
    match view.pick(&pod) {
        Ok(node) => {
            let binding = json!({
                "apiVersion": "v1", "kind": "Binding",
                "metadata": {"name": name, "namespace": ns, "uid": s(&pod, "/metadata/uid")},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node}
            });
            if client
                .call(
                    http::Method::POST,
                    &format!("{path}/binding"),
                    "",
                    Some(&binding),
                )
                .await
                .is_ok()
            {
                view.placed.insert(key.to_string(), node.clone());
                events
                    .record(
                        &pod,
                        None,
                        EventKind::Normal,
                        "Scheduled",
                        &format!("Successfully assigned {ns}/{name} to {node}"),
                    )
                    .await;
            }
        }
        Err(message) => {
            view.waiting.insert(key.to_string());
            let mut pod = pod;
            let now = crate::meta::time::now_rfc3339();
            let cond = json!({"type": "PodScheduled", "status": "False", "lastProbeTime": null,
                "lastTransitionTime": now, "reason": "Unschedulable", "message": message});
            let conds = pod["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let already = conds.iter().any(|c| {
                c["type"] == "PodScheduled"
                    && c["reason"] == "Unschedulable"
                    && c["message"] == message
            });
            if !already {
                let mut conds: Vec<Value> = conds
                    .into_iter()
                    .filter(|c| c["type"] != "PodScheduled")
                    .collect();
                conds.push(cond);
                pod["status"]["conditions"] = Value::Array(conds);
                pod["status"]["phase"] = json!("Pending");
                let _ = client.update(&format!("{path}/status"), &pod).await;
                events
                    .record(&pod, None, EventKind::Warning, "FailedScheduling", &message)
                    .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_least_pods() {
        let ready = json!([{"type": "Ready", "status": "True"}]);
        let mut view = View::default();
        view.nodes.insert(
            "a".into(),
            json!({"metadata": {"name": "a", "labels": {"disk": "ssd"}}, "status": {"conditions": ready}}),
        );
        view.nodes.insert(
            "b".into(),
            json!({"metadata": {"name": "b", "labels": {}}, "spec": {"unschedulable": true}, "status": {"conditions": ready}}),
        );
        view.nodes.insert(
            "c".into(),
            json!({"metadata": {"name": "c", "labels": {}}, "status": {"conditions": ready}}),
        );
        let plain = json!({"spec": {}});
        assert_eq!(view.pick(&plain).unwrap(), "a");
        view.placed.insert("ns/x".into(), "a".into());
        assert_eq!(view.pick(&plain).unwrap(), "c");
        let ssd = json!({"spec": {"nodeSelector": {"disk": "ssd"}}});
        assert_eq!(view.pick(&ssd).unwrap(), "a");
        let gpu = json!({"spec": {"nodeSelector": {"gpu": "yes"}}});
        assert_eq!(
            view.pick(&gpu).unwrap_err(),
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
        let tolerant = json!({"spec": {"nodeSelector": {"gpu": "yes"}, "tolerations": [{"operator": "Exists"}]}});
        assert!(view.pick(&tolerant).is_err());
    }
}
