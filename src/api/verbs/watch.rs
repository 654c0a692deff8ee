//! The watch verb: a stream of `{"type","object"}` events, one JSON document
//! per line, as the watch cache (`staging/src/k8s.io/apiserver/pkg/storage/cacher/`)
//! serves it.
//!
//! - `sendInitialEvents=true` (WatchList, KEP-3157): the state at the start
//!   as ADDED events in key order, then, with `allowWatchBookmarks`, a
//!   BOOKMARK annotated `k8s.io/initial-events-end: "true"`, then changes.
//!   A `resourceVersion` newer than the store is waited for up to 3 s before
//!   the headers go out; then the stream is a 504 `Timeout` ERROR event
//!   (real-server-findings: the headers are delayed ~3 s).
//! - legacy `resourceVersion` "" or "0" without `sendInitialEvents`: the
//!   state as ADDED events, no annotated bookmark.
//! - `resourceVersion=N`: changes after N; N older than the history gives
//!   a 200 stream holding one 410 `Expired` ERROR event.
//! - MODIFIED events crossing a selector become ADDED / DELETED
//!   (`cacheWatcher.convertToWatchEvent`).
//! - Unannotated bookmarks (with `allowWatchBookmarks`) when the store's
//!   revision has moved: ~1 s after the initial-events-end bookmark, then
//!   every minute, and 2 s before the timeout (`cacher.go` bookmark timer).
//! - The stream ends at `timeoutSeconds` (else a random 30–60 min, as
//!   `--min-request-timeout` does) or when the server shuts down.

use crate::api::encode;
use crate::api::error::{ApiError, Result};
use crate::api::negotiate::{Negotiated, Transform};
use crate::api::options::ListOptions;
use crate::api::resource::ResourceRequest;
use crate::api::table;
use crate::api::verbs::{partial_object_metadata, present};
use crate::api::{ApiResponse, ResponseBody};
use crate::meta::Status;
use crate::registry::ResourceDef;
use crate::store::{EventType, ObjectKey, StoreError, StoreEvent, StoredObject, WatchStart};
use bytes::Bytes;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long a WatchList waits for a future resourceVersion before failing.
/// When a watch ends, as `ListResource` computes it: `time.Duration(n) *
/// time.Second` in Go's wrapping int64 nanoseconds; 0 (or absent) is
/// `minRequestTimeout * (1 + rand)` (1800 s); a negative product fires the
/// timer at once. A client-given number never overflows an `Instant`.
/// UNVERIFIED: the immediate end for negative values is read from
/// `handlers/get.go` and `watch.go` (`realTimeoutFactory`), not recorded.
fn watch_deadline(now: Instant, timeout_seconds: Option<i64>) -> Instant {
    let nanos = timeout_seconds.unwrap_or(0).wrapping_mul(1_000_000_000);
    let timeout = match nanos {
        0 => Duration::from_secs(rand::random_range(1800..3600)),
        n if n < 0 => Duration::ZERO,
        n => Duration::from_nanos(n as u64),
    };
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

const FUTURE_RV_WAIT: Duration = Duration::from_secs(3);
/// Delay of the first unannotated bookmark after the initial-events-end one.
const FIRST_BOOKMARK_AFTER: Duration = Duration::from_secs(1);
/// Size of the chunks the initial events are written in.
const HEAD_CHUNK: usize = 64 * 1024;
/// Period of unannotated bookmarks.
const BOOKMARK_PERIOD: Duration = Duration::from_secs(60);

/// The filter and presentation a watcher applies to each event.
#[derive(Clone)]
struct Presenter {
    def: ResourceDef,
    /// `def.api_version()`, computed once rather than per event.
    api_version: String,
    transform: Transform,
    transform_version: &'static str,
    include: table::IncludeObject,
    /// Table column definitions go with the first row only.
    sent_columns: bool,
    /// ≤1.33: a zero `creationTimestamp` is written as `null`.
    creation_timestamp_null: bool,
    /// 1.32–1.33: the end bookmark carries the list blueprint annotation.
    blueprint: bool,
    /// A custom resource's `additionalPrinterColumns` (Table columns).
    custom: Option<Value>,
    /// `application/vnd.kubernetes.protobuf;stream=watch`: length-prefixed
    /// `WatchEvent` frames instead of JSON lines.
    protobuf: bool,
}

impl Presenter {
    /// One event in the negotiated stream format.
    fn line(&self, kind: &str, object: &Value) -> Bytes {
        if self.protobuf {
            protobuf_frame(kind, object)
        } else {
            event_line(kind, object)
        }
    }

    fn object(&mut self, obj: &Value) -> Value {
        let presented = present(&self.def, obj);
        match self.transform {
            Transform::PartialObjectMetadata | Transform::PartialObjectMetadataList => {
                partial_object_metadata(&presented, self.transform_version)
            }
            Transform::Table => {
                let with_columns = !self.sent_columns;
                self.sent_columns = true;
                let rv = presented
                    .pointer("/metadata/resourceVersion")
                    .cloned()
                    .unwrap_or(Value::Null);
                table::table(
                    &self.def.group,
                    &self.def.resource,
                    self.custom.as_ref(),
                    std::slice::from_ref(&presented),
                    self.include,
                    self.transform_version,
                    json!({ "resourceVersion": rv }),
                    with_columns,
                    chrono::Utc::now(),
                )
            }
            Transform::None => presented,
        }
    }

    /// Appends one event for `obj` to `buf` (the initial-state path).
    /// Without a transform this copies the stored encoding into place.
    fn write_object_event(&mut self, buf: &mut Vec<u8>, kind: &str, obj: &StoredObject) {
        if self.protobuf {
            let o = self.object(&obj.to_value());
            buf.extend_from_slice(&protobuf_frame(kind, &o));
        } else if self.transform == Transform::None {
            self.write_stored_event(buf, kind, obj);
        } else {
            let o = self.object(&obj.to_value());
            write_event(buf, kind, &o);
        }
    }

    /// `{"type":kind,"object":<obj as served here>}\n` from the stored form.
    fn write_stored_event(&self, buf: &mut Vec<u8>, kind: &str, obj: &StoredObject) {
        buf.extend_from_slice(EVENT_HEAD);
        buf.extend_from_slice(kind.as_bytes());
        buf.extend_from_slice(EVENT_MID);
        obj.write_with_type(buf, obj.kind().unwrap_or(&self.def.kind), &self.api_version);
        buf.extend_from_slice(EVENT_TAIL);
    }

    /// One event line for a store event's object. Without a transform
    /// the line is built once per event and shared by every watcher that
    /// sees the event as its own type at the same version (a `Bytes`
    /// clone); any other watcher builds its own from the stored form.
    fn shared_event(&mut self, kind: &str, ev: &StoreEvent) -> Bytes {
        if self.transform != Transform::None || self.protobuf {
            let o = self.object(&ev.object.to_value());
            return self.line(kind, &o);
        }
        let natural = ev.event.as_str();
        let (cached_av, line) = ev.encoded.get_or_init(|| {
            let mut buf = Vec::with_capacity(ev.object.encoded_len() + 64);
            self.write_stored_event(&mut buf, natural, &ev.object);
            (self.api_version.clone(), Bytes::from(buf))
        });
        if kind == natural && *cached_av == self.api_version {
            return line.clone();
        }
        let mut buf = Vec::with_capacity(ev.object.encoded_len() + 64);
        self.write_stored_event(&mut buf, kind, &ev.object);
        Bytes::from(buf)
    }

    fn bookmark(&mut self, rv: u64, initial_end: bool) -> Value {
        let mut meta = json!({ "resourceVersion": rv.to_string() });
        if self.creation_timestamp_null {
            meta["creationTimestamp"] = Value::Null;
        }
        if initial_end {
            meta["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
            if self.blueprint {
                meta["annotations"]["kubernetes.io/initial-events-list-blueprint"] =
                    Value::String(self.list_blueprint());
            }
        }
        match self.transform {
            Transform::PartialObjectMetadata | Transform::PartialObjectMetadataList => json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": format!("meta.k8s.io/{}", self.transform_version),
                "metadata": meta,
            }),
            Transform::Table => {
                let with_columns = !self.sent_columns;
                self.sent_columns = true;
                let obj = empty_object(&self.def, meta);
                table::bookmark_table(
                    &self.def.group,
                    &self.def.resource,
                    self.custom.as_ref(),
                    &obj,
                    self.transform_version,
                    with_columns,
                    chrono::Utc::now(),
                )
            }
            Transform::None => empty_object(&self.def, meta),
        }
    }
}

impl Presenter {
    /// The empty versioned list, encoded as the watch encodes objects and
    /// base64'd (1.32–1.33, PR #127587). UNVERIFIED: the exact bytes (JSON
    /// encoder output with its trailing newline).
    fn list_blueprint(&self) -> String {
        use base64::Engine;
        let (kind, api_version) = match self.transform {
            Transform::PartialObjectMetadata | Transform::PartialObjectMetadataList => (
                "PartialObjectMetadataList".to_string(),
                format!("meta.k8s.io/{}", self.transform_version),
            ),
            _ => (self.def.list_kind(), self.def.api_version()),
        };
        let list = json!({"kind": kind, "apiVersion": api_version, "metadata": {}, "items": null});
        base64::engine::general_purpose::STANDARD.encode(encode::json_line(&list))
    }
}

/// The empty object a bookmark carries: the Go zero value of the kind as
/// its JSON encoder writes it (fields without `omitempty` stay).
fn empty_object(def: &ResourceDef, meta: Value) -> Value {
    let mut obj = json!({
        "kind": def.kind,
        "apiVersion": def.api_version(),
        "metadata": meta,
    });
    // Shapes taken from the real server (golden wl-deployments); other
    // kinds with non-omitempty fields are UNVERIFIED and modelled the same way.
    let extra = match (def.group.as_str(), def.kind.as_str()) {
        ("apps", "Deployment") => json!({
            "spec": {"replicas": 0, "selector": null, "template": {"metadata": {}, "spec": {"containers": null}}, "strategy": {}},
            "status": {}
        }),
        ("apps", "ReplicaSet") => json!({
            "spec": {"replicas": 0, "selector": null, "template": {"metadata": {}, "spec": {"containers": null}}},
            "status": {"replicas": 0}
        }),
        ("apps", "StatefulSet") => json!({
            "spec": {"replicas": 0, "selector": null, "template": {"metadata": {}, "spec": {"containers": null}}, "serviceName": "", "updateStrategy": {}},
            "status": {"replicas": 0, "availableReplicas": 0}
        }),
        ("apps", "DaemonSet") => json!({
            "spec": {"selector": null, "template": {"metadata": {}, "spec": {"containers": null}}, "updateStrategy": {}},
            "status": {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}
        }),
        ("", "Pod") => json!({"spec": {"containers": null}, "status": {}}),
        ("", "Service") | ("", "Namespace") | ("", "Node") => json!({"spec": {}, "status": {}}),
        _ => Value::Null,
    };
    if let (Some(o), Value::Object(extra)) = (obj.as_object_mut(), extra) {
        o.extend(extra);
    }
    obj
}

fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut buf = Vec::with_capacity(512);
    write_event(&mut buf, kind, object);
    Bytes::from(buf)
}

/// An event line is `EVENT_HEAD` type `EVENT_MID` object `EVENT_TAIL`.
const EVENT_HEAD: &[u8] = b"{\"type\":\"";
const EVENT_MID: &[u8] = b"\",\"object\":";
const EVENT_TAIL: &[u8] = b"}\n";

/// Appends `{"type":kind,"object":object}\n` without building the wrapper.
fn write_event<T: serde::Serialize + ?Sized>(buf: &mut Vec<u8>, kind: &str, object: &T) {
    buf.extend_from_slice(EVENT_HEAD);
    buf.extend_from_slice(kind.as_bytes());
    buf.extend_from_slice(EVENT_MID);
    encode::write_compact(buf, object);
    buf.extend_from_slice(EVENT_TAIL);
}

/// A protobuf watch frame; an object without a protobuf form (never a
/// built-in) becomes an ERROR event with an internal-error Status.
fn protobuf_frame(kind: &str, object: &Value) -> Bytes {
    match crate::api::protobuf::watch_frame(kind, object) {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            let st = Status::failure(
                500,
                crate::meta::status::reason::INTERNAL_ERROR,
                e.to_string(),
            );
            Bytes::from(
                crate::api::protobuf::watch_frame("ERROR", &st.to_value()).unwrap_or_default(),
            )
        }
    }
}

/// The resourceVersion of a watch, as `storage.ParseResourceVersion`
/// reports a bad one: a 500 without a reason (golden watch-rv-abc).
fn parse_rv(rv: &str) -> Result<Option<u64>> {
    if rv.is_empty() {
        return Ok(None);
    }
    rv.parse::<u64>().map(Some).map_err(|_| {
        ApiError::from_status(Status::failure(
            500,
            "",
            format!(
                "resourceVersion: Invalid value: {}: strconv.ParseUint: parsing {}: invalid syntax",
                crate::api::query::go_quote(rv),
                crate::api::query::go_quote(rv)
            ),
        ))
    })
}

/// GET with `watch=true` (or under `/watch/`).
pub(crate) async fn watch(
    rr: &ResourceRequest<'_>,
    n: &Negotiated,
    opts: ListOptions,
) -> Result<ApiResponse> {
    let requested = parse_rv(&opts.resource_version)?;
    let include = if n.transform == Transform::Table {
        crate::api::verbs::include_object(rr)?
    } else {
        table::IncludeObject::Metadata
    };
    let deadline = watch_deadline(Instant::now(), opts.timeout_seconds);
    let store = Arc::clone(&rr.state.store);
    let gr = rr.gr.clone();
    let initial_events = match opts.send_initial_events {
        Some(v) => v,
        // Legacy: "" and "0" start with the current state.
        None => matches!(requested, None | Some(0)),
    };
    let wants_end_bookmark = opts.send_initial_events == Some(true) && opts.allow_watch_bookmarks;
    let mut presenter = Presenter {
        def: rr.def.clone(),
        api_version: rr.def.api_version(),
        transform: n.transform,
        transform_version: n.transform_version,
        include,
        sent_columns: false,
        creation_timestamp_null: rr.state.profile.creation_timestamp_null,
        blueprint: rr.state.profile.blueprint_annotation,
        custom: crate::api::crd::printer_columns(rr.state, &rr.def),
        protobuf: n.format == crate::api::negotiate::Format::Protobuf,
    };
    let mut head: Vec<Bytes> = Vec::new();

    let start = if initial_events {
        if let Some(rv) = requested.filter(|rv| *rv > 0) {
            // NotOlderThan a revision the store has not reached: wait, then 504.
            if !store.wait_for_rv(rv, FUTURE_RV_WAIT).await {
                let mut st = Status::failure(
                    504,
                    crate::meta::status::reason::TIMEOUT,
                    format!(
                        "Timeout: Too large resource version: {rv}, current: {}",
                        store.current_rv()
                    ),
                );
                st.details = Some(crate::meta::StatusDetails {
                    retry_after_seconds: Some(1),
                    causes: vec![crate::meta::StatusCause {
                        reason: "ResourceVersionTooLarge".into(),
                        message: "Too large resource version".into(),
                        field: String::new(),
                    }],
                    ..Default::default()
                });
                head.push(presenter.line("ERROR", &st.to_value()));
                return Ok(stream_response(n, head, None));
            }
        }
        WatchStart::Snapshot
    } else {
        match requested {
            None | Some(0) => WatchStart::Now,
            Some(rv) => WatchStart::After(rv),
        }
    };

    let sub = match store.subscribe(&gr, start) {
        Ok(s) => s,
        Err(StoreError::Expired { requested, oldest }) => {
            let st = Status::failure(
                410,
                crate::meta::status::reason::EXPIRED,
                format!("too old resource version: {requested} ({oldest})"),
            );
            head.push(presenter.line("ERROR", &st.to_value()));
            return Ok(stream_response(n, head, None));
        }
        Err(e @ StoreError::TooLarge { .. }) => {
            let st = Status::failure(504, crate::meta::status::reason::TIMEOUT, e.to_string());
            head.push(presenter.line("ERROR", &st.to_value()));
            return Ok(stream_response(n, head, None));
        }
    };

    let mut last_rv = sub.start_rv;
    let filter = OwnedFilter {
        namespace: rr.namespace().to_string(),
        opts: opts.clone(),
        group: rr.def.group.clone(),
        resource: rr.def.resource.clone(),
    };
    if let Some(snapshot) = &sub.initial {
        // Initial events go out in chunks of about HEAD_CHUNK bytes, not one
        // HTTP/2 frame per object.
        let mut buf = Vec::with_capacity(HEAD_CHUNK + 4096);
        for (key, obj) in snapshot.objects.iter() {
            if filter.passes_stored(key, obj) {
                presenter.write_object_event(&mut buf, "ADDED", obj);
                if buf.len() >= HEAD_CHUNK {
                    head.push(Bytes::from(std::mem::take(&mut buf)));
                    buf.reserve(HEAD_CHUNK + 4096);
                }
            }
        }
        if !buf.is_empty() {
            head.push(Bytes::from(buf));
        }
        last_rv = snapshot.rv;
    }
    if wants_end_bookmark {
        let b = presenter.bookmark(last_rv, true);
        head.push(presenter.line("BOOKMARK", &b));
    }
    let after = requested.unwrap_or(0);
    for ev in &sub.replay {
        if ev.rv <= after {
            continue;
        }
        if let Some(line) = convert(&mut presenter, ev, &filter) {
            head.push(line);
        }
        last_rv = last_rv.max(ev.rv);
    }

    let first_bookmark = if wants_end_bookmark {
        FIRST_BOOKMARK_AFTER
    } else {
        BOOKMARK_PERIOD
    };
    let live = LiveState {
        events: sub.events,
        presenter,
        filter,
        last_rv,
        skip_until: last_rv.max(after),
        bookmarks: opts.allow_watch_bookmarks,
        next_bookmark: Instant::now() + first_bookmark,
        deadline,
        store,
        shutdown: LiveState::shutdown_signal(rr.state.shutdown.clone()),
        timer: Box::pin(tokio::time::sleep_until(deadline)),
    };
    Ok(stream_response(n, head, Some(live)))
}

/// Namespace and selectors, owned by the streaming task.
struct OwnedFilter {
    namespace: String,
    opts: ListOptions,
    group: String,
    resource: String,
}

impl OwnedFilter {
    fn passes(&self, obj: &Value) -> bool {
        crate::api::verbs::read::in_scope(
            &self.namespace,
            &self.opts,
            &self.group,
            &self.resource,
            obj,
        )
    }

    /// Whether a stored object is in scope (parsed only for selectors).
    fn passes_stored(&self, key: &ObjectKey, obj: &StoredObject) -> bool {
        if !self.namespace.is_empty() && key.namespace != self.namespace {
            return false;
        }
        self.no_selectors() || self.passes(&obj.to_value())
    }

    fn no_selectors(&self) -> bool {
        self.opts.label_selector.is_empty() && self.opts.field_selector.is_empty()
    }

    /// Whether the object after and before the event is in scope.
    fn event_scope(&self, ev: &StoreEvent) -> (bool, bool) {
        let deleted = ev.event == EventType::Deleted;
        if self.no_selectors() {
            // Only the namespace matters, and the event's key carries it.
            let in_ns = self.namespace.is_empty() || ev.key.namespace == self.namespace;
            return (
                in_ns && !deleted,
                in_ns && (deleted || ev.previous.is_some()),
            );
        }
        let cur = !deleted && self.passes_stored(&ev.key, &ev.object);
        let prev = match &ev.previous {
            Some(p) => self.passes_stored(&ev.key, p),
            None => deleted && self.passes_stored(&ev.key, &ev.object),
        };
        (cur, prev)
    }
}

/// One store event as the watcher sees it, or nothing when filtered out.
fn convert(presenter: &mut Presenter, ev: &StoreEvent, filter: &OwnedFilter) -> Option<Bytes> {
    match filter.event_scope(ev) {
        (true, false) => Some(presenter.shared_event("ADDED", ev)),
        (true, true) => Some(presenter.shared_event("MODIFIED", ev)),
        (false, true) => {
            // The previous content at the event's revision.
            let mut old = match (&ev.previous, ev.event) {
                (_, EventType::Deleted) => ev.object.to_value(),
                (Some(p), _) => p.to_value(),
                (None, _) => ev.object.to_value(),
            };
            crate::store::set_resource_version(&mut old, ev.rv);
            let o = presenter.object(&old);
            Some(presenter.line("DELETED", &o))
        }
        (false, false) => None,
    }
}

struct LiveState {
    events: mpsc::Receiver<Arc<StoreEvent>>,
    presenter: Presenter,
    filter: OwnedFilter,
    last_rv: u64,
    /// Events at or below this revision were already sent (replay).
    skip_until: u64,
    bookmarks: bool,
    next_bookmark: Instant,
    deadline: Instant,
    store: Arc<crate::store::Store>,
    /// Resolves when the server shuts down (kept across polls).
    shutdown: futures::future::BoxFuture<'static, ()>,
    /// The next timer (bookmark or deadline), reset rather than rebuilt.
    timer: std::pin::Pin<Box<tokio::time::Sleep>>,
}

/// Events queued for a watcher are sent together, up to this many bytes.
const BATCH: usize = 64 * 1024;

impl LiveState {
    /// Resolves when the server shuts down.
    fn shutdown_signal(
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> futures::future::BoxFuture<'static, ()> {
        Box::pin(async move {
            let _ = shutdown.wait_for(|v| *v).await;
        })
    }

    /// The event line for one store event, or nothing when it is filtered
    /// out or was already sent.
    fn event(&mut self, ev: &StoreEvent) -> Option<Bytes> {
        if ev.rv <= self.skip_until {
            return None;
        }
        self.last_rv = self.last_rv.max(ev.rv);
        convert(&mut self.presenter, ev, &self.filter)
    }

    /// The next chunk of the stream: one or more event lines (all that are
    /// already queued, up to [`BATCH`] bytes), a bookmark, or the end.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        loop {
            let mut wake = self.next_bookmark.min(self.deadline);
            if let Some(f) = self.deadline.checked_sub(Duration::from_secs(2)) {
                if f > Instant::now() {
                    wake = wake.min(f);
                }
            }
            if self.timer.deadline() != wake {
                self.timer.as_mut().reset(wake);
            }
            tokio::select! {
                // Events first: the timer and shutdown are polled only
                // when none is queued.
                biased;
                ev = self.events.recv() => {
                    let ev = ev?;
                    let Some(first) = self.event(&ev) else { continue };
                    let mut batch: Option<Vec<u8>> = None;
                    while batch.as_ref().map_or(first.len(), Vec::len) < BATCH {
                        let Ok(ev) = self.events.try_recv() else { break };
                        if let Some(line) = self.event(&ev) {
                            batch
                                .get_or_insert_with(|| first.to_vec())
                                .extend_from_slice(&line);
                        }
                    }
                    return Some(batch.map_or(first, Bytes::from));
                }
                _ = self.timer.as_mut() => {
                    let now = Instant::now();
                    if now >= self.deadline {
                        return None;
                    }
                    if now >= self.next_bookmark {
                        self.next_bookmark = now + BOOKMARK_PERIOD;
                    }
                    if self.bookmarks {
                        let current = self.store.current_rv();
                        if current > self.last_rv {
                            self.last_rv = current;
                            let b = self.presenter.bookmark(current, false);
                            return Some(self.presenter.line("BOOKMARK", &b));
                        }
                    }
                }
                _ = self.shutdown.as_mut() => return None,
            }
        }
    }
}

/// The 200 streaming response: `head` first, then the live events. The
/// body is polled by the connection's stream task itself: no task or
/// channel in between.
fn stream_response(n: &Negotiated, head: Vec<Bytes>, live: Option<LiveState>) -> ApiResponse {
    use futures::StreamExt;
    let head = futures::stream::iter(head);
    let live = futures::stream::unfold(live, |live| async move {
        let mut live = live?;
        let chunk = live.next_chunk().await?;
        Some((chunk, Some(live)))
    });
    ApiResponse {
        status: 200,
        headers: vec![("Content-Type".into(), n.content_type.clone())],
        body: ResponseBody::Stream(Box::pin(head.chain(live))),
    }
}
