//! `ListOptions` and `DeleteOptions`: decoding from the query (400),
//! defaulting, and validation (422), each rule with the real server's text.
//!
//! Mirrors `metainternalversion.ListOptions` decoding (`get.go` `listOpts`),
//! `SetListOptionsDefaults` (`meta/internalversion/defaults.go`) and
//! `validation.ValidateListOptions` / `validateWatchOptions`
//! (`meta/internalversion/validation/validation.go`). Rule ids W1–W5 and
//! L1–L5 are those of the behaviour spec §1.3.

use crate::api::error::{cause, ApiError, Result};
use crate::api::query::{go_quote, RawQuery};
use crate::api::selector::{FieldSelector, LabelSelector};
use crate::profile::FeatureGates;

/// `resourceVersionMatch=NotOlderThan`.
pub const NOT_OLDER_THAN: &str = "NotOlderThan";
/// `resourceVersionMatch=Exact`.
pub const EXACT: &str = "Exact";

/// List and watch options, decoded (strings as sent, numbers parsed).
#[derive(Debug, Clone)]
pub struct ListOptions {
    /// `watch` (or the `/watch/` path form).
    pub watch: bool,
    /// `allowWatchBookmarks`.
    pub allow_watch_bookmarks: bool,
    /// `sendInitialEvents`: unset differs from false.
    pub send_initial_events: Option<bool>,
    /// `resourceVersion`, as sent.
    pub resource_version: String,
    /// `resourceVersionMatch`, as sent.
    pub resource_version_match: String,
    /// `timeoutSeconds`.
    pub timeout_seconds: Option<i64>,
    /// `limit` (≤ 0 means no limit).
    pub limit: i64,
    /// `continue`.
    pub continue_token: String,
    /// `labelSelector`, parsed.
    pub label_selector: LabelSelector,
    /// `fieldSelector`, parsed.
    pub field_selector: FieldSelector,
    /// Whether a label or field selector was given (remainingItemCount is
    /// only set without one).
    pub has_selector: bool,
}

impl ListOptions {
    /// Decodes the query as the apiserver's parameter codec does. Errors are
    /// 400 BadRequest with the parser's text.
    pub fn decode(q: &RawQuery, legacy_watch: bool) -> Result<ListOptions> {
        let bad = ApiError::bad_request;
        let label_raw = q.get("labelSelector").unwrap_or("");
        let field_raw = q.get("fieldSelector").unwrap_or("");
        let label_selector = LabelSelector::parse(label_raw).map_err(bad)?;
        let field_selector = FieldSelector::parse(field_raw).map_err(bad)?;
        Ok(ListOptions {
            watch: legacy_watch || q.get_bool("watch").unwrap_or(false),
            allow_watch_bookmarks: q.get_bool("allowWatchBookmarks").unwrap_or(false),
            send_initial_events: q.get_bool("sendInitialEvents"),
            resource_version: q.get("resourceVersion").unwrap_or("").to_string(),
            resource_version_match: q.get("resourceVersionMatch").unwrap_or("").to_string(),
            timeout_seconds: q.get_i64("timeoutSeconds").map_err(bad)?,
            limit: q.get_i64("limit").map_err(bad)?.unwrap_or(0),
            continue_token: q.get("continue").unwrap_or("").to_string(),
            has_selector: !label_selector.is_empty() || !field_selector.is_empty(),
            label_selector,
            field_selector,
        })
    }

    /// `SetListOptionsDefaults`: with the WatchList gate on, a watch with no
    /// `sendInitialEvents` and no `resourceVersionMatch` whose
    /// resourceVersion is `""` or `"0"` becomes a watch-list request.
    pub fn apply_defaults(&mut self, gates: FeatureGates) {
        if !gates.watch_list
            || self.send_initial_events.is_some()
            || !self.resource_version_match.is_empty()
        {
            return;
        }
        if self.watch && (self.resource_version.is_empty() || self.resource_version == "0") {
            self.send_initial_events = Some(true);
            self.resource_version_match = NOT_OLDER_THAN.to_string();
        }
    }

    /// `ValidateListOptions`: the W rules for a watch, the L rules for a
    /// list, every cause in the server's order, one 422 for all.
    pub fn validate(&self, gates: FeatureGates) -> Result<()> {
        let m = self.resource_version_match.as_str();
        let mut causes = Vec::new();
        let forbidden = "FieldValueForbidden";
        if self.watch {
            if self.send_initial_events.is_some() {
                if m != NOT_OLDER_THAN {
                    causes.push(cause(forbidden, "resourceVersionMatch", "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
                }
                if !gates.watch_list {
                    causes.push(cause(forbidden, "sendInitialEvents", "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"));
                }
            }
            if !m.is_empty() {
                if self.send_initial_events.is_none() {
                    causes.push(cause(forbidden, "resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
                }
                if m != NOT_OLDER_THAN {
                    causes.push(cause(
                        "FieldValueNotSupported",
                        "resourceVersionMatch",
                        format!(
                            "Unsupported value: {}: supported values: \"NotOlderThan\"",
                            go_quote(m)
                        ),
                    ));
                }
                if !self.continue_token.is_empty() {
                    causes.push(cause(
                        forbidden,
                        "resourceVersionMatch",
                        "Forbidden: resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
            }
        } else {
            if !m.is_empty() {
                if self.resource_version.is_empty() {
                    causes.push(cause(forbidden, "resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"));
                }
                if !self.continue_token.is_empty() {
                    causes.push(cause(
                        forbidden,
                        "resourceVersionMatch",
                        "Forbidden: resourceVersionMatch is forbidden when continue is provided",
                    ));
                }
                match m {
                    EXACT | NOT_OLDER_THAN => {}
                    other => causes.push(cause(
                        "FieldValueNotSupported",
                        "resourceVersionMatch",
                        format!(
                            "Unsupported value: {}: supported values: \"Exact\", \"NotOlderThan\", \"\"",
                            go_quote(other)
                        ),
                    )),
                }
                if m == EXACT && self.resource_version == "0" {
                    causes.push(cause(forbidden, "resourceVersionMatch", "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
                }
            }
            if self.send_initial_events.is_some() {
                causes.push(cause(
                    forbidden,
                    "sendInitialEvents",
                    "Forbidden: sendInitialEvents is forbidden for list",
                ));
            }
        }
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid("meta.k8s.io", "ListOptions", "", causes))
        }
    }

    /// Whether this is a watch-list request (`isListWatchRequest`):
    /// sendInitialEvents=true and allowWatchBookmarks=true, after defaulting.
    pub fn is_watch_list(&self) -> bool {
        self.watch && self.send_initial_events == Some(true) && self.allow_watch_bookmarks
    }
}

/// `DeleteOptions` from the query and the body.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// `preconditions.uid`.
    pub precondition_uid: Option<String>,
    /// `preconditions.resourceVersion`.
    pub precondition_rv: Option<String>,
    /// `propagationPolicy`.
    pub propagation_policy: Option<String>,
    /// `gracePeriodSeconds`.
    pub grace_period_seconds: Option<i64>,
    /// `orphanDependents` (deprecated; exclusive with the policy).
    pub orphan_dependents: Option<bool>,
    /// `dryRun=All`.
    pub dry_run: bool,
}

impl DeleteOptions {
    /// Reads the options from the query, then from a JSON body
    /// (`{"kind":"DeleteOptions",...}`), and validates the propagation policy.
    pub fn decode(q: &RawQuery, body: &[u8]) -> Result<DeleteOptions> {
        Self::decode_as(q, body, None)
    }

    /// [`DeleteOptions::decode`] with the request's `Content-Type`: a YAML
    /// body is read as YAML, as the negotiated input serializer does.
    /// A body that does not decode is a 400 and nothing is deleted
    /// (`handlers/delete.go`: `errors.NewBadRequest(err.Error())`).
    pub fn decode_as(
        q: &RawQuery,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<DeleteOptions> {
        let mut o = DeleteOptions {
            propagation_policy: q.get("propagationPolicy").map(str::to_string),
            grace_period_seconds: q
                .get_i64("gracePeriodSeconds")
                .map_err(ApiError::bad_request)?,
            orphan_dependents: q.get_bool("orphanDependents"),
            dry_run: q.get_all("dryRun").iter().any(|v| !v.is_empty()),
            ..Default::default()
        };
        let mut dry_run_values: Vec<String> =
            q.get_all("dryRun").iter().map(|v| v.to_string()).collect();
        let trimmed = body
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .count();
        if trimmed > 0 {
            let v = decode_delete_options_body(body, content_type)?;
            let s = |p: &[&str]| {
                let mut cur = &v;
                for k in p {
                    cur = cur.get(*k)?;
                }
                cur.as_str().map(str::to_string)
            };
            o.precondition_uid = s(&["preconditions", "uid"]).or(o.precondition_uid);
            o.precondition_rv = s(&["preconditions", "resourceVersion"]).or(o.precondition_rv);
            o.propagation_policy = s(&["propagationPolicy"]).or(o.propagation_policy);
            if let Some(g) = v
                .get("gracePeriodSeconds")
                .and_then(serde_json::Value::as_i64)
            {
                o.grace_period_seconds = Some(g);
            }
            if let Some(b) = v
                .get("orphanDependents")
                .and_then(serde_json::Value::as_bool)
            {
                o.orphan_dependents = Some(b);
            }
            if let Some(d) = v.get("dryRun").and_then(serde_json::Value::as_array) {
                o.dry_run |= !d.is_empty();
                dry_run_values.extend(d.iter().filter_map(|x| x.as_str().map(str::to_string)));
            }
        }
        // `ValidateDeleteOptions`: propagation policy, then dry run, one 422.
        let mut causes = Vec::new();
        if let (Some(_), Some(p)) = (o.orphan_dependents, &o.propagation_policy) {
            causes.push(cause(
                "FieldValueInvalid",
                "propagationPolicy",
                format!(
                    "Invalid value: {}: orphanDependents and deletionPropagation cannot be both set",
                    go_quote(p)
                ),
            ));
        }
        if let Some(p) = &o.propagation_policy {
            if !matches!(p.as_str(), "Foreground" | "Background" | "Orphan") {
                causes.push(cause(
                    "FieldValueNotSupported",
                    "propagationPolicy",
                    format!(
                        "Unsupported value: {}: supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                        go_quote(p)
                    ),
                ));
            }
        }
        if dry_run_values.iter().any(|v| v != "All") {
            let values: Vec<&str> = dry_run_values.iter().map(String::as_str).collect();
            causes.push(cause(
                "FieldValueNotSupported",
                "dryRun",
                format!(
                    "Unsupported value: {}: supported values: \"All\"",
                    crate::api::patch::json_strings(&values)
                ),
            ));
        }
        if !causes.is_empty() {
            return Err(ApiError::invalid(
                "meta.k8s.io",
                "DeleteOptions",
                "",
                causes,
            ));
        }
        // `DeletionFinalizersForGarbageCollection`: the deprecated flag
        // reads as the policy it stands for.
        if o.propagation_policy.is_none() {
            if let Some(orphan) = o.orphan_dependents {
                o.propagation_policy =
                    Some(if orphan { "Orphan" } else { "Background" }.to_string());
            }
        }
        Ok(o)
    }
}

/// Decodes a DeleteOptions body as the meta codecs do: protobuf, YAML or
/// JSON; `findKind` first (a document that is no object fails there), then
/// the typed decode into `metav1.DeleteOptions` (Go's type errors).
fn decode_delete_options_body(
    body: &[u8],
    content_type: Option<&str>,
) -> Result<serde_json::Value> {
    use serde_json::Value;
    // A protobuf body (typed client-go clients) starts with `k8s\0`.
    if body.starts_with(crate::api::protobuf::MAGIC) {
        return crate::api::protobuf::decode(body)
            .map_err(|e| ApiError::delete_options_undecodable(&e.message));
    }
    let yaml = content_type.is_some_and(|c| {
        let c = c.split(';').next().unwrap_or("").trim();
        c.eq_ignore_ascii_case("application/yaml")
    });
    let v: Value = if yaml {
        let y: serde_yaml::Value = serde_yaml::from_slice(body).map_err(|e| {
            // UNVERIFIED: serde_yaml's texts differ from sigs.k8s.io/yaml's.
            ApiError::delete_options_undecodable(&format!("error converting YAML to JSON: {e}"))
        })?;
        serde_json::to_value(y).map_err(|e| ApiError::delete_options_undecodable(&e.to_string()))?
    } else {
        if let Err(e) = crate::api::decode::go_json_check(body) {
            return Err(ApiError::delete_options_undecodable(&format!(
                "couldn't get version/kind; json parse error: {e}"
            )));
        }
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => Value::Array(Vec::new()),
            _ => serde_json::from_slice(body)
                .map_err(|e| ApiError::delete_options_undecodable(&e.to_string()))?,
        }
    };
    match &v {
        Value::Object(_) | Value::Null => {}
        other => {
            return Err(ApiError::delete_options_undecodable(&format!(
                "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type {}",
                crate::api::decode::go_json_type(other),
                crate::api::decode::TYPE_META_STRUCT
            )))
        }
    }
    if let Some(e) = crate::api::objects::validation::go_decode_error("DeleteOptions", &v) {
        return Err(ApiError::delete_options_undecodable(&e));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_options_dry_run_values() {
        let bad = DeleteOptions::decode(&RawQuery::parse("dryRun=Foo"), b"").unwrap_err();
        assert_eq!(bad.status.code, 422);
        assert_eq!(
            bad.status.message,
            "DeleteOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: [\"Foo\"]: supported values: \"All\""
        );
        assert!(
            DeleteOptions::decode(&RawQuery::parse("dryRun=All"), b"")
                .unwrap()
                .dry_run
        );
        let both = DeleteOptions::decode(&RawQuery::parse("dryRun=x&propagationPolicy=y"), b"")
            .unwrap_err();
        assert!(
            both.status
                .message
                .starts_with("DeleteOptions.meta.k8s.io \"\" is invalid: [propagationPolicy: "),
            "{}",
            both.status.message
        );
    }

    fn opts(q: &str) -> ListOptions {
        ListOptions::decode(&RawQuery::parse(q), false).unwrap()
    }

    fn check(q: &str, gate: bool) -> std::result::Result<(), String> {
        let gates = FeatureGates { watch_list: gate };
        let mut o = opts(q);
        o.apply_defaults(gates);
        o.validate(gates).map_err(|e| e.status.message.clone())
    }

    const P: &str = "ListOptions.meta.k8s.io \"\" is invalid: ";

    #[test]
    fn spec_section_7_validation_cases() {
        let cases: &[(&str, bool, &str)] = &[
            ("watch=true&sendInitialEvents=true", true, "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"),
            ("watch=true&sendInitialEvents=false", true, "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"),
            ("watch=true&resourceVersionMatch=NotOlderThan", true, "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"),
            ("watch=true&sendInitialEvents=true&resourceVersionMatch=Exact", true, "[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"]"),
            ("watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&continue=x", true, "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided"),
            ("watch=true&continue=x", true, "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided"),
            ("allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&watch=true", false, "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"),
            ("watch=true&sendInitialEvents=true", false, "[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled]"),
            ("sendInitialEvents=true", true, "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
            ("resourceVersionMatch=NotOlderThan", true, "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"),
            ("resourceVersion=0&resourceVersionMatch=Exact", true, "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""),
            ("resourceVersion=1&resourceVersionMatch=foo", true, "resourceVersionMatch: Unsupported value: \"foo\": supported values: \"Exact\", \"NotOlderThan\", \"\""),
            ("resourceVersionMatch=foo&continue=x", true, "[resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided, resourceVersionMatch: Unsupported value: \"foo\": supported values: \"Exact\", \"NotOlderThan\", \"\"]"),
        ];
        for (q, gate, want) in cases {
            assert_eq!(check(q, *gate), Err(format!("{P}{want}")), "{q}");
        }
        assert_eq!(
            check("resourceVersion=0&resourceVersionMatch=NotOlderThan", true),
            Ok(())
        );
        assert_eq!(check("watch=true&resourceVersion=0", false), Ok(()));
    }

    #[test]
    fn legacy_bookmark_watch_becomes_a_watch_list() {
        let mut o = opts("watch=true&allowWatchBookmarks=true");
        o.apply_defaults(FeatureGates { watch_list: true });
        assert!(o.is_watch_list());
        let mut o = opts("watch=true&allowWatchBookmarks=true&resourceVersion=5");
        o.apply_defaults(FeatureGates { watch_list: true });
        assert!(!o.is_watch_list());
    }

    #[test]
    fn bad_numbers_are_400() {
        let e = ListOptions::decode(&RawQuery::parse("watch=true&timeoutSeconds=abc"), false)
            .unwrap_err();
        assert_eq!(e.code(), 400);
        assert_eq!(
            e.status.message,
            "strconv.ParseInt: parsing \"abc\": invalid syntax"
        );
    }

    #[test]
    fn bad_propagation_policy_is_422() {
        let e =
            DeleteOptions::decode(&RawQuery::parse("propagationPolicy=Sideways"), b"").unwrap_err();
        assert_eq!(e.code(), 422);
    }
}
