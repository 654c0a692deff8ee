//! The CronJob controller (`pkg/controller/cronjob/cronjob_controllerv2.go`
//! `syncCronJob`, `utils.go` `mostRecentScheduleTime`, `getJobName`): on
//! the cluster's clock ([`super::clock::Clock::now`]: time scale and
//! [`super::Cluster::advance_clock`], so tests never wait real minutes), at
//! each time the schedule ([`super::cron`]) falls due it creates the Job
//! `<cronjob>-<scheduled time in minutes since the epoch>` from
//! `jobTemplate`, unless suspended, past `startingDeadlineSeconds`, or held
//! by `concurrencyPolicy` (`Forbid` skips while a Job is active, `Replace`
//! deletes the active ones first). Finished Jobs leave `status.active`
//! (event SawCompletedJob; `lastSuccessfulTime` for a Complete one), and
//! the oldest finished ones past `successfulJobsHistoryLimit` (3) and
//! `failedJobsHistoryLimit` (1) are deleted. Status: active,
//! lastScheduleTime, lastSuccessfulTime. Only the UTC time zone is
//! supported. Event texts from the Go source (UNVERIFIED against a
//! recording).

use super::client::{collection_path, object_path, Client};
use super::cron::Schedule;
use super::events::{EventKind, Recorder};
use super::informer::{Informer, Timers};
use super::workloads::{controller_of, dependents, owner_ref};
use super::Context;
use crate::store::EventType;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// The annotation a CronJob's Job carries its scheduled time in.
pub const SCHEDULED_ANNOTATION: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

fn s<'v>(v: &'v Value, ptr: &str) -> &'v str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn time(v: &Value, ptr: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s(v, ptr))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The finished condition of a Job (`Complete` or `Failed`).
fn finished(job: &Value) -> Option<&str> {
    job.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| matches!(s(c, "/type"), "Complete" | "Failed") && s(c, "/status") == "True")
        .map(|c| s(c, "/type"))
}

/// `getJobName`: the scheduled time in minutes since the epoch.
pub fn job_name(cronjob: &str, scheduled: DateTime<Utc>) -> String {
    format!("{cronjob}-{}", scheduled.timestamp().div_euclid(60))
}

/// The CronJob controller loop.
pub async fn run(ctx: Context) {
    let client = Client::new(ctx.state.clone(), "kube-controller-manager");
    let events = Recorder::new(client.clone(), "cronjob-controller", "");
    let mut cronjobs = Informer::new(ctx.state.clone(), "batch", "cronjobs");
    let mut jobs = Informer::new(ctx.state.clone(), "batch", "jobs");
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut timers: Timers<()> = Timers::default();
    let mut clock = ctx.clock.clone();
    let mut advanced = ctx.clock.clone();
    loop {
        tokio::select! {
            c = cronjobs.next() => {
                if c.event == EventType::Deleted {
                    timers.cancel(&c.key);
                    known.remove(&c.key);
                } else {
                    known.insert(c.key.clone());
                    timers.schedule(&c.key, clock.delay("workload-sync", &c.key), ());
                }
            }
            c = jobs.next() => {
                if let Some((kind, name)) = controller_of(&c.object) {
                    if kind == "CronJob" {
                        let key = format!("{}/{name}", s(&c.object, "/metadata/namespace"));
                        timers.schedule(&key, clock.delay("workload-sync", &key), ());
                    }
                }
            }
            _ = advanced.advanced() => {
                // The clock jumped: every CronJob looks at its schedule.
                for key in &known {
                    timers.schedule(key, Duration::ZERO, ());
                }
            }
            (key, ()) = timers.next() => {
                clock.wait_running().await;
                if let Some(next) = sync(&client, &events, &ctx, &key).await {
                    // Requeue at the next schedule time (a little after, as
                    // `nextScheduleTimeDuration` adds 100ms).
                    let wait = clock.until(next) + clock.scaled(Duration::from_millis(100));
                    timers.schedule(&key, wait, ());
                }
            }
        }
    }
}

/// Syncs one CronJob; the next schedule time to look again at.
async fn sync(
    client: &Client,
    events: &Recorder,
    ctx: &Context,
    key: &str,
) -> Option<DateTime<Utc>> {
    let (ns, name) = key.split_once('/')?;
    let path = object_path("batch/v1", ns, "cronjobs", name);
    let cj = client.get(&path).await.ok()?;
    if cj.pointer("/metadata/deletionTimestamp").is_some() {
        return None;
    }
    let now = ctx.clock.now();
    let mut status = cj.get("status").cloned().unwrap_or(json!({}));
    let jobs_path = |n: &str| object_path("batch/v1", ns, "jobs", n);
    // The Jobs it owns; finished ones leave `active`.
    let mut owned: Vec<Value> = dependents(ctx, &cj, "batch", "jobs")
        .into_iter()
        .map(|j| (*j).clone())
        .collect();
    owned.sort_by_key(|j| {
        (
            time(j, "/status/startTime").or_else(|| time(j, "/metadata/creationTimestamp")),
            s(j, "/metadata/name").to_string(),
        )
    });
    let old_active: Vec<Value> = status
        .get("active")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut active = Vec::new();
    for j in &owned {
        let jname = s(j, "/metadata/name");
        let was_active = old_active.iter().any(|r| s(r, "/name") == jname);
        match finished(j) {
            None if j.pointer("/metadata/deletionTimestamp").is_none() => {
                active.push(job_ref(j));
            }
            Some(cond) if was_active => {
                events
                    .record(
                        &cj,
                        None,
                        EventKind::Normal,
                        "SawCompletedJob",
                        &format!("Saw completed job: {jname}, condition: {cond}"),
                    )
                    .await;
            }
            _ => {}
        }
        if finished(j) == Some("Complete") {
            if let Some(done) = time(j, "/status/completionTime") {
                if time(&status, "/lastSuccessfulTime").is_none_or(|t| t < done) {
                    status["lastSuccessfulTime"] = json!(rfc3339(done));
                }
            }
        }
    }
    // History limits: the oldest finished Jobs past the limit go.
    for (cond, limit_field, default) in [
        ("Complete", "successfulJobsHistoryLimit", 3),
        ("Failed", "failedJobsHistoryLimit", 1),
    ] {
        let limit = cj
            .pointer(&format!("/spec/{limit_field}"))
            .and_then(Value::as_i64)
            .unwrap_or(default)
            .max(0) as usize;
        let done: Vec<&Value> = owned
            .iter()
            .filter(|j| {
                finished(j) == Some(cond) && j.pointer("/metadata/deletionTimestamp").is_none()
            })
            .collect();
        if done.len() > limit {
            for j in &done[..done.len() - limit] {
                delete_job(client, events, &cj, &jobs_path(s(j, "/metadata/name"))).await;
            }
        }
    }
    let schedule_text = s(&cj, "/spec/schedule").to_string();
    let schedule = match Schedule::parse(&schedule_text) {
        Ok(sch) => Some(sch),
        Err(e) => {
            events
                .record(
                    &cj,
                    None,
                    EventKind::Warning,
                    "UnparseableSchedule",
                    &format!("unparseable schedule: {schedule_text:?} : {e}"),
                )
                .await;
            None
        }
    };
    let tz = s(&cj, "/spec/timeZone");
    let tz_ok = matches!(tz, "" | "UTC" | "Etc/UTC");
    if !tz_ok {
        events
            .record(
                &cj,
                None,
                EventKind::Warning,
                "UnknownTimeZone",
                &format!("invalid timeZone: {tz:?}: kubemock schedules in UTC only"),
            )
            .await;
    }
    let suspended = cj.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
    let mut next = None;
    if let (Some(schedule), true, false) = (&schedule, tz_ok, suspended) {
        let earliest = time(&status, "/lastScheduleTime")
            .or_else(|| time(&cj, "/metadata/creationTimestamp"))
            .unwrap_or(now);
        // startingDeadlineSeconds narrows how far back a missed time counts.
        let deadline = cj
            .pointer("/spec/startingDeadlineSeconds")
            .and_then(Value::as_i64);
        let earliest = match deadline {
            Some(d) => earliest.max(now - chrono::Duration::seconds(d)),
            None => earliest,
        };
        next = schedule.next(now);
        if let Some((scheduled, missed)) = schedule.most_recent(earliest, now) {
            if missed > 100 {
                events
                    .record(
                        &cj,
                        None,
                        EventKind::Warning,
                        "TooManyMissedTimes",
                        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
                    )
                    .await;
            }
            let policy = s(&cj, "/spec/concurrencyPolicy");
            let mut run = true;
            if policy == "Forbid" && !active.is_empty() {
                events
                    .record(
                        &cj,
                        None,
                        EventKind::Normal,
                        "JobAlreadyActive",
                        "Not starting job because prior execution is running and concurrency policy is Forbid",
                    )
                    .await;
                run = false;
            }
            if run && policy == "Replace" {
                for r in std::mem::take(&mut active) {
                    delete_job(client, events, &cj, &jobs_path(s(&r, "/name"))).await;
                }
            }
            let jname = job_name(name, scheduled);
            if run && !active.iter().any(|r| s(r, "/name") == jname) {
                match create_job(client, &cj, ns, &jname, scheduled).await {
                    Ok(job) => {
                        events
                            .record(
                                &cj,
                                None,
                                EventKind::Normal,
                                "SuccessfulCreate",
                                &format!("Created job {jname}"),
                            )
                            .await;
                        active.push(job_ref(&job));
                        status["lastScheduleTime"] = json!(rfc3339(scheduled));
                    }
                    Err(e) if e.code == 409 => {
                        // Made already (an earlier sync): the time is taken.
                        status["lastScheduleTime"] = json!(rfc3339(scheduled));
                    }
                    Err(e) => {
                        events
                            .record(
                                &cj,
                                None,
                                EventKind::Warning,
                                "FailedCreate",
                                &format!("Error creating job: {e}"),
                            )
                            .await;
                    }
                }
            } else if !run {
                // Forbid: this time is skipped, not retried.
                status["lastScheduleTime"] = json!(rfc3339(scheduled));
            }
        }
    }
    if active.is_empty() {
        if let Some(m) = status.as_object_mut() {
            m.shift_remove("active");
        }
    } else {
        status["active"] = Value::Array(active);
    }
    client.write_status(&path, &cj, status).await;
    next
}

fn job_ref(job: &Value) -> Value {
    json!({"kind": "Job", "namespace": s(job, "/metadata/namespace"),
        "name": s(job, "/metadata/name"), "uid": s(job, "/metadata/uid"),
        "apiVersion": "batch/v1", "resourceVersion": s(job, "/metadata/resourceVersion")})
}

/// `getJobFromTemplate2`.
async fn create_job(
    client: &Client,
    cj: &Value,
    ns: &str,
    name: &str,
    scheduled: DateTime<Utc>,
) -> super::client::CallResult {
    let template = cj
        .pointer("/spec/jobTemplate")
        .cloned()
        .unwrap_or(json!({}));
    let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
    if !meta.get("annotations").is_some_and(Value::is_object) {
        meta["annotations"] = json!({});
    }
    meta["annotations"][SCHEDULED_ANNOTATION] = json!(rfc3339(scheduled));
    meta["name"] = json!(name);
    meta["namespace"] = json!(ns);
    meta["ownerReferences"] = owner_ref("batch/v1", "CronJob", cj);
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
        "spec": template.get("spec").cloned().unwrap_or(json!({}))});
    client
        .create(&collection_path("batch/v1", ns, "jobs"), &job)
        .await
}

/// Deletes a Job with its pods (background propagation), recording it.
async fn delete_job(client: &Client, events: &Recorder, cj: &Value, path: &str) {
    let opts =
        json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"});
    if client.delete(path, "", Some(&opts)).await.is_ok() {
        let name = path.rsplit('/').next().unwrap_or("");
        events
            .record(
                cj,
                None,
                EventKind::Normal,
                "SuccessfulDelete",
                &format!("Deleted job {name}"),
            )
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_count_minutes_since_the_epoch() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T10:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(job_name("hello", t), "hello-29454365");
    }
}
