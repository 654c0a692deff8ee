//! The Job controller (`pkg/controller/job/job_controller.go`): keeps
//! `min(parallelism, completions - succeeded)` pods running, counts
//! succeeded and failed pods, and ends the Job with `SuccessCriteriaMet` +
//! `Complete` (reason `CompletionsReached`) or `FailureTarget` + `Failed`
//! (reason `BackoffLimitExceeded`), as 1.31+ write them. NonIndexed
//! completion mode only; pods carry no `batch.kubernetes.io/job-tracking`
//! finalizer (UNVERIFIED simplifications). Pod outcomes come from the
//! kubelet (process script or `kubemock.io/exit-code`); under OnFailure the
//! pods' restarts count toward `backoffLimit` (`pastBackoffLimitOnFailure`).

use super::client::{collection_path, object_path, Client};
use super::events::{EventKind, Recorder};
use super::informer::{Informer, Timers};
use super::workloads::{controller_of, dependents, is_active, is_ready, owner_ref};
use super::Context;
use crate::store::EventType;
use serde_json::{json, Value};

fn s<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn finished(job: &Value) -> bool {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| matches!(s(c, "/type"), "Complete" | "Failed") && s(c, "/status") == "True")
}

/// The Job controller loop.
pub async fn run(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kube-controller-manager");
    let events = Recorder::new(client.clone(), "job-controller", "");
    let mut jobs = Informer::new(ctx.state.clone(), "batch", "jobs");
    let mut pods = Informer::new(ctx.state.clone(), "", "pods");
    let mut timers: Timers<()> = Timers::default();
    let mut clock = ctx.clock.clone();
    loop {
        tokio::select! {
            c = jobs.next() => {
                if c.event == EventType::Deleted || finished(&c.object) {
                    timers.cancel(&c.key);
                } else {
                    timers.schedule(&c.key, clock.delay("workload-sync", &c.key), ());
                }
            }
            c = pods.next() => {
                if let Some((kind, name)) = controller_of(&c.object) {
                    if kind == "Job" {
                        let key = format!("{}/{name}", s(&c.object, "/metadata/namespace"));
                        timers.schedule(&key, clock.delay("workload-sync", &key), ());
                    }
                }
            }
            (key, ()) = timers.next() => {
                clock.wait_running().await;
                sync(&client, &events, &ctx, &key).await;
            }
        }
    }
}

fn condition(ty: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({"type": ty, "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
        "reason": reason, "message": message})
}

async fn sync(client: &Client, events: &Recorder, ctx: &Context, key: &str) {
    let Some((ns, name)) = key.split_once('/') else {
        return;
    };
    let path = object_path("batch/v1", ns, "jobs", name);
    let Ok(job) = client.get(&path).await else {
        return;
    };
    if job.pointer("/metadata/deletionTimestamp").is_some() || finished(&job) {
        return;
    }
    if job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        return;
    }
    let pods = dependents(ctx, &job, "", "pods");
    let succeeded = pods
        .iter()
        .filter(|p| s(p, "/status/phase") == "Succeeded")
        .count() as i64;
    let failed = pods
        .iter()
        .filter(|p| s(p, "/status/phase") == "Failed")
        .count() as i64;
    let active: Vec<_> = pods.iter().filter(|p| is_active(p)).collect();
    let completions = job
        .pointer("/spec/completions")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let parallelism = job
        .pointer("/spec/parallelism")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let backoff = job
        .pointer("/spec/backoffLimit")
        .and_then(Value::as_i64)
        .unwrap_or(6);
    let now = crate::meta::time::now_rfc3339();
    let mut status = job.get("status").cloned().unwrap_or(json!({}));
    if status.get("startTime").is_none() {
        status["startTime"] = json!(now);
    }
    let mut conds: Vec<Value> = status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut active_count = active.len() as i64;
    // `pastBackoffLimitOnFailure`: under OnFailure the restarts count.
    let restarts: i64 = if s(&job, "/spec/template/spec/restartPolicy") == "OnFailure" {
        active
            .iter()
            .flat_map(|p| {
                p.pointer("/status/containerStatuses")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .chain(
                        p.pointer("/status/initContainerStatuses")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten(),
                    )
            })
            .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
            .sum()
    } else {
        0
    };
    let past_on_failure = if backoff == 0 {
        restarts > 0
    } else {
        restarts >= backoff
    };
    if failed > backoff || past_on_failure {
        for p in &active {
            let _ = client
                .delete(
                    &object_path("v1", ns, "pods", s(p, "/metadata/name")),
                    "",
                    None,
                )
                .await;
        }
        active_count = 0;
        let msg = "Job has reached the specified backoff limit";
        conds.push(condition(
            "FailureTarget",
            "BackoffLimitExceeded",
            msg,
            &now,
        ));
        conds.push(condition("Failed", "BackoffLimitExceeded", msg, &now));
        events
            .record(&job, None, EventKind::Warning, "BackoffLimitExceeded", msg)
            .await;
    } else if succeeded >= completions {
        let msg = "Reached expected number of succeeded pods";
        conds.push(condition(
            "SuccessCriteriaMet",
            "CompletionsReached",
            msg,
            &now,
        ));
        conds.push(condition("Complete", "CompletionsReached", msg, &now));
        status["completionTime"] = json!(now);
        events
            .record(&job, None, EventKind::Normal, "Completed", "Job completed")
            .await;
    } else {
        let want = parallelism.min(completions - succeeded);
        let template = job.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let missing = want - active_count;
        for _ in 0..missing {
            let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
            meta["generateName"] = json!(format!("{name}-"));
            meta["namespace"] = json!(ns);
            meta["ownerReferences"] = owner_ref("batch/v1", "Job", &job);
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                "spec": template.get("spec").cloned().unwrap_or(json!({}))});
            match client
                .create(&collection_path("v1", ns, "pods"), &pod)
                .await
            {
                Ok(p) => {
                    active_count += 1;
                    let msg = format!("Created pod: {}", s(&p, "/metadata/name"));
                    events
                        .record(&job, None, EventKind::Normal, "SuccessfulCreate", &msg)
                        .await;
                }
                Err(_) => break,
            }
        }
    }
    let ready = active.iter().filter(|p| is_ready(p)).count() as i64;
    for (k, v) in [
        ("active", active_count),
        ("succeeded", succeeded),
        ("failed", failed),
    ] {
        if v > 0 {
            status[k] = json!(v);
        } else if let Some(m) = status.as_object_mut() {
            m.shift_remove(k);
        }
    }
    status["ready"] = json!(ready);
    status["terminating"] = json!(0);
    status["uncountedTerminatedPods"] = json!({});
    if !conds.is_empty() {
        status["conditions"] = Value::Array(conds);
    }
    client.write_status(&path, &job, status).await;
}
