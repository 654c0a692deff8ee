//! Faults on purpose: a fault plan (data) that makes kubemock answer wrongly
//! the way a stressed kube-apiserver does, when and as often as a test asks,
//! with the same result on every run.
//!
//! - [`plan`]: the plan format and the checks that refuse a bad plan;
//! - [`Faults`] (this module): the plan in force, each rule's counters, and
//!   the decision whether a rule fires on a request (seeded: the k-th match
//!   of a rule draws `hash(seed, rule, k)`, so the same requests give the
//!   same faults on every run, whatever else happens);
//! - [`layer`]: the one tower layer that applies request faults (delay,
//!   error, drop, reset, stall) and wraps watch bodies for stream faults;
//! - [`stream`]: the watch-body wrapper (end after N events or T, ERROR
//!   events, withheld or late bookmarks, late events);
//! - [`answer`]: the error answers, byte for byte;
//! - [`restart`]: restart as a fault (downtime, graceful or crash).
//!
//! Matching is not here: a rule's method, path, query and headers are an
//! [`Expectation`](crate::record::Expectation) and use its matcher. What a
//! fault did is recorded on the request ([`crate::record::FaultNote`]), and
//! rules the plan says must fire are verified with the expectations.
//!
//! With no rule in force the layer costs one atomic load per request.

pub mod answer;
pub mod clock;
pub mod control;
pub mod layer;
pub mod plan;
pub mod restart;
pub mod stream;

pub use clock::FaultClock;
pub use plan::{FaultPlan, FaultRule, PlanError};
pub use restart::{RestartMode, Restarts};

use crate::api::request_info::{self, ApiPath, ResourcePath};
use crate::record::{Expectation, RecordedRequest, Recorder};
use plan::{ConnPoint, DelaySpec, ErrorDetail, WatchFaults};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The fault plan in force and its counters, shared by the layer, the
/// control API and [`crate::MockServer`].
#[derive(Debug)]
pub struct Faults {
    /// Whether any rule is in force (the layer's fast path).
    active: AtomicBool,
    compiled: RwLock<Arc<Compiled>>,
    recorder: Option<Arc<Recorder>>,
    store: Option<Arc<crate::store::Store>>,
    /// The server's stop signal (ends stalls and held streams).
    shutdown: tokio::sync::watch::Receiver<bool>,
    /// The time delays run on.
    clock: FaultClock,
}

#[derive(Debug, Default)]
struct Compiled {
    plan: FaultPlan,
    rules: Vec<CompiledRule>,
}

#[derive(Debug)]
struct CompiledRule {
    name: String,
    rule: FaultRule,
    matcher: Expectation,
    /// Matching requests seen.
    matched: AtomicU64,
    /// Times fired.
    fired: AtomicU64,
}

/// What a rule does to one request, decided.
#[derive(Debug, Clone)]
pub struct Fired {
    /// The rule's name.
    pub rule: String,
    /// The action in words (for the recording).
    pub action: String,
    /// Wait this long first.
    pub delay: Option<Duration>,
    /// Then this.
    pub kind: FaultKind,
}

/// The main action of a fired rule.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// Only the delay.
    None,
    /// An error answer.
    Error(ErrorDetail),
    /// Cut the connection (`reset`: with RST).
    Cut {
        /// RST instead of FIN.
        reset: bool,
        /// `None`: before the headers; `Some(n)`: after the head and n body bytes.
        after_bytes: Option<u64>,
    },
    /// Hold without answering (`None`: forever), then close.
    Stall(Option<Duration>),
    /// Stream faults for a watch.
    Watch(WatchFaults),
}

/// The verb and resource of a request, as the apiserver's request info.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    /// Kubernetes verb (resource requests only).
    pub verb: Option<&'static str>,
    /// The split path (resource requests only).
    pub resource: Option<ResourcePath>,
}

impl RequestInfo {
    /// The request info of a recorded request.
    pub fn of(req: &RecordedRequest) -> RequestInfo {
        let ApiPath::Resource(rp) = request_info::parse(&req.path) else {
            return RequestInfo::default();
        };
        let watch = rp.legacy_watch
            || req
                .params
                .iter()
                .any(|(k, v)| k == "watch" && crate::api::query::parse_bool(v));
        let named = rp.name.is_some();
        let verb = match req.method.as_str() {
            "GET" | "HEAD" if watch => "watch",
            "GET" | "HEAD" if named => "get",
            "GET" | "HEAD" => "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" if named => "delete",
            "DELETE" => "deletecollection",
            _ => return RequestInfo::default(),
        };
        RequestInfo {
            verb: Some(verb),
            resource: Some(rp),
        }
    }
}

/// Whether `spec` (`pods`, `deployments.apps`, `pods/log`) names the resource.
fn resource_matches(spec: &str, rp: &ResourcePath) -> bool {
    let (res, sub) = match spec.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (spec, None),
    };
    let (plural, group) = match res.split_once('.') {
        Some((p, g)) => (p, Some(g)),
        None => (res, None),
    };
    plural == rp.resource && group.is_none_or(|g| g == rp.group) && sub == rp.subresource.as_deref()
}

/// A uniform draw in [0, 1) from the seed, the rule and the match number.
fn draw(seed: u64, rule: &str, k: u64, what: &str) -> f64 {
    let h = crate::cluster::clock::stable_hash(seed, &[rule, &k.to_string(), what]);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

impl CompiledRule {
    /// Whether the rule matches; the request info is worked out only when
    /// method, path, query and headers already match.
    fn matches(&self, req: &RecordedRequest, info: &std::cell::OnceCell<RequestInfo>) -> bool {
        let r = &self.rule;
        let method_ok = r.method.is_none() || self.matcher.method.eq_ignore_ascii_case(&req.method);
        if !method_ok || !self.matcher.matches_any_method(req) {
            return false;
        }
        if r.verb.is_none() && r.resource.is_none() && r.watch.is_none() {
            return true;
        }
        let info = info.get_or_init(|| RequestInfo::of(req));
        if let Some(v) = &r.verb {
            if info.verb != Some(v.as_str()) {
                return false;
            }
        }
        if let Some(spec) = &r.resource {
            match &info.resource {
                Some(rp) if resource_matches(spec, rp) => {}
                _ => return false,
            }
        }
        if r.watch.is_some() && info.verb != Some("watch") {
            return false;
        }
        true
    }

    /// Whether the k-th match (1-based) may fire, before the `times` bound.
    fn eligible(&self, k: u64, seed: u64) -> bool {
        let r = &self.rule;
        let (after, every) = match r.nth {
            Some(n) => (n - 1, 1),
            None => (r.after, r.every.unwrap_or(1).max(1)),
        };
        if k <= after || !(k - after).is_multiple_of(every) {
            return false;
        }
        if r.nth.is_some() && k != after + 1 {
            return false;
        }
        match r.probability {
            Some(p) => draw(seed, &self.name, k, "probability") < p,
            None => true,
        }
    }

    fn limit(&self) -> Option<u64> {
        if self.rule.nth.is_some() {
            Some(1)
        } else {
            self.rule.times
        }
    }

    fn fire(&self, k: u64, seed: u64) -> Fired {
        let r = &self.rule;
        let delay = r.delay.as_ref().map(|d| match d {
            DelaySpec::Fixed(d) => d.0,
            DelaySpec::Range { min, max } => {
                let span = max.0.saturating_sub(min.0);
                min.0 + span.mul_f64(draw(seed, &self.name, k, "delay"))
            }
        });
        let cut = |p: &ConnPoint, reset| FaultKind::Cut {
            reset,
            after_bytes: p.after_bytes(),
        };
        let kind = if let Some(e) = &r.error {
            FaultKind::Error(e.detail())
        } else if let Some(p) = &r.drop {
            cut(p, false)
        } else if let Some(p) = &r.reset {
            cut(p, true)
        } else if let Some(s) = &r.stall {
            FaultKind::Stall(s.duration())
        } else if let Some(w) = &r.watch {
            FaultKind::Watch(w.clone())
        } else {
            FaultKind::None
        };
        Fired {
            rule: self.name.clone(),
            action: r.action_text(),
            delay,
            kind,
        }
    }
}

/// A rule's counters, for the control API and tests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleCount {
    /// The rule's name.
    pub rule: String,
    /// Matching requests seen.
    pub matched: u64,
    /// Times it fired.
    pub fired: u64,
}

impl Faults {
    /// No plan in force; `recorder` gets the rules that must fire, `store`
    /// gives 410 messages their current revision.
    pub fn new(
        recorder: Option<Arc<Recorder>>,
        store: Option<Arc<crate::store::Store>>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Faults {
        Faults {
            active: AtomicBool::new(false),
            compiled: RwLock::new(Arc::new(Compiled::default())),
            recorder,
            store,
            shutdown,
            clock: FaultClock::default(),
        }
    }

    /// Runs the plan's delays on `clock` (time scale, or paused).
    #[must_use = "returns the changed value"]
    pub fn with_clock(mut self, clock: FaultClock) -> Faults {
        self.clock = clock;
        self
    }

    /// The clock the plan's delays run on.
    pub fn clock(&self) -> &FaultClock {
        &self.clock
    }

    /// Whether any rule is in force (one atomic load).
    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// Puts a plan in force (counters start from zero); the old plan goes.
    pub fn set_plan(&self, plan: FaultPlan) {
        let rules = plan
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| CompiledRule {
                name: r.display_name(i),
                rule: r.clone(),
                matcher: r.matcher(),
                matched: AtomicU64::new(0),
                fired: AtomicU64::new(0),
            })
            .collect::<Vec<_>>();
        if let Some(rec) = &self.recorder {
            rec.set_fault_expectations(
                rules
                    .iter()
                    .filter_map(|r| r.rule.wanted().map(|t| (r.name.clone(), t)))
                    .collect(),
            );
        }
        let active = !rules.is_empty();
        let mut slot = self.compiled.write().unwrap_or_else(|p| p.into_inner());
        *slot = Arc::new(Compiled { plan, rules });
        self.active.store(active, Ordering::Release);
    }

    /// Parses a plan and puts it in force; a bad plan is refused and the
    /// plan in force is kept.
    ///
    /// # Errors
    /// The plan's problem, with the rule index, line and reason.
    pub fn replace_from_yaml(&self, text: &str) -> Result<usize, PlanError> {
        let plan = FaultPlan::from_yaml(text)?;
        let n = plan.rules.len();
        self.set_plan(plan);
        Ok(n)
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.set_plan(FaultPlan::default());
    }

    /// The plan in force.
    pub fn plan(&self) -> FaultPlan {
        self.snapshot().plan.clone()
    }

    /// Each rule's counters.
    pub fn counts(&self) -> Vec<RuleCount> {
        self.snapshot()
            .rules
            .iter()
            .map(|r| RuleCount {
                rule: r.name.clone(),
                matched: r.matched.load(Ordering::Relaxed),
                fired: r.fired.load(Ordering::Relaxed),
            })
            .collect()
    }

    fn snapshot(&self) -> Arc<Compiled> {
        Arc::clone(&self.compiled.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The first rule that fires on this request, if any. Rules are tried
    /// in order; a rule after the one that fires does not see the request.
    pub fn decide(&self, req: &RecordedRequest) -> Option<Fired> {
        let c = self.snapshot();
        let info = std::cell::OnceCell::new();
        for r in &c.rules {
            if !r.matches(req, &info) {
                continue;
            }
            let k = r.matched.fetch_add(1, Ordering::SeqCst) + 1;
            if !r.eligible(k, c.plan.seed) {
                continue;
            }
            let took = match r.limit() {
                Some(max) => r
                    .fired
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |f| {
                        (f < max).then_some(f + 1)
                    })
                    .is_ok(),
                None => {
                    r.fired.fetch_add(1, Ordering::SeqCst);
                    true
                }
            };
            if took {
                return Some(r.fire(k, c.plan.seed));
            }
        }
        None
    }

    /// The store's current revision (0 without a store).
    pub fn current_rv(&self) -> u64 {
        self.store.as_ref().map_or(0, |s| s.current_rv())
    }

    /// Resolves when the server stops.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.clone();
        async move {
            let _ = rx.wait_for(|v| *v).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(plan: &str) -> Faults {
        let f = Faults::new(None, None, tokio::sync::watch::channel(false).1);
        f.replace_from_yaml(plan).expect("valid plan");
        f
    }

    fn fire_pattern(f: &Faults, target: &str, n: usize) -> Vec<bool> {
        let req = RecordedRequest::synthetic("GET", target, &[]);
        (0..n).map(|_| f.decide(&req).is_some()).collect()
    }

    #[test]
    fn every_after_times_and_nth_count_matches() {
        let f = faults("rules:\n- {path: /api/v1/pods, every: 3, error: 500}\n");
        assert_eq!(
            fire_pattern(&f, "/api/v1/pods", 7),
            [false, false, true, false, false, true, false]
        );
        let f = faults("rules:\n- {verb: list, after: 2, times: 2, error: 500}\n");
        assert_eq!(
            fire_pattern(&f, "/api/v1/pods", 6),
            [false, false, true, true, false, false]
        );
        let f = faults("rules:\n- {resource: pods, nth: 2, error: 500}\n");
        assert_eq!(
            fire_pattern(&f, "/api/v1/pods", 4),
            [false, true, false, false]
        );
        assert_eq!(f.counts()[0].matched, 4);
        assert_eq!(f.counts()[0].fired, 1);
    }

    #[test]
    fn probabilities_repeat_with_the_seed() {
        let plan = "seed: 42\nrules:\n- {name: flaky, probability: 0.3, error: 503}\n";
        let a = fire_pattern(&faults(plan), "/api/v1/pods", 200);
        let b = fire_pattern(&faults(plan), "/api/v1/pods", 200);
        assert_eq!(a, b);
        let fired = a.iter().filter(|x| **x).count();
        assert!((40..=80).contains(&fired), "{fired} of 200 at p=0.3");
        let c = fire_pattern(
            &faults("seed: 43\nrules:\n- {name: flaky, probability: 0.3, error: 503}\n"),
            "/api/v1/pods",
            200,
        );
        assert_ne!(a, c);
    }

    #[test]
    fn verbs_resources_and_methods_narrow_the_match() {
        let f = faults("rules:\n- {verb: watch, resource: deployments.apps, watch: {end_after_events: 1}}\n- {method: DELETE, error: 409}\n");
        let watch = RecordedRequest::synthetic(
            "GET",
            "/apis/apps/v1/namespaces/a/deployments?watch=1",
            &[],
        );
        let list = RecordedRequest::synthetic("GET", "/apis/apps/v1/namespaces/a/deployments", &[]);
        let del = RecordedRequest::synthetic("DELETE", "/api/v1/namespaces/a/pods/p", &[]);
        let got = |r: &RecordedRequest| f.decide(r).map(|x| x.rule);
        assert_eq!(got(&watch).as_deref(), Some("rule 0"));
        assert_eq!(got(&list), None);
        assert_eq!(got(&del).as_deref(), Some("rule 1"));
    }

    #[test]
    fn a_bad_plan_keeps_the_plan_in_force() {
        let f = faults("rules:\n- {name: keep, error: 500}\n");
        let e = f
            .replace_from_yaml("rules:\n- {name: bad, error: 418}\n")
            .expect_err("refused");
        assert!(e.to_string().contains("rules[0] (\"bad\")"), "{e}");
        assert_eq!(f.plan().rules[0].name.as_deref(), Some("keep"));
        assert!(f.active());
        f.clear();
        assert!(!f.active());
    }

    #[test]
    fn delay_ranges_are_drawn_from_the_seed() {
        let plan = "seed: 9\nrules:\n- {delay: {min: 100ms, max: 200ms}}\n";
        let req = RecordedRequest::synthetic("GET", "/api/v1/pods", &[]);
        let delays = |f: &Faults| -> Vec<Duration> {
            (0..10).filter_map(|_| f.decide(&req)?.delay).collect()
        };
        let a = delays(&faults(plan));
        assert_eq!(a, delays(&faults(plan)));
        assert!(a
            .iter()
            .all(|d| *d >= Duration::from_millis(100) && *d <= Duration::from_millis(200)));
        assert!(a.windows(2).any(|w| w[0] != w[1]));
    }
}
