//! Validation: the causes of a 422 `Invalid`, with the real server's messages.
//!
//! The checks follow `pkg/apis/*/validation/validation.go` and apimachinery's
//! `ValidateObjectMeta`; every message is built the way `field.Error.ErrorBody`
//! prints it (`Required value`, `Invalid value: "x": detail`,
//! `Unsupported value: "x": supported values: "a", "b"`...). Only the rules
//! whose text is known exactly are implemented; unknown kinds get the object
//! metadata checks alone. [`check_decodable`] reproduces the Go JSON decoder's
//! errors (wrong JSON types, bad base64) for the well-known fields.
//!
//! Nothing here panics on odd input: a field of the wrong type is treated as
//! absent (the decode check reports such bodies before validation runs).

use serde_json::{Map, Value};

/// One validation failure (a `StatusCause`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCause {
    /// `FieldValueInvalid`, `FieldValueRequired`...
    pub reason: &'static str,
    /// `metadata.name`...
    pub field: String,
    /// The message.
    pub message: String,
}

// ---------------------------------------------------------------------------
// field.Error constructors
// ---------------------------------------------------------------------------

use crate::api::query::go_quote;

fn with_detail(head: String, detail: &str) -> String {
    if detail.is_empty() {
        head
    } else {
        format!("{head}: {detail}")
    }
}

/// `field.Required`.
fn required(field: impl Into<String>, detail: &str) -> FieldCause {
    FieldCause {
        reason: "FieldValueRequired",
        field: field.into(),
        message: with_detail("Required value".into(), detail),
    }
}

/// `field.Invalid` with a string value.
fn invalid(field: impl Into<String>, value: &str, detail: &str) -> FieldCause {
    invalid_raw(field, &go_quote(value), detail)
}

/// `field.Invalid` with a value already printed as Go prints it.
fn invalid_raw(field: impl Into<String>, printed: &str, detail: &str) -> FieldCause {
    FieldCause {
        reason: "FieldValueInvalid",
        field: field.into(),
        message: with_detail(format!("Invalid value: {printed}"), detail),
    }
}

/// `field.NotSupported` with a string value.
fn not_supported(field: impl Into<String>, value: &str, supported: &[&str]) -> FieldCause {
    let list: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
    FieldCause {
        reason: "FieldValueNotSupported",
        field: field.into(),
        message: format!(
            "Unsupported value: {}: supported values: {}",
            go_quote(value),
            list.join(", ")
        ),
    }
}

/// `field.Duplicate` with a string value.
fn duplicate(field: impl Into<String>, value: &str) -> FieldCause {
    FieldCause {
        reason: "FieldValueDuplicate",
        field: field.into(),
        message: format!("Duplicate value: {}", go_quote(value)),
    }
}

/// `field.Forbidden`.
fn forbidden(field: impl Into<String>, detail: &str) -> FieldCause {
    FieldCause {
        reason: "FieldValueForbidden",
        field: field.into(),
        message: with_detail("Forbidden".into(), detail),
    }
}

/// `ValidateImmutableField` for a string-like value.
fn immutable(field: impl Into<String>, printed: &str) -> FieldCause {
    invalid_raw(field, printed, "field is immutable")
}

/// `ValidateImmutableField`'s cause: `field: Invalid value: <printed>: field is immutable`.
pub fn immutable_cause(field: &str, printed: &str) -> FieldCause {
    immutable(field, printed)
}

/// Go's `%#v` of a `map[string]string` (keys sorted, as fmt prints maps).
fn go_map_literal(m: Option<&Map<String, Value>>) -> String {
    match m {
        None => "map[string]string(nil)".into(),
        Some(m) => {
            let mut pairs: Vec<(&String, String)> = m
                .iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or("").to_string()))
                .collect();
            pairs.sort();
            let body: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
                .collect();
            format!("map[string]string{{{}}}", body.join(", "))
        }
    }
}

// ---------------------------------------------------------------------------
// apimachinery/pkg/util/validation
// ---------------------------------------------------------------------------

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const CONFIG_KEY_FMT: &str = "[-._a-zA-Z0-9]+";

/// `validation.RegexError`.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

fn is_lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
fn matches_dns1123_label(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && is_lower_alnum(b[0])
        && is_lower_alnum(b[b.len() - 1])
        && b.iter().all(|&c| is_lower_alnum(c) || c == b'-')
}

fn matches_dns1123_subdomain(v: &str) -> bool {
    v.split('.').all(matches_dns1123_label)
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`
fn matches_label_key_name(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && is_alnum(b[0])
        && is_alnum(b[b.len() - 1])
        && b.iter()
            .all(|&c| is_alnum(c) || c == b'-' || c == b'_' || c == b'.')
}

/// `IsDNS1123Label`.
pub(crate) fn is_dns1123_label(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !matches_dns1123_label(v) {
        if matches_dns1123_subdomain(v) {
            errs.push("must not contain dots".into());
        } else {
            errs.push(regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// `IsDNS1123Subdomain`.
pub(crate) fn is_dns1123_subdomain(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !matches_dns1123_subdomain(v) {
        errs.push(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `IsQualifiedName` / `IsLabelKey`.
pub(crate) fn is_qualified_name(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = v.split('/').collect();
    let name = match parts.len() {
        1 => parts[0],
        2 => {
            let prefix = parts[0];
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".into());
            } else {
                for m in is_dns1123_subdomain(prefix) {
                    errs.push(format!("prefix part {m}"));
                }
            }
            parts[1]
        }
        _ => {
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                    LABEL_KEY_FMT,
                    &["MyName", "my.name", "123-abc"],
                )
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".into());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !matches_label_key_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"],
            )
        ));
    }
    errs
}

/// `IsValidLabelValue`.
pub(crate) fn is_label_value(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !v.is_empty() && !matches_label_key_name(v) {
        errs.push(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// `IsConfigMapKey`.
pub(crate) fn is_config_map_key(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 253 {
        errs.push(max_len_error(253));
    }
    let ok = !v.is_empty()
        && v.bytes()
            .all(|c| is_alnum(c) || c == b'-' || c == b'_' || c == b'.');
    if !ok {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            CONFIG_KEY_FMT,
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if v == "." {
        errs.push("must not be '.'".into());
    } else if v == ".." {
        errs.push("must not be '..'".into());
    } else if v.starts_with("..") {
        errs.push("must not start with '..'".into());
    }
    errs
}

/// `IsValidPathSegmentName` (RBAC names).
fn is_path_segment_name(v: &str, prefix: bool) -> Vec<String> {
    let mut errs = Vec::new();
    if !prefix && (v == "." || v == "..") {
        errs.push(format!("may not be '{v}'"));
        return errs;
    }
    for bad in ["/", "%"] {
        if v.contains(bad) {
            errs.push(format!("may not contain '{bad}'"));
        }
    }
    errs
}

/// `maskTrailingDash`: a generateName prefix may end in `-`.
fn mask_trailing_dash(v: &str) -> String {
    if v.len() > 1 && v.ends_with('-') {
        format!("{}a", &v[..v.len() - 1])
    } else {
        v.to_string()
    }
}

/// How a kind's `metadata.name` is checked (`ValidateNameFunc`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum NameRule {
    Subdomain,
    Label,
    PathSegment,
    /// Not validated at all (review objects).
    None,
}

fn name_messages(rule: NameRule, v: &str, prefix: bool) -> Vec<String> {
    match rule {
        NameRule::Subdomain => {
            let v = if prefix {
                mask_trailing_dash(v)
            } else {
                v.to_string()
            };
            is_dns1123_subdomain(&v)
        }
        NameRule::Label => {
            let v = if prefix {
                mask_trailing_dash(v)
            } else {
                v.to_string()
            };
            is_dns1123_label(&v)
        }
        NameRule::PathSegment => is_path_segment_name(v, prefix),
        NameRule::None => Vec::new(),
    }
}

fn name_rule(group: &str, resource: &str) -> NameRule {
    match (group, resource) {
        // RelaxedServiceNameValidation (on in 1.36): RFC 1123 label, as the
        // golden services-create-invalid-name shows.
        ("", "namespaces") | ("", "services") => NameRule::Label,
        ("rbac.authorization.k8s.io", _) => NameRule::PathSegment,
        ("authorization.k8s.io", _)
        | ("authentication.k8s.io", _)
        | ("", "bindings")
        | ("", "componentstatuses") => NameRule::None,
        _ => NameRule::Subdomain,
    }
}

// ---------------------------------------------------------------------------
// Value access helpers
// ---------------------------------------------------------------------------

fn s<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn obj<'v>(v: &'v Value, key: &str) -> Option<&'v Map<String, Value>> {
    v.get(key).and_then(Value::as_object)
}

fn arr<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn meta(v: &Value) -> &Value {
    static EMPTY: Value = Value::Null;
    v.get("metadata").unwrap_or(&EMPTY)
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn nonnegative(errs: &mut Vec<FieldCause>, v: &Value, key: &str, path: &str) {
    if let Some(n) = int(v, key) {
        if n < 0 {
            errs.push(invalid_raw(
                format!("{path}.{key}"),
                &n.to_string(),
                "must be greater than or equal to 0",
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// ObjectMeta
// ---------------------------------------------------------------------------

/// `ValidateLabels`.
fn validate_labels(errs: &mut Vec<FieldCause>, labels: Option<&Map<String, Value>>, path: &str) {
    let Some(labels) = labels else { return };
    for (k, v) in labels {
        for m in is_qualified_name(k) {
            errs.push(invalid(path, k, &m));
        }
        let v = v.as_str().unwrap_or("");
        for m in is_label_value(v) {
            errs.push(invalid(path, v, &m));
        }
    }
}

/// `ValidateAnnotations`.
fn validate_annotations(errs: &mut Vec<FieldCause>, ann: Option<&Map<String, Value>>, path: &str) {
    let Some(ann) = ann else { return };
    let mut total = 0usize;
    for (k, v) in ann {
        for m in is_qualified_name(&k.to_lowercase()) {
            errs.push(invalid(path, k, &m));
        }
        total += k.len() + v.as_str().map_or(0, str::len);
    }
    const MAX: usize = 256 * 1024;
    if total > MAX {
        errs.push(FieldCause {
            reason: "FieldValueTooLong",
            field: path.into(),
            message: format!("Too long: may not be more than {MAX} bytes"),
        });
    }
}

/// `ValidateObjectMeta` (the parts a request can get wrong).
fn validate_object_meta(errs: &mut Vec<FieldCause>, obj: &Value, rule: NameRule) {
    let m = meta(obj);
    let generate = s(m, "generateName");
    if !generate.is_empty() {
        for msg in name_messages(rule, generate, true) {
            errs.push(invalid("metadata.generateName", generate, &msg));
        }
    }
    let name = s(m, "name");
    if rule != NameRule::None {
        if name.is_empty() {
            errs.push(required(
                "metadata.name",
                "name or generateName is required",
            ));
        } else {
            for msg in name_messages(rule, name, false) {
                errs.push(invalid("metadata.name", name, &msg));
            }
        }
    }
    validate_meta_common(errs, m, "metadata");
}

/// The checks `ValidateObjectMeta` shares with pod template metadata.
fn validate_meta_common(errs: &mut Vec<FieldCause>, m: &Value, path: &str) {
    if let Some(g) = int(m, "generation") {
        if g < 0 {
            errs.push(invalid_raw(
                format!("{path}.generation"),
                &g.to_string(),
                "must be greater than or equal to 0",
            ));
        }
    }
    validate_labels(errs, obj(m, "labels"), &format!("{path}.labels"));
    validate_annotations(errs, obj(m, "annotations"), &format!("{path}.annotations"));
    for (i, r) in arr(m, "ownerReferences").iter().enumerate() {
        let p = format!("{path}.ownerReferences[{i}]");
        if s(r, "apiVersion").is_empty() {
            errs.push(invalid(
                format!("{p}.apiVersion"),
                "",
                "version must not be empty",
            ));
        }
        if s(r, "kind").is_empty() {
            errs.push(invalid(format!("{p}.kind"), "", "kind must not be empty"));
        }
        if s(r, "name").is_empty() {
            errs.push(invalid(format!("{p}.name"), "", "name must not be empty"));
        }
        if s(r, "uid").is_empty() {
            errs.push(invalid(format!("{p}.uid"), "", "uid must not be empty"));
        }
    }
    for f in arr(m, "finalizers") {
        let f = f.as_str().unwrap_or("");
        for msg in is_qualified_name(f) {
            errs.push(invalid(format!("{path}.finalizers"), f, &msg));
        }
    }
}

/// `ValidateObjectMetaUpdate`: what may not change.
fn validate_object_meta_update(errs: &mut Vec<FieldCause>, new: &Value, old: &Value) {
    let (nm, om) = (meta(new), meta(old));
    for key in ["name", "namespace", "uid"] {
        let (a, b) = (s(nm, key), s(om, key));
        if a != b {
            errs.push(immutable(format!("metadata.{key}"), &go_quote(a)));
        }
    }
}

// ---------------------------------------------------------------------------
// Core kinds
// ---------------------------------------------------------------------------

fn validate_config_map(errs: &mut Vec<FieldCause>, o: &Value) {
    let data = obj(o, "data");
    let bin = obj(o, "binaryData");
    let mut total = 0usize;
    if let Some(data) = data {
        for (k, v) in data {
            for m in is_config_map_key(k) {
                errs.push(invalid(format!("data[{k}]"), k, &m));
            }
            if bin.is_some_and(|b| b.contains_key(k)) {
                errs.push(invalid(
                    format!("data[{k}]"),
                    k,
                    "duplicate of key present in binaryData",
                ));
            }
            total += v.as_str().map_or(0, str::len);
        }
    }
    if let Some(bin) = bin {
        for (k, v) in bin {
            for m in is_config_map_key(k) {
                errs.push(invalid(format!("binaryData[{k}]"), k, &m));
            }
            if data.is_some_and(|d| d.contains_key(k)) {
                errs.push(invalid(
                    format!("binaryData[{k}]"),
                    k,
                    "duplicate of key present in data",
                ));
            }
            total += v.as_str().map_or(0, |b| b.len() / 4 * 3);
        }
    }
    if total > 1024 * 1024 {
        errs.push(FieldCause {
            reason: "FieldValueTooLong",
            field: String::new(),
            message: "Too long: may not be more than 1048576 bytes".into(),
        });
    }
}

fn validate_secret(errs: &mut Vec<FieldCause>, o: &Value) {
    let data = obj(o, "data");
    if let Some(data) = data {
        for k in data.keys() {
            for m in is_config_map_key(k) {
                errs.push(invalid(format!("data[{k}]"), k, &m));
            }
        }
    }
    let has = |k: &str| data.is_some_and(|d| d.contains_key(k));
    let m = meta(o);
    match s(o, "type") {
        "kubernetes.io/service-account-token" => {
            let ok = m
                .get("annotations")
                .and_then(|a| a.get("kubernetes.io/service-account.name"))
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty());
            if !ok {
                errs.push(required(
                    "metadata.annotations[kubernetes.io/service-account.name]",
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" if !has(".dockercfg") => {
            errs.push(required("data[.dockercfg]", ""));
        }
        "kubernetes.io/dockerconfigjson" if !has(".dockerconfigjson") => {
            errs.push(required("data[.dockerconfigjson]", ""));
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            errs.push(required("data[username]", ""));
            errs.push(required("data[password]", ""));
        }
        "kubernetes.io/ssh-auth" if !has("ssh-privatekey") => {
            errs.push(required("data[ssh-privatekey]", ""));
        }
        "kubernetes.io/tls" => {
            if !has("tls.crt") {
                errs.push(required("data[tls.crt]", ""));
            }
            if !has("tls.key") {
                errs.push(required("data[tls.key]", ""));
            }
        }
        _ => {}
    }
}

const RESTART_POLICIES: &[&str] = &["Always", "Never", "OnFailure"];
const DNS_POLICIES: &[&str] = &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
const TERMINATION_MESSAGE_POLICIES: &[&str] = &["FallbackToLogsOnError", "File"];

fn validate_container(errs: &mut Vec<FieldCause>, c: &Value, path: &str) {
    let name = s(c, "name");
    if name.is_empty() {
        errs.push(required(format!("{path}.name"), ""));
    } else {
        for m in is_dns1123_label(name) {
            errs.push(invalid(format!("{path}.name"), name, &m));
        }
    }
    if s(c, "image").is_empty() {
        errs.push(required(format!("{path}.image"), ""));
    }
    match s(c, "terminationMessagePolicy") {
        "" => errs.push(required(format!("{path}.terminationMessagePolicy"), "")),
        p if TERMINATION_MESSAGE_POLICIES.contains(&p) => {}
        p => errs.push(not_supported(
            format!("{path}.terminationMessagePolicy"),
            p,
            TERMINATION_MESSAGE_POLICIES,
        )),
    }
    let mut port_names: Vec<&str> = Vec::new();
    for (i, p) in arr(c, "ports").iter().enumerate() {
        let pp = format!("{path}.ports[{i}]");
        let pname = s(p, "name");
        if !pname.is_empty() {
            for m in is_valid_port_name(pname) {
                errs.push(invalid(format!("{pp}.name"), pname, &m));
            }
            if port_names.contains(&pname) {
                errs.push(duplicate(format!("{pp}.name"), pname));
            } else {
                port_names.push(pname);
            }
        }
        match int(p, "containerPort") {
            None | Some(0) => errs.push(required(format!("{pp}.containerPort"), "")),
            Some(n) if !(1..=65535).contains(&n) => errs.push(invalid_raw(
                format!("{pp}.containerPort"),
                &n.to_string(),
                "must be between 1 and 65535, inclusive",
            )),
            _ => {}
        }
        if let Some(h) = int(p, "hostPort") {
            if h != 0 && !(1..=65535).contains(&h) {
                errs.push(invalid_raw(
                    format!("{pp}.hostPort"),
                    &h.to_string(),
                    "must be between 1 and 65535, inclusive",
                ));
            }
        }
        match s(p, "protocol") {
            "" => errs.push(required(format!("{pp}.protocol"), "")),
            pr if PROTOCOLS.contains(&pr) => {}
            pr => errs.push(not_supported(format!("{pp}.protocol"), pr, PROTOCOLS)),
        }
    }
    match s(c, "imagePullPolicy") {
        "" => errs.push(required(format!("{path}.imagePullPolicy"), "")),
        p if PULL_POLICIES.contains(&p) => {}
        p => errs.push(not_supported(
            format!("{path}.imagePullPolicy"),
            p,
            PULL_POLICIES,
        )),
    }
}

/// `IsValidPortName`.
fn is_valid_port_name(p: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if p.len() > 15 {
        errs.push(max_len_error(15));
    }
    if p.is_empty()
        || !p
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !p.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if p.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if p.starts_with('-') || p.ends_with('-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

fn validate_containers(
    errs: &mut Vec<FieldCause>,
    list: &[Value],
    path: &str,
    names: &mut Vec<String>,
) {
    for (i, c) in list.iter().enumerate() {
        let p = format!("{path}[{i}]");
        validate_container(errs, c, &p);
        let name = s(c, "name");
        if !name.is_empty() {
            if names.iter().any(|n| n == name) {
                errs.push(duplicate(format!("{p}.name"), name));
            } else {
                names.push(name.to_string());
            }
        }
    }
}

/// `ValidatePodSpec` (the commonly hit rules).
fn validate_pod_spec(errs: &mut Vec<FieldCause>, spec: &Value, path: &str) {
    let mut vol_names: Vec<&str> = Vec::new();
    for (i, v) in arr(spec, "volumes").iter().enumerate() {
        let p = format!("{path}.volumes[{i}].name");
        let n = s(v, "name");
        if n.is_empty() {
            errs.push(required(p, ""));
        } else {
            for m in is_dns1123_label(n) {
                errs.push(invalid(p.clone(), n, &m));
            }
            if vol_names.contains(&n) {
                errs.push(duplicate(p, n));
            } else {
                vol_names.push(n);
            }
        }
    }
    let containers = arr(spec, "containers");
    let mut names = Vec::new();
    if containers.is_empty() {
        errs.push(required(format!("{path}.containers"), ""));
    } else {
        validate_containers(errs, containers, &format!("{path}.containers"), &mut names);
    }
    validate_containers(
        errs,
        arr(spec, "initContainers"),
        &format!("{path}.initContainers"),
        &mut names,
    );
    match s(spec, "restartPolicy") {
        "" => errs.push(required(format!("{path}.restartPolicy"), "")),
        p if RESTART_POLICIES.contains(&p) => {}
        p => errs.push(not_supported(
            format!("{path}.restartPolicy"),
            p,
            RESTART_POLICIES,
        )),
    }
    match s(spec, "dnsPolicy") {
        "" => errs.push(required(format!("{path}.dnsPolicy"), "")),
        p if DNS_POLICIES.contains(&p) => {}
        p => errs.push(not_supported(format!("{path}.dnsPolicy"), p, DNS_POLICIES)),
    }
    if let Some(ns) = obj(spec, "nodeSelector") {
        validate_labels(errs, Some(ns), &format!("{path}.nodeSelector"));
    }
    let sa = s(spec, "serviceAccountName");
    if !sa.is_empty() {
        for m in is_dns1123_subdomain(sa) {
            errs.push(invalid(format!("{path}.serviceAccountName"), sa, &m));
        }
    }
    let node = s(spec, "nodeName");
    if !node.is_empty() {
        for m in is_dns1123_subdomain(node) {
            errs.push(invalid(format!("{path}.nodeName"), node, &m));
        }
    }
    if let Some(a) = int(spec, "activeDeadlineSeconds") {
        if a <= 0 {
            errs.push(invalid_raw(
                format!("{path}.activeDeadlineSeconds"),
                &a.to_string(),
                "must be between 1 and 2147483647, inclusive",
            ));
        }
    }
    let host = s(spec, "hostname");
    if !host.is_empty() {
        for m in is_dns1123_label(host) {
            errs.push(invalid(format!("{path}.hostname"), host, &m));
        }
    }
    let sub = s(spec, "subdomain");
    if !sub.is_empty() {
        for m in is_dns1123_label(sub) {
            errs.push(invalid(format!("{path}.subdomain"), sub, &m));
        }
    }
}

/// `ValidatePodTemplateSpec`: template metadata plus the pod spec.
fn validate_pod_template(errs: &mut Vec<FieldCause>, t: &Value, path: &str) {
    validate_meta_common(errs, meta(t), &format!("{path}.metadata"));
    static EMPTY: Value = Value::Null;
    validate_pod_spec(
        errs,
        t.get("spec").unwrap_or(&EMPTY),
        &format!("{path}.spec"),
    );
}

fn validate_pod(errs: &mut Vec<FieldCause>, o: &Value) {
    static EMPTY: Value = Value::Null;
    validate_pod_spec(errs, o.get("spec").unwrap_or(&EMPTY), "spec");
}

const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const AFFINITIES: &[&str] = &["ClientIP", "None"];

fn validate_service(errs: &mut Vec<FieldCause>, o: &Value) {
    static EMPTY: Value = Value::Null;
    let spec = o.get("spec").unwrap_or(&EMPTY);
    let ty = s(spec, "type");
    let ports = arr(spec, "ports");
    let headless = s(spec, "clusterIP") == "None";
    match ty {
        "" => errs.push(required("spec.type", "")),
        t if SERVICE_TYPES.contains(&t) => {}
        t => errs.push(not_supported("spec.type", t, SERVICE_TYPES)),
    }
    if ty == "ExternalName" {
        let en = s(spec, "externalName");
        if en.is_empty() {
            errs.push(required("spec.externalName", ""));
        }
    } else if ports.is_empty() && !headless {
        errs.push(required("spec.ports", ""));
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = format!("spec.ports[{i}]");
        let name = s(p, "name");
        if ports.len() > 1 && name.is_empty() {
            errs.push(required(format!("{pp}.name"), ""));
        } else if !name.is_empty() {
            for m in is_dns1123_label(name) {
                errs.push(invalid(format!("{pp}.name"), name, &m));
            }
            if names.contains(&name) {
                errs.push(duplicate(format!("{pp}.name"), name));
            } else {
                names.push(name);
            }
        }
        let port = int(p, "port").unwrap_or(0);
        if !(1..=65535).contains(&port) {
            errs.push(invalid_raw(
                format!("{pp}.port"),
                &port.to_string(),
                "must be between 1 and 65535, inclusive",
            ));
        }
        match s(p, "protocol") {
            "" => errs.push(required(format!("{pp}.protocol"), "")),
            pr if PROTOCOLS.contains(&pr) => {}
            pr => errs.push(not_supported(format!("{pp}.protocol"), pr, PROTOCOLS)),
        }
        match p.get("targetPort") {
            Some(Value::Number(n)) => {
                let t = n.as_i64().unwrap_or(0);
                if !(1..=65535).contains(&t) {
                    errs.push(invalid_raw(
                        format!("{pp}.targetPort"),
                        &t.to_string(),
                        "must be between 1 and 65535, inclusive",
                    ));
                }
            }
            Some(Value::String(t)) => {
                for m in is_valid_port_name(t) {
                    errs.push(invalid(format!("{pp}.targetPort"), t, &m));
                }
            }
            _ => {}
        }
    }
    if let Some(sel) = obj(spec, "selector") {
        validate_labels(errs, Some(sel), "spec.selector");
    }
    match s(spec, "sessionAffinity") {
        "" => errs.push(required("spec.sessionAffinity", "")),
        a if AFFINITIES.contains(&a) => {}
        a => errs.push(not_supported("spec.sessionAffinity", a, AFFINITIES)),
    }
}

fn validate_namespace_spec(errs: &mut Vec<FieldCause>, o: &Value) {
    static EMPTY: Value = Value::Null;
    let spec = o.get("spec").unwrap_or(&EMPTY);
    for f in arr(spec, "finalizers") {
        let f = f.as_str().unwrap_or("");
        let mut msgs = is_qualified_name(f);
        if msgs.is_empty()
            && !f.contains('/')
            && !["kubernetes", "orphan", "foregroundDeletion"].contains(&f)
        {
            msgs.push("name is neither a standard finalizer name nor is it fully qualified".into());
        }
        for m in msgs {
            errs.push(invalid("spec.finalizers", f, &m));
        }
    }
}

// ---------------------------------------------------------------------------
// apps, batch
// ---------------------------------------------------------------------------

/// `LabelSelectorAsSelector` + `Matches`, for `matchLabels` and the
/// set-based `matchExpressions`.
fn selector_matches(sel: &Value, labels: Option<&Map<String, Value>>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    if let Some(ml) = obj(sel, "matchLabels") {
        for (k, v) in ml {
            if get(k) != v.as_str() {
                return false;
            }
        }
    }
    for e in arr(sel, "matchExpressions") {
        let key = s(e, "key");
        let values: Vec<&str> = arr(e, "values").iter().filter_map(Value::as_str).collect();
        let have = get(key);
        let ok = match s(e, "operator") {
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => have.is_none_or(|h| !values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

fn selector_is_empty(sel: &Value) -> bool {
    obj(sel, "matchLabels").is_none_or(Map::is_empty) && arr(sel, "matchExpressions").is_empty()
}

/// Go's `%#v` of a `*metav1.LabelSelector` after `ErrorBody` dereferences it.
fn go_label_selector(sel: &Value) -> String {
    let ml = match obj(sel, "matchLabels") {
        None => "map[string]string(nil)".to_string(),
        Some(m) => go_map_literal(Some(m)),
    };
    let me = if arr(sel, "matchExpressions").is_empty() {
        "[]v1.LabelSelectorRequirement(nil)".to_string()
    } else {
        "[]v1.LabelSelectorRequirement{...}".to_string()
    };
    format!("v1.LabelSelector{{MatchLabels:{ml}, MatchExpressions:{me}}}")
}

const SELECTOR_OPERATORS: &[&str] = &["DoesNotExist", "Exists", "In", "NotIn"];

/// `ValidateLabelSelector`.
fn validate_label_selector(errs: &mut Vec<FieldCause>, sel: &Value, path: &str) {
    for (i, e) in arr(sel, "matchExpressions").iter().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        let op = s(e, "operator");
        let nvals = arr(e, "values").len();
        match op {
            "In" | "NotIn" => {
                if nvals == 0 {
                    errs.push(required(
                        format!("{p}.values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if nvals > 0 {
                    errs.push(forbidden(
                        format!("{p}.values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            _ => errs.push(not_supported(
                format!("{p}.operator"),
                op,
                SELECTOR_OPERATORS,
            )),
        }
        let key = s(e, "key");
        for m in is_qualified_name(key) {
            errs.push(invalid(format!("{p}.key"), key, &m));
        }
    }
    if let Some(ml) = obj(sel, "matchLabels") {
        validate_labels(errs, Some(ml), &format!("{path}.matchLabels"));
    }
}

/// Selector, template and replicas of the workload kinds
/// (`ValidateDeploymentSpec`, `ValidateReplicaSetSpec`, ...).
fn validate_workload_spec(
    errs: &mut Vec<FieldCause>,
    o: &Value,
    kind_word: &str,
    always_restart: bool,
) {
    static EMPTY: Value = Value::Null;
    let spec = o.get("spec").unwrap_or(&EMPTY);
    nonnegative(errs, spec, "replicas", "spec");
    let sel = spec.get("selector").filter(|v| v.is_object());
    match sel {
        None => errs.push(required("spec.selector", "")),
        Some(sel) => {
            validate_label_selector(errs, sel, "spec.selector");
            if selector_is_empty(sel) {
                errs.push(invalid_raw(
                    "spec.selector",
                    &go_label_selector(sel),
                    &format!("empty selector is invalid for {kind_word}"),
                ));
            }
        }
    }
    let template = spec.get("template").unwrap_or(&EMPTY);
    let tlabels = obj(meta(template), "labels");
    // A nil selector selects nothing; an empty one everything.
    let matches = match sel {
        None => false,
        Some(sel) => selector_is_empty(sel) || selector_matches(sel, tlabels),
    };
    if !matches {
        errs.push(invalid_raw(
            "spec.template.metadata.labels",
            &go_map_literal(tlabels),
            "`selector` does not match template `labels`",
        ));
    }
    validate_pod_template(errs, template, "spec.template");
    let rp = s(template.get("spec").unwrap_or(&EMPTY), "restartPolicy");
    if always_restart && RESTART_POLICIES.contains(&rp) && rp != "Always" {
        errs.push(not_supported(
            "spec.template.spec.restartPolicy",
            rp,
            &["Always"],
        ));
    }
    nonnegative(errs, spec, "minReadySeconds", "spec");
    nonnegative(errs, spec, "revisionHistoryLimit", "spec");
}

fn validate_deployment(errs: &mut Vec<FieldCause>, o: &Value) {
    validate_workload_spec(errs, o, "deployment", true);
    static EMPTY: Value = Value::Null;
    let spec = o.get("spec").unwrap_or(&EMPTY);
    let strategy = spec.get("strategy").unwrap_or(&EMPTY);
    match s(strategy, "type") {
        "RollingUpdate" => {}
        "Recreate" => {
            if strategy.get("rollingUpdate").is_some_and(|v| !v.is_null()) {
                errs.push(forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "" => errs.push(required("spec.strategy.type", "")),
        t => errs.push(not_supported(
            "spec.strategy.type",
            t,
            &["Recreate", "RollingUpdate"],
        )),
    }
    nonnegative(errs, spec, "progressDeadlineSeconds", "spec");
    if let Some(p) = int(spec, "progressDeadlineSeconds") {
        let min = int(spec, "minReadySeconds").unwrap_or(0);
        if p >= 0 && p <= min {
            errs.push(invalid_raw(
                "spec.progressDeadlineSeconds",
                &p.to_string(),
                "must be greater than minReadySeconds",
            ));
        }
    }
}

fn validate_job(errs: &mut Vec<FieldCause>, o: &Value) {
    static EMPTY: Value = Value::Null;
    let spec = o.get("spec").unwrap_or(&EMPTY);
    for k in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
    ] {
        nonnegative(errs, spec, k, "spec");
    }
    let template = spec.get("template").unwrap_or(&EMPTY);
    validate_pod_template(errs, template, "spec.template");
    let rp = s(template.get("spec").unwrap_or(&EMPTY), "restartPolicy");
    if rp == "Always" {
        errs.push(not_supported(
            "spec.template.spec.restartPolicy",
            rp,
            &["OnFailure", "Never"],
        ));
    }
}

// ---------------------------------------------------------------------------
// coordination, discovery
// ---------------------------------------------------------------------------

fn validate_lease(errs: &mut Vec<FieldCause>, o: &Value) {
    static EMPTY: Value = Value::Null;
    let spec = o.get("spec").unwrap_or(&EMPTY);
    if let Some(d) = int(spec, "leaseDurationSeconds") {
        if d <= 0 {
            errs.push(invalid_raw(
                "spec.leaseDurationSeconds",
                &d.to_string(),
                "must be greater than 0",
            ));
        }
    }
    nonnegative(errs, spec, "leaseTransitions", "spec");
}

fn ipv4_errors(address: &str) -> Vec<&'static str> {
    match address.parse::<std::net::Ipv4Addr>() {
        Err(_) => vec!["must be a valid IPv4 address"],
        Ok(ip) => {
            if ip.is_unspecified() {
                vec!["may not be unspecified (0.0.0.0, ::)"]
            } else if ip.is_loopback() {
                vec!["may not be in the loopback range (127.0.0.0/8, ::1/128)"]
            } else if ip.is_link_local() {
                vec!["may not be in the link-local range (169.254.0.0/16, fe80::/10)"]
            } else if ip.octets()[..3] == [224, 0, 0] {
                vec!["may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"]
            } else {
                vec![]
            }
        }
    }
}

fn ipv6_errors(address: &str) -> Vec<&'static str> {
    match address.parse::<std::net::Ipv6Addr>() {
        Err(_) => vec!["must be a valid IPv6 address"],
        Ok(ip) => {
            if ip.is_unspecified() {
                vec!["may not be unspecified (0.0.0.0, ::)"]
            } else if ip.is_loopback() {
                vec!["may not be in the loopback range (127.0.0.0/8, ::1/128)"]
            } else if ip.segments()[0] & 0xffc0 == 0xfe80 {
                vec!["may not be in the link-local range (169.254.0.0/16, fe80::/10)"]
            } else if ip.segments()[0] == 0xff02 {
                vec!["may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"]
            } else {
                vec![]
            }
        }
    }
}

const ADDRESS_TYPES: &[&str] = &["FQDN", "IPv4", "IPv6"];

fn validate_endpoint_slice(errs: &mut Vec<FieldCause>, o: &Value, update: bool) {
    let at = s(o, "addressType");
    if at.is_empty() {
        errs.push(required("addressType", ""));
    } else if !(ADDRESS_TYPES.contains(&at) || update && at == "IP") {
        let supported: &[&str] = if update {
            &["FQDN", "IP", "IPv4", "IPv6"]
        } else {
            ADDRESS_TYPES
        };
        errs.push(not_supported("addressType", at, supported));
    }
    for (i, e) in arr(o, "endpoints").iter().enumerate() {
        let ap = format!("endpoints[{i}].addresses");
        let addrs = arr(e, "addresses");
        if addrs.is_empty() {
            errs.push(required(ap.clone(), "must contain at least 1 address"));
        }
        for (j, a) in addrs.iter().enumerate() {
            let a = a.as_str().unwrap_or("");
            let p = format!("{ap}[{j}]");
            let msgs: Vec<String> = match at {
                "IPv4" => ipv4_errors(a).into_iter().map(String::from).collect(),
                "IPv6" => ipv6_errors(a).into_iter().map(String::from).collect(),
                "FQDN" => {
                    let trimmed = a.strip_suffix('.').unwrap_or(a);
                    if a.is_empty() {
                        errs.push(required(p.clone(), ""));
                        Vec::new()
                    } else {
                        let m = is_dns1123_subdomain(trimmed);
                        if !m.is_empty() {
                            vec![m.join(",")]
                        } else if trimmed.split('.').count() < 2 {
                            vec![
                                "should be a domain with at least two segments separated by dots"
                                    .into(),
                            ]
                        } else {
                            Vec::new()
                        }
                    }
                }
                _ => Vec::new(),
            };
            for m in msgs {
                errs.push(invalid(p.clone(), a, &m));
            }
        }
        if let Some(h) = e.get("hostname").and_then(Value::as_str) {
            for m in is_dns1123_label(h) {
                errs.push(invalid(format!("endpoints[{i}].hostname"), h, &m));
            }
        }
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, p) in arr(o, "ports").iter().enumerate() {
        let pp = format!("ports[{i}]");
        let name = s(p, "name");
        if !name.is_empty() {
            for m in is_dns1123_label(name) {
                errs.push(invalid(format!("{pp}.name"), name, &m));
            }
        }
        if names.contains(&name) {
            errs.push(duplicate(format!("{pp}.name"), name));
        } else {
            names.push(name);
        }
        match p.get("protocol").and_then(Value::as_str) {
            None => errs.push(required(format!("{pp}.protocol"), "")),
            Some(pr) if PROTOCOLS.contains(&pr) => {}
            Some(pr) => errs.push(not_supported(format!("{pp}.protocol"), pr, PROTOCOLS)),
        }
        if let Some(ap) = p.get("appProtocol").and_then(Value::as_str) {
            for m in is_qualified_name(ap) {
                errs.push(invalid(format!("{pp}.appProtocol"), ap, &m));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// The kind-specific rules shared by create and update.
fn validate_kind(errs: &mut Vec<FieldCause>, group: &str, resource: &str, o: &Value, update: bool) {
    match (group, resource) {
        ("", "configmaps") => validate_config_map(errs, o),
        ("", "secrets") => validate_secret(errs, o),
        ("", "pods") => validate_pod(errs, o),
        ("", "podtemplates") => {
            static EMPTY: Value = Value::Null;
            validate_pod_template(errs, o.get("template").unwrap_or(&EMPTY), "template");
        }
        ("", "services") => validate_service(errs, o),
        ("", "namespaces") => validate_namespace_spec(errs, o),
        ("apps", "deployments") => validate_deployment(errs, o),
        ("apps", "replicasets") => validate_workload_spec(errs, o, "replicaset", true),
        ("apps", "daemonsets") => validate_workload_spec(errs, o, "daemonset", true),
        ("apps", "statefulsets") => validate_workload_spec(errs, o, "statefulset", true),
        ("batch", "jobs") => validate_job(errs, o),
        ("coordination.k8s.io", "leases") => validate_lease(errs, o),
        ("discovery.k8s.io", "endpointslices") => validate_endpoint_slice(errs, o, update),
        _ => {}
    }
}

/// Checks the body decodes into the Go type (wrong JSON types → 400 text).
///
/// `Err` holds the whole message of the 400 BadRequest, e.g.
/// `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0`.
pub fn check_decodable(group: &str, version: &str, kind: &str, obj: &Value) -> Result<(), String> {
    let _ = group;
    match decode::check(kind, obj) {
        Ok(()) => Ok(()),
        Err(e) => Err(format!(
            "{kind} in version {} cannot be handled as a {kind}: {e}",
            go_quote(version)
        )),
    }
}

/// The first error Go's `encoding/json` gives decoding `obj` into the Go
/// type of `kind` (`json: cannot unmarshal string into Go struct field
/// DeleteOptions.gracePeriodSeconds of type int64`), without any prefix.
pub fn go_decode_error(kind: &str, obj: &Value) -> Option<String> {
    decode::check(kind, obj).err()
}

/// Validates an object to be created.
pub fn validate_create(group: &str, resource: &str, obj: &Value) -> Vec<FieldCause> {
    let mut errs = Vec::new();
    if !obj.is_object() {
        return errs;
    }
    validate_object_meta(&mut errs, obj, name_rule(group, resource));
    validate_kind(&mut errs, group, resource, obj, false);
    errs
}

/// Validates an update of `old` to `obj`.
pub fn validate_update(group: &str, resource: &str, obj: &Value, old: &Value) -> Vec<FieldCause> {
    let mut errs = Vec::new();
    if !obj.is_object() {
        return errs;
    }
    validate_object_meta_update(&mut errs, obj, old);
    match (group, resource) {
        ("", "secrets") | ("", "configmaps") => {
            let secret = resource == "secrets";
            if secret && s(obj, "type") != s(old, "type") {
                errs.push(immutable("type", &go_quote(s(obj, "type"))));
            }
            if old.get("immutable").and_then(Value::as_bool) == Some(true) {
                if obj.get("immutable").and_then(Value::as_bool) != Some(true) {
                    errs.push(forbidden(
                        "immutable",
                        "field is immutable when `immutable` is set",
                    ));
                }
                let norm = |v: Option<&Value>| {
                    v.filter(|d| d.as_object().is_some_and(|m| !m.is_empty()))
                        .cloned()
                };
                if norm(obj.get("data")) != norm(old.get("data")) {
                    errs.push(forbidden(
                        "data",
                        "field is immutable when `immutable` is set",
                    ));
                }
                if !secret && norm(obj.get("binaryData")) != norm(old.get("binaryData")) {
                    errs.push(forbidden(
                        "binaryData",
                        "field is immutable when `immutable` is set",
                    ));
                }
            }
        }
        ("apps", "deployments")
        | ("apps", "replicasets")
        | ("apps", "daemonsets")
        | ("apps", "statefulsets") => {
            let new_sel = obj.pointer("/spec/selector");
            if new_sel != old.pointer("/spec/selector") {
                errs.push(immutable(
                    "spec.selector",
                    &go_label_selector(new_sel.unwrap_or(&Value::Null)),
                ));
            }
        }
        ("discovery.k8s.io", "endpointslices") => {
            let (a, b) = (s(obj, "addressType"), s(old, "addressType"));
            if a != b {
                errs.push(immutable("addressType", &go_quote(a)));
            }
        }
        _ => {}
    }
    validate_object_meta(&mut errs, obj, name_rule(group, resource));
    validate_kind(&mut errs, group, resource, obj, true);
    errs
}

// ---------------------------------------------------------------------------
// Go JSON decode check
// ---------------------------------------------------------------------------

/// A tiny model of the Go types of the well-known fields, enough to produce
/// `json: cannot unmarshal X into Go struct field S.path of type T` and the
/// base64 error of `[]byte` fields exactly as `sigs.k8s.io/json` does.
mod decode {
    use serde_json::Value;

    /// A Go type.
    pub(super) enum T {
        /// A string type, with its Go name (`string`, `v1.Protocol`...).
        Str(&'static str),
        /// `bool`.
        Bool,
        /// An integer type (`int32`, `int64`).
        Int(&'static str, i64, i64),
        /// `[]byte`: a base64 string.
        Bytes,
        /// `map[string]X` with the Go name of the map type.
        Map(&'static str, &'static T),
        /// `[]X` with the Go name of the slice type.
        Slice(&'static str, &'static T),
        /// A struct: Go type name (`v1.PodSpec`), short name (`PodSpec`), fields.
        Struct(&'static str, &'static str, &'static [(&'static str, T)]),
    }

    use T::*;

    const STRING: T = Str("string");
    const INT32: T = Int("int32", i32::MIN as i64, i32::MAX as i64);
    const INT64: T = Int("int64", i64::MIN, i64::MAX);
    const MAP_SS: T = Map("map[string]string", &STRING);
    const STRINGS: T = Slice("[]string", &STRING);

    const OWNER_REF: T = Struct(
        "v1.OwnerReference",
        "OwnerReference",
        &[
            ("apiVersion", STRING),
            ("kind", STRING),
            ("name", STRING),
            ("uid", Str("types.UID")),
            ("controller", Bool),
            ("blockOwnerDeletion", Bool),
        ],
    );

    const OBJECT_META: T = Struct(
        "v1.ObjectMeta",
        "ObjectMeta",
        &[
            ("name", STRING),
            ("generateName", STRING),
            ("namespace", STRING),
            ("uid", Str("types.UID")),
            ("resourceVersion", STRING),
            ("generation", INT64),
            ("labels", MAP_SS),
            ("annotations", MAP_SS),
            ("ownerReferences", Slice("[]v1.OwnerReference", &OWNER_REF)),
            ("finalizers", STRINGS),
        ],
    );

    const CONTAINER_PORT: T = Struct(
        "v1.ContainerPort",
        "ContainerPort",
        &[
            ("name", STRING),
            ("hostPort", INT32),
            ("containerPort", INT32),
            ("protocol", Str("v1.Protocol")),
            ("hostIP", STRING),
        ],
    );

    const ENV_VAR: T = Struct(
        "v1.EnvVar",
        "EnvVar",
        &[("name", STRING), ("value", STRING)],
    );

    const CONTAINER: T = Struct(
        "v1.Container",
        "Container",
        &[
            ("name", STRING),
            ("image", STRING),
            ("command", STRINGS),
            ("args", STRINGS),
            ("workingDir", STRING),
            ("ports", Slice("[]v1.ContainerPort", &CONTAINER_PORT)),
            ("env", Slice("[]v1.EnvVar", &ENV_VAR)),
            ("terminationMessagePath", STRING),
            (
                "terminationMessagePolicy",
                Str("v1.TerminationMessagePolicy"),
            ),
            ("imagePullPolicy", Str("v1.PullPolicy")),
            ("stdin", Bool),
            ("stdinOnce", Bool),
            ("tty", Bool),
        ],
    );

    const POD_SPEC: T = Struct(
        "v1.PodSpec",
        "PodSpec",
        &[
            ("initContainers", Slice("[]v1.Container", &CONTAINER)),
            ("containers", Slice("[]v1.Container", &CONTAINER)),
            ("restartPolicy", Str("v1.RestartPolicy")),
            ("terminationGracePeriodSeconds", INT64),
            ("activeDeadlineSeconds", INT64),
            ("dnsPolicy", Str("v1.DNSPolicy")),
            ("nodeSelector", MAP_SS),
            ("serviceAccountName", STRING),
            ("serviceAccount", STRING),
            ("automountServiceAccountToken", Bool),
            ("nodeName", STRING),
            ("hostNetwork", Bool),
            ("hostPID", Bool),
            ("hostIPC", Bool),
            ("hostname", STRING),
            ("subdomain", STRING),
            ("schedulerName", STRING),
            ("priorityClassName", STRING),
            ("priority", INT32),
            ("enableServiceLinks", Bool),
        ],
    );

    const POD_TEMPLATE_SPEC: T = Struct(
        "v1.PodTemplateSpec",
        "PodTemplateSpec",
        &[("metadata", OBJECT_META), ("spec", POD_SPEC)],
    );

    const LABEL_SELECTOR: T = Struct(
        "v1.LabelSelector",
        "LabelSelector",
        &[("matchLabels", MAP_SS)],
    );

    const DEPLOYMENT_SPEC: T = Struct(
        "v1.DeploymentSpec",
        "DeploymentSpec",
        &[
            ("replicas", INT32),
            ("selector", LABEL_SELECTOR),
            ("template", POD_TEMPLATE_SPEC),
            ("minReadySeconds", INT32),
            ("revisionHistoryLimit", INT32),
            ("paused", Bool),
            ("progressDeadlineSeconds", INT32),
        ],
    );

    const SERVICE_PORT: T = Struct(
        "v1.ServicePort",
        "ServicePort",
        &[
            ("name", STRING),
            ("protocol", Str("v1.Protocol")),
            ("appProtocol", STRING),
            ("port", INT32),
            ("nodePort", INT32),
        ],
    );

    const SERVICE_SPEC: T = Struct(
        "v1.ServiceSpec",
        "ServiceSpec",
        &[
            ("ports", Slice("[]v1.ServicePort", &SERVICE_PORT)),
            ("selector", MAP_SS),
            ("clusterIP", STRING),
            ("clusterIPs", STRINGS),
            ("type", Str("v1.ServiceType")),
            ("externalIPs", STRINGS),
            ("sessionAffinity", Str("v1.ServiceAffinity")),
            ("externalName", STRING),
            ("publishNotReadyAddresses", Bool),
        ],
    );

    const NAMESPACE_SPEC: T = Struct(
        "v1.NamespaceSpec",
        "NamespaceSpec",
        &[(
            "finalizers",
            Slice("[]v1.FinalizerName", &Str("v1.FinalizerName")),
        )],
    );

    const LEASE_SPEC: T = Struct(
        "v1.LeaseSpec",
        "LeaseSpec",
        &[
            ("holderIdentity", STRING),
            ("leaseDurationSeconds", INT32),
            ("leaseTransitions", INT32),
        ],
    );

    const ENDPOINT_CONDITIONS: T = Struct(
        "v1.EndpointConditions",
        "EndpointConditions",
        &[("ready", Bool), ("serving", Bool), ("terminating", Bool)],
    );

    const ENDPOINT: T = Struct(
        "v1.Endpoint",
        "Endpoint",
        &[
            ("addresses", STRINGS),
            ("conditions", ENDPOINT_CONDITIONS),
            ("hostname", STRING),
            ("nodeName", STRING),
            ("zone", STRING),
        ],
    );

    const ENDPOINT_PORT: T = Struct(
        "v1.EndpointPort",
        "EndpointPort",
        &[
            ("name", STRING),
            ("protocol", Str("v1.Protocol")),
            ("port", INT32),
            ("appProtocol", STRING),
        ],
    );

    /// The top-level struct of `kind`, if modelled.
    fn top(kind: &str) -> Option<(&'static str, Vec<(&'static str, &'static T)>)> {
        const CM_FIELDS: &[(&str, T)] = &[
            ("metadata", OBJECT_META),
            ("immutable", Bool),
            ("data", MAP_SS),
            ("binaryData", Map("map[string][]uint8", &Bytes)),
        ];
        const SECRET_FIELDS: &[(&str, T)] = &[
            ("metadata", OBJECT_META),
            ("immutable", Bool),
            ("data", Map("map[string][]uint8", &Bytes)),
            ("stringData", MAP_SS),
            ("type", Str("v1.SecretType")),
        ];
        const POD_FIELDS: &[(&str, T)] = &[("metadata", OBJECT_META), ("spec", POD_SPEC)];
        const DEPLOY_FIELDS: &[(&str, T)] = &[("metadata", OBJECT_META), ("spec", DEPLOYMENT_SPEC)];
        const SVC_FIELDS: &[(&str, T)] = &[("metadata", OBJECT_META), ("spec", SERVICE_SPEC)];
        const NS_FIELDS: &[(&str, T)] = &[("metadata", OBJECT_META), ("spec", NAMESPACE_SPEC)];
        const LEASE_FIELDS: &[(&str, T)] = &[("metadata", OBJECT_META), ("spec", LEASE_SPEC)];
        const ES_FIELDS: &[(&str, T)] = &[
            ("metadata", OBJECT_META),
            ("addressType", Str("v1.AddressType")),
            ("endpoints", Slice("[]v1.Endpoint", &ENDPOINT)),
            ("ports", Slice("[]v1.EndpointPort", &ENDPOINT_PORT)),
        ];
        const META_ONLY: &[(&str, T)] = &[("metadata", OBJECT_META)];
        const DELETE_OPTIONS_FIELDS: &[(&str, T)] = &[
            ("kind", STRING),
            ("apiVersion", STRING),
            ("gracePeriodSeconds", INT64),
            (
                "preconditions",
                Struct(
                    "v1.Preconditions",
                    "Preconditions",
                    &[("uid", Str("types.UID")), ("resourceVersion", STRING)],
                ),
            ),
            ("orphanDependents", Bool),
            ("propagationPolicy", Str("v1.DeletionPropagation")),
            ("dryRun", STRINGS),
            ("ignoreStoreReadErrorWithClusterBreakingPotential", Bool),
        ];
        let (name, fields): (&'static str, &'static [(&'static str, T)]) = match kind {
            "ConfigMap" => ("ConfigMap", CM_FIELDS),
            "Secret" => ("Secret", SECRET_FIELDS),
            "Pod" => ("Pod", POD_FIELDS),
            "Deployment" => ("Deployment", DEPLOY_FIELDS),
            "Service" => ("Service", SVC_FIELDS),
            "Namespace" => ("Namespace", NS_FIELDS),
            "Lease" => ("Lease", LEASE_FIELDS),
            "EndpointSlice" => ("EndpointSlice", ES_FIELDS),
            "DeleteOptions" => ("DeleteOptions", DELETE_OPTIONS_FIELDS),
            "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "CronJob"
            | "ServiceAccount"
            | "ReplicationController"
            | "PodTemplate"
            | "Event" => (leak_name(kind), META_ONLY),
            _ => return None,
        };
        Some((name, fields.iter().map(|(k, t)| (*k, t)).collect()))
    }

    fn leak_name(kind: &str) -> &'static str {
        match kind {
            "ReplicaSet" => "ReplicaSet",
            "StatefulSet" => "StatefulSet",
            "DaemonSet" => "DaemonSet",
            "Job" => "Job",
            "CronJob" => "CronJob",
            "ServiceAccount" => "ServiceAccount",
            "ReplicationController" => "ReplicationController",
            "PodTemplate" => "PodTemplate",
            _ => "Event",
        }
    }

    fn json_kind(v: &Value) -> String {
        match v {
            Value::Null => "null".into(),
            Value::Bool(_) => "bool".into(),
            Value::Number(_) => "number".into(),
            Value::String(_) => "string".into(),
            Value::Array(_) => "array".into(),
            Value::Object(_) => "object".into(),
        }
    }

    fn go_name(t: &T) -> &'static str {
        match t {
            Str(n) => n,
            Bool => "bool",
            Int(n, _, _) => n,
            Bytes => "[]uint8",
            Map(n, _) | Slice(n, _) => n,
            Struct(n, _, _) => n,
        }
    }

    struct Ctx<'a> {
        strukt: &'a str,
        stack: Vec<&'a str>,
    }

    fn type_error(ctx: &Ctx<'_>, what: &str, t: &T) -> String {
        if ctx.stack.is_empty() {
            format!(
                "json: cannot unmarshal {what} into Go value of type {}",
                go_name(t)
            )
        } else {
            format!(
                "json: cannot unmarshal {what} into Go struct field {}.{} of type {}",
                ctx.strukt,
                ctx.stack.join("."),
                go_name(t)
            )
        }
    }

    fn walk<'a>(v: &Value, t: &'a T, ctx: &mut Ctx<'a>) -> Result<(), String> {
        if v.is_null() {
            return Ok(());
        }
        match (t, v) {
            (Str(_), Value::String(_)) | (Bool, Value::Bool(_)) => Ok(()),
            (Int(_, lo, hi), Value::Number(n)) => match n.as_i64() {
                Some(i) if i >= *lo && i <= *hi => Ok(()),
                _ => Err(type_error(ctx, &format!("number {n}"), t)),
            },
            (Bytes, Value::String(s)) => super::go_base64_check(s)
                .map_err(|off| format!("illegal base64 data at input byte {off}")),
            (Map(_, elem), Value::Object(m)) => {
                for x in m.values() {
                    walk(x, elem, ctx)?;
                }
                Ok(())
            }
            (Slice(_, elem), Value::Array(a)) => {
                for x in a {
                    walk(x, elem, ctx)?;
                }
                Ok(())
            }
            (Slice("[]uint8", _), Value::String(_)) => Ok(()),
            (Struct(_, short, fields), Value::Object(m)) => {
                let saved = ctx.strukt;
                for (k, x) in m {
                    if let Some((name, ft)) = fields.iter().find(|(n, _)| n == k) {
                        ctx.strukt = short;
                        ctx.stack.push(name);
                        let r = walk(x, ft, ctx);
                        ctx.stack.pop();
                        r?;
                    }
                }
                ctx.strukt = saved;
                Ok(())
            }
            _ => Err(type_error(ctx, &json_kind(v), t)),
        }
    }

    /// The first decode error of `obj` as kind `kind`, in document order.
    pub(super) fn check(kind: &str, obj: &Value) -> Result<(), String> {
        let Some((name, fields)) = top(kind) else {
            return Ok(());
        };
        let Some(m) = obj.as_object() else {
            return Ok(());
        };
        let mut ctx = Ctx {
            strukt: name,
            stack: Vec::new(),
        };
        for (k, x) in m {
            if let Some((fname, ft)) = fields.iter().find(|(n, _)| n == k) {
                ctx.strukt = name;
                ctx.stack.push(fname);
                let r = walk(x, ft, &mut ctx);
                ctx.stack.pop();
                r?;
            }
        }
        Ok(())
    }
}

/// `base64.StdEncoding.Decode`'s error offset for `s`, if it is invalid.
fn go_base64_check(s: &str) -> Result<(), usize> {
    let src = s.as_bytes();
    let valid = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let mut si = 0usize;
    loop {
        // One quantum of up to four characters (decodeQuantum).
        let mut j = 0usize;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(());
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if valid(c) {
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            // Padding.
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                return Err(si);
            }
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    fn cm(meta: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}})
    }

    #[test]
    fn golden_configmap_invalid_name() {
        let errs = validate_create(
            "",
            "configmaps",
            &cm(json!({"name": "Bad_Name.x", "namespace": "ns"})),
        );
        assert_eq!(
            errs,
            vec![FieldCause {
                reason: "FieldValueInvalid",
                field: "metadata.name".into(),
                message: format!("Invalid value: \"Bad_Name.x\": {SUBDOMAIN_MSG}"),
            }]
        );
    }

    #[test]
    fn golden_generate_name_invalid() {
        let errs = validate_create(
            "",
            "configmaps",
            &cm(json!({"generateName": "Bad_", "name": "Bad_x7k2q", "namespace": "ns"})),
        );
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].field, "metadata.generateName");
        assert_eq!(
            errs[0].message,
            format!("Invalid value: \"Bad_\": {SUBDOMAIN_MSG}")
        );
        assert_eq!(errs[1].field, "metadata.name");
        assert_eq!(
            errs[1].message,
            format!("Invalid value: \"Bad_x7k2q\": {SUBDOMAIN_MSG}")
        );
    }

    #[test]
    fn generate_name_trailing_dash_ok() {
        let errs = validate_create(
            "",
            "configmaps",
            &cm(json!({"generateName": "gen-", "name": "gen-abcde"})),
        );
        assert!(errs.is_empty(), "{errs:?}");
    }

    #[test]
    fn golden_namespace_and_service_labels() {
        let ns = json!({"metadata": {"name": "golden_Bad.Name"}});
        let errs = validate_create("", "namespaces", &ns);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].message,
            format!("Invalid value: \"golden_Bad.Name\": {LABEL_MSG}")
        );
        let svc = json!({"metadata": {"name": "Bad_Name.x"}, "spec": {
            "selector": {"app": "Bad_Name.x"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
            "type": "ClusterIP", "sessionAffinity": "None"}});
        let errs = validate_create("", "services", &svc);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            errs[0].message,
            format!("Invalid value: \"Bad_Name.x\": {LABEL_MSG}")
        );
    }

    #[test]
    fn label_with_dots_message() {
        assert_eq!(
            is_dns1123_label("a.b"),
            vec!["must not contain dots".to_string()]
        );
    }

    #[test]
    fn name_required() {
        let errs = validate_create("", "configmaps", &cm(json!({})));
        assert_eq!(
            errs,
            vec![required(
                "metadata.name",
                "name or generateName is required"
            )]
        );
        assert_eq!(
            errs[0].message,
            "Required value: name or generateName is required"
        );
    }

    #[test]
    fn golden_deployment_invalid_name_only() {
        let mut d = json!({"metadata": {"name": "Bad_Name.x"}, "spec": {"replicas": 1,
            "selector": {"matchLabels": {"app": "Bad_Name.x"}},
            "template": {"metadata": {"labels": {"app": "Bad_Name.x"}},
                "spec": {"containers": [{"name": "c", "image": "registry.example/nginx:1.27"}]}}}});
        let mut ctx = super::super::defaults::DefaultsContext::default();
        super::super::defaults::apply_defaults("apps", "Deployment", &mut d, None, &mut ctx);
        let errs = validate_create("apps", "deployments", &d);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].field, "metadata.name");
    }

    #[test]
    fn deployment_selector_required_and_mismatch() {
        let mut d = json!({"metadata": {"name": "d"}, "spec": {
            "template": {"metadata": {"labels": {"app": "x"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let mut ctx = super::super::defaults::DefaultsContext::default();
        super::super::defaults::apply_defaults("apps", "Deployment", &mut d, None, &mut ctx);
        let errs = validate_create("apps", "deployments", &d);
        let text: Vec<String> = errs
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        assert_eq!(
            text,
            vec![
                "spec.selector: Required value".to_string(),
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`".to_string(),
            ]
        );
    }

    #[test]
    fn pod_containers_required() {
        let mut p = json!({"metadata": {"name": "p"}, "spec": {}});
        let mut ctx = super::super::defaults::DefaultsContext::default();
        super::super::defaults::apply_defaults("", "Pod", &mut p, None, &mut ctx);
        let errs = validate_create("", "pods", &p);
        assert_eq!(errs, vec![required("spec.containers", "")]);
        let mut p = json!({"metadata": {"name": "p"}, "spec": {"containers": [{}]}});
        super::super::defaults::apply_defaults("", "Pod", &mut p, None, &mut ctx);
        let fields: Vec<&str> = validate_create("", "pods", &p)
            .iter()
            .map(|e| e.field.as_str())
            .map(|f| if f.ends_with("name") { "name" } else { "image" })
            .collect();
        assert_eq!(fields, vec!["name", "image"]);
    }

    #[test]
    fn configmap_bad_key() {
        let errs = validate_create(
            "",
            "configmaps",
            &json!({"metadata": {"name": "a"}, "data": {"bad key": "v"}}),
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "data[bad key]");
        assert_eq!(
            errs[0].message,
            "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
        );
    }

    #[test]
    fn secret_type_immutable() {
        let old = json!({"metadata": {"name": "s"}, "type": "Opaque"});
        let new = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}});
        let errs = validate_update("", "secrets", &new, &old);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].field, "type");
        assert_eq!(
            errs[0].message,
            "Invalid value: \"kubernetes.io/tls\": field is immutable"
        );
    }

    #[test]
    fn endpointslice_rules() {
        let es = json!({"metadata": {"name": "e"}, "endpoints": [{"addresses": ["10.1.2.3"]}],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]});
        assert_eq!(
            validate_create("discovery.k8s.io", "endpointslices", &es),
            vec![required("addressType", "")]
        );
        let es = json!({"metadata": {"name": "e"}, "addressType": "IPv5"});
        let errs = validate_create("discovery.k8s.io", "endpointslices", &es);
        assert_eq!(
            errs[0].message,
            "Unsupported value: \"IPv5\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""
        );
        let es = json!({"metadata": {"name": "e"}, "addressType": "IPv4", "endpoints": [{"addresses": ["nope"]}]});
        let errs = validate_create("discovery.k8s.io", "endpointslices", &es);
        assert_eq!(errs[0].field, "endpoints[0].addresses[0]");
        assert_eq!(
            errs[0].message,
            "Invalid value: \"nope\": must be a valid IPv4 address"
        );
    }

    #[test]
    fn golden_lease_invalid_name() {
        let l = json!({"metadata": {"name": "Bad_Name.x"}, "spec": {"holderIdentity": "h", "leaseDurationSeconds": 15}});
        let errs = validate_create("coordination.k8s.io", "leases", &l);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].message,
            format!("Invalid value: \"Bad_Name.x\": {SUBDOMAIN_MSG}")
        );
    }

    #[test]
    fn labels_validated() {
        let errs = validate_create(
            "",
            "configmaps",
            &cm(json!({"name": "a", "labels": {"a": "bad value"}})),
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "metadata.labels");
        assert!(errs[0]
            .message
            .starts_with("Invalid value: \"bad value\": a valid label must be an empty string"));
    }

    #[test]
    fn golden_secret_bad_base64() {
        let s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "obj-a"}, "data": {"k": "***"}});
        assert_eq!(
            check_decodable("", "v1", "Secret", &s),
            Err("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 0".into())
        );
        let ok = json!({"metadata": {"name": "a"}, "data": {"k": "dg=="}});
        assert_eq!(check_decodable("", "v1", "Secret", &ok), Ok(()));
    }

    #[test]
    fn base64_offsets() {
        assert_eq!(go_base64_check(""), Ok(()));
        assert_eq!(go_base64_check("dg=="), Ok(()));
        assert_eq!(go_base64_check("dmFs"), Ok(()));
        assert_eq!(go_base64_check("dg="), Err(3));
        assert_eq!(go_base64_check("abc"), Err(0));
        assert_eq!(go_base64_check("abcd*"), Err(4));
        assert_eq!(go_base64_check("dg==x"), Err(4));
    }

    #[test]
    fn decode_type_errors() {
        let c = json!({"metadata": {"name": "a", "labels": "x"}});
        assert_eq!(
            check_decodable("", "v1", "ConfigMap", &c),
            Err("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string".into())
        );
        let c = json!({"metadata": {"name": "a"}, "data": {"k": 1}});
        assert!(check_decodable("", "v1", "ConfigMap", &c)
            .unwrap_err()
            .ends_with(
                "json: cannot unmarshal number into Go struct field ConfigMap.data of type string"
            ));
        let d = json!({"spec": {"replicas": "3"}});
        assert!(check_decodable("apps", "v1", "Deployment", &d)
            .unwrap_err()
            .ends_with("cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"));
        let p = json!({"spec": {"containers": [{"name": 5}]}});
        assert!(check_decodable("", "v1", "Pod", &p)
            .unwrap_err()
            .ends_with("cannot unmarshal number into Go struct field Container.spec.containers.name of type string"));
    }

    #[test]
    fn odd_input_does_not_panic() {
        for v in [
            json!(null),
            json!([1]),
            json!("x"),
            json!({"metadata": 5, "spec": [1]}),
        ] {
            for (g, r) in [
                ("", "pods"),
                ("apps", "deployments"),
                ("", "services"),
                ("discovery.k8s.io", "endpointslices"),
            ] {
                let _ = validate_create(g, r, &v);
                let _ = validate_update(g, r, &v, &v);
            }
            let _ = check_decodable("", "v1", "Pod", &v);
        }
    }
}
