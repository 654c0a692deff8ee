//! GET of one object and LIST of a collection, with the resourceVersion
//! semantics of the watch cache (`storage/cacher/delegator.go`) and etcd
//! pagination (`storage/etcd3/store.go` `GetList`).

use super::{respond_list, respond_object};
use crate::api::continue_token;
use crate::api::encode::Encoding;
use crate::api::error::{ApiError, Result};
use crate::api::negotiate::{Endpoint, Format, Negotiated, Transform};
use crate::api::options::{ListOptions, EXACT, NOT_OLDER_THAN};
use crate::api::query::{go_quote, parse_go_uint};
use crate::api::resource::ResourceRequest;
use crate::api::ApiResponse;
use crate::store::{ObjectKey, ReadAt, Snapshot, StoreError, StoredObject};
use serde_json::{json, Map, Value};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

/// How long a read waits for a future resourceVersion (`blockTimeout`).
pub(crate) const FRESHNESS_WAIT: Duration = Duration::from_secs(3);

/// GET one object.
pub(crate) async fn get(rr: &ResourceRequest<'_>) -> Result<ApiResponse> {
    let n = rr.negotiate(Endpoint::Get)?;
    let rv = rr.req.query.get("resourceVersion").unwrap_or("");
    if !rv.is_empty() && rv != "0" {
        // The storage error is not converted on this path: a bare 500
        // without a reason (real-server-findings #8).
        let wanted = parse_go_uint(rv).map_err(|e| {
            ApiError::unconverted(
                500,
                format!("resourceVersion: Invalid value: {}: {e}", go_quote(rv)),
            )
        })?;
        wait_for(rr, wanted).await?;
    }
    let obj = rr
        .state
        .store
        .get_stored(&rr.gr, rr.namespace(), rr.name())
        .ok_or_else(|| ApiError::not_found(&rr.def.group, &rr.def.resource, rr.name()))?;
    if n.transform == Transform::None
        && n.format == Format::Json
        && super::encoding(rr, &n) == Encoding::Json
    {
        // The stored encoding, with the endpoint's type meta in front.
        let mut out = Vec::with_capacity(obj.encoded_len() + 64);
        obj.write_with_type(
            &mut out,
            obj.kind().unwrap_or(&rr.def.kind),
            &rr.def.api_version(),
        );
        out.push(b'\n');
        return Ok(ApiResponse::full(200, Encoding::Json.content_type(), out));
    }
    respond_object(rr, &n, 200, &obj.to_value())
}

/// Waits until the store reaches `rv`, or fails with the 504 the cache gives.
pub(crate) async fn wait_for(rr: &ResourceRequest<'_>, rv: u64) -> Result<()> {
    let store = &rr.state.store;
    if store.current_rv() >= rv || store.wait_for_rv(rv, FRESHNESS_WAIT).await {
        Ok(())
    } else {
        Err(ApiError::too_large_resource_version(rv, store.current_rv()))
    }
}

/// The 410 for an expired continue token, with a fresh token to continue
/// from the latest revision (`storage/etcd3/errors.go`).
fn continue_expired(next: Option<String>) -> ApiError {
    let mut e = ApiError::expired(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
    );
    if let Some(token) = next {
        e.status
            .metadata
            .insert("continue".into(), Value::String(token));
    }
    e
}

/// LIST a collection.
pub(crate) async fn list(
    rr: &ResourceRequest<'_>,
    n: &Negotiated,
    opts: ListOptions,
) -> Result<ApiResponse> {
    let store = &rr.state.store;
    let rv_param = opts.resource_version.as_str();
    let mut limit = opts.limit;
    let mut start: Option<String> = None;
    let at = if !opts.continue_token.is_empty() {
        if !(rv_param.is_empty() || rv_param == "0") {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let token = continue_token::decode(&opts.continue_token).map_err(ApiError::bad_request)?;
        start = Some(token.start.clone());
        if token.rv < 0 {
            ReadAt::Latest
        } else {
            ReadAt::Exact(token.rv as u64)
        }
    } else if rv_param.is_empty() {
        ReadAt::Latest
    } else if rv_param == "0" {
        // "Any": served from the cache, which ignores limit.
        limit = 0;
        ReadAt::Latest
    } else {
        let wanted = parse_go_uint(rv_param).map_err(|e| {
            ApiError::bad_request(format!(
                "invalid resource version: resourceVersion: Invalid value: {}: {e}",
                go_quote(rv_param)
            ))
        })?;
        let exact = opts.resource_version_match == EXACT
            || (opts.resource_version_match.is_empty() && limit > 0);
        if exact {
            if wanted > store.current_rv() {
                wait_for(rr, wanted).await?;
            }
            ReadAt::Exact(wanted)
        } else {
            debug_assert!(
                opts.resource_version_match.is_empty()
                    || opts.resource_version_match == NOT_OLDER_THAN
            );
            wait_for(rr, wanted).await?;
            ReadAt::Latest
        }
    };
    let snapshot = match store.snapshot(&rr.gr, at) {
        Ok(s) => s,
        Err(StoreError::Expired { requested, oldest }) => {
            if opts.continue_token.is_empty() {
                return Err(ApiError::expired(format!(
                    "too old resource version: {requested} ({oldest})"
                )));
            }
            let next = start
                .as_deref()
                .map(|s| continue_token::encode(-1, s.trim_end_matches('\u{0}')));
            return Err(continue_expired(next));
        }
        Err(StoreError::TooLarge { requested, current }) => {
            return Err(ApiError::too_large_resource_version(requested, current))
        }
    };
    let page = paginate(rr, &snapshot, &opts, start.as_deref(), limit);
    let mut meta = Map::new();
    meta.insert("resourceVersion".into(), json!(snapshot.rv.to_string()));
    if let Some((token, remaining)) = &page.more {
        meta.insert("continue".into(), json!(token));
        if !opts.has_selector {
            meta.insert("remainingItemCount".into(), json!(remaining));
        }
    }
    respond_list(rr, n, &page.items, Value::Object(meta))
}

/// One page of a list.
pub(crate) struct Page {
    pub(crate) items: Vec<Arc<StoredObject>>,
    /// The continue token and how many objects (matching or not) remain.
    pub(crate) more: Option<(String, usize)>,
}

/// Whether a stored object matches the request's namespace and selectors
/// (parsed only when there is a selector to apply).
pub(crate) fn matches(
    rr: &ResourceRequest<'_>,
    opts: &ListOptions,
    key: &ObjectKey,
    obj: &StoredObject,
) -> bool {
    let ns = rr.namespace();
    if !ns.is_empty() && key.namespace != ns {
        return false;
    }
    if opts.label_selector.is_empty() && opts.field_selector.is_empty() {
        return true;
    }
    in_scope(ns, opts, &rr.def.group, &rr.def.resource, &obj.to_value())
}

/// Whether an object is in `namespace` (any when empty) and matches the
/// selectors. Runs once per object per list and once per event per
/// watcher, so it reads fields directly and skips empty selectors.
pub(crate) fn in_scope(
    namespace: &str,
    opts: &ListOptions,
    group: &str,
    resource: &str,
    obj: &Value,
) -> bool {
    let meta = obj.get("metadata");
    if !namespace.is_empty()
        && meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            != Some(namespace)
    {
        return false;
    }
    if !opts.label_selector.is_empty() {
        let labels = meta
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object);
        if !opts.label_selector.matches(labels) {
            return false;
        }
    }
    opts.field_selector.is_empty() || opts.field_selector.matches(group, resource, obj)
}

/// The keys of a request's scope, from `start` (a continue key relative to
/// the list prefix, inclusive).
fn scoped<'s>(
    rr: &ResourceRequest<'_>,
    snapshot: &'s Snapshot,
    start: Option<&str>,
) -> Box<dyn Iterator<Item = (&'s ObjectKey, &'s Arc<StoredObject>)> + 's> {
    let ns = rr.namespace().to_string();
    let from = match start {
        Some(s) if !ns.is_empty() => ObjectKey::new(&ns, s),
        Some(s) if rr.def.namespaced => match s.split_once('/') {
            Some((n, rest)) => ObjectKey::new(n, rest),
            None => ObjectKey::new(s, ""),
        },
        Some(s) => ObjectKey::new("", s),
        None => ObjectKey::new(&ns, ""),
    };
    let iter = snapshot
        .objects
        .range((Bound::Included(from), Bound::Unbounded));
    if ns.is_empty() {
        Box::new(iter)
    } else {
        Box::new(iter.take_while(move |(k, _)| k.namespace == ns))
    }
}

/// Collects up to `limit` matching objects starting at `start`.
pub(crate) fn paginate(
    rr: &ResourceRequest<'_>,
    snapshot: &Snapshot,
    opts: &ListOptions,
    start: Option<&str>,
    limit: i64,
) -> Page {
    let mut items = Vec::new();
    let mut iter = scoped(rr, snapshot, start).peekable();
    while let Some((key, obj)) = iter.next() {
        if !matches(rr, opts, key, obj) {
            continue;
        }
        items.push(Arc::clone(obj));
        if limit > 0 && items.len() as i64 >= limit {
            // More only if another matching object follows; the count is of
            // every remaining object, matching or not.
            let mut remaining = 0usize;
            let mut another = false;
            for (k, o) in iter {
                remaining += 1;
                another = another || matches(rr, opts, k, o);
            }
            if another {
                let key = relative_key(rr, key);
                let token = continue_token::encode(snapshot.rv as i64, &key);
                return Page {
                    items,
                    more: Some((token, remaining)),
                };
            }
            break;
        }
    }
    Page { items, more: None }
}

/// A key relative to the list's etcd prefix.
fn relative_key(rr: &ResourceRequest<'_>, key: &ObjectKey) -> String {
    if !rr.namespace().is_empty() {
        key.name.clone()
    } else {
        key.storage_suffix()
    }
}
