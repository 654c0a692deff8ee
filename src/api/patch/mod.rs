//! PATCH bodies and the write options around them, as
//! `staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go` handles
//! them: JSON patch (RFC 6902), merge patch (RFC 7386), strategic merge patch
//! ([`strategic`]) and server-side apply ([`apply`]); the merge metadata of
//! the built-in types is [`schema`].
//!
//! Also the option checks every write shares (`ValidateCreateOptions`,
//! `ValidateUpdateOptions`, `ValidatePatchOptions`): `dryRun`,
//! `fieldManager`, `fieldValidation`, `force`.

pub mod apply;
pub mod schema;
pub mod strategic;
pub mod typed;

use crate::api::decode::{go_json_check, go_json_type};
use crate::api::error::{cause, ApiError, Result};
use crate::api::query::go_quote;
use crate::meta::status::{reason, Status, StatusDetails};
use serde_json::Value;

/// `fieldValidation` (default `Warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Unknown and duplicate fields are dropped silently.
    Ignore,
    /// Dropped, with a `Warning` header each (the default).
    Warn,
    /// A 400 `strict decoding error`.
    Strict,
}

impl FieldValidation {
    /// Parses a validated value (`""` is the default `Warn`).
    pub fn parse(v: Option<&str>) -> FieldValidation {
        match v.unwrap_or("") {
            "Ignore" => FieldValidation::Ignore,
            "Strict" => FieldValidation::Strict,
            _ => FieldValidation::Warn,
        }
    }
}

/// The query options of a write, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `fieldValidation`.
    pub field_validation: FieldValidation,
    /// `force` (apply only).
    pub force: bool,
}

/// The patch type of a PATCH, for the checks that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// Not a PATCH.
    None,
    /// JSON, merge or strategic merge patch.
    Patch,
    /// Server-side apply.
    Apply,
}

/// Go's `%v`-less `utilerrors` value printing of a string slice as the
/// field errors show it (`["Foo"]`).
pub(crate) fn json_strings(v: &[&str]) -> String {
    Value::Array(v.iter().map(|s| Value::String((*s).to_string())).collect()).to_string()
}

/// `Validate{Create,Update,Patch}Options`: 422 `<Kind>.meta.k8s.io "" is
/// invalid: ...` (`options_kind` is `CreateOptions`, `UpdateOptions` or
/// `PatchOptions`).
pub fn validate_options(
    options_kind: &str,
    dry_run: &[&str],
    field_manager: Option<&str>,
    field_validation: Option<&str>,
    force: Option<&str>,
    patch: PatchKind,
) -> Result<WriteOptions> {
    let mut causes = Vec::new();
    let manager = field_manager.unwrap_or("");
    match patch {
        PatchKind::Patch if force.is_some() => causes.push(cause(
            "FieldValueForbidden",
            "force",
            "Forbidden: may not be specified for non-apply patch",
        )),
        PatchKind::Apply if manager.is_empty() => causes.push(cause(
            "FieldValueRequired",
            "fieldManager",
            "Required value: is required for apply patch",
        )),
        _ => {}
    }
    if manager.len() > 128 {
        causes.push(cause(
            "FieldValueTooLong",
            "fieldManager",
            "Too long: must have at most 128 bytes",
        ));
    }
    // `ValidateFieldManager`: one cause per unprintable character, each
    // quoting the whole value, "(at position N)" a byte offset. The real
    // server's answer grows with the square of the value's length (a 30 KB
    // value of control characters is about 1 GB of causes); kubemock stops
    // after MAX_CHARACTER_CAUSES to bound its memory. UNVERIFIED: text from
    // apimachinery's `validation.go`; unicode.IsPrint taken as not control.
    const MAX_CHARACTER_CAUSES: usize = 64;
    let quoted = go_quote(manager);
    for (i, c) in manager
        .char_indices()
        .filter(|(_, c)| c.is_control())
        .take(MAX_CHARACTER_CAUSES)
    {
        causes.push(cause(
            "FieldValueInvalid",
            "fieldManager",
            format!(
                "Invalid value: {quoted}: invalid character U+{:04X} (at position {i})",
                c as u32
            ),
        ));
    }
    // UNVERIFIED: an empty `dryRun=` is refused like any other value, as the
    // query conversion keeps `[""]`.
    if dry_run.iter().any(|v| *v != "All") {
        causes.push(cause(
            "FieldValueNotSupported",
            "dryRun",
            format!(
                "Unsupported value: {}: supported values: \"All\"",
                json_strings(dry_run)
            ),
        ));
    }
    let fv = field_validation.unwrap_or("");
    if !matches!(fv, "" | "Ignore" | "Strict" | "Warn") {
        causes.push(cause(
            "FieldValueNotSupported",
            "fieldValidation",
            format!(
                "Unsupported value: {}: supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"",
                go_quote(fv)
            ),
        ));
    }
    if !causes.is_empty() {
        return Err(ApiError::invalid("meta.k8s.io", options_kind, "", causes));
    }
    // `Convert_Slice_string_To_Pointer_bool`: anything but 0/false/no is true.
    let force = force.is_some_and(|v| {
        !(v == "0" || v.eq_ignore_ascii_case("false") || v.eq_ignore_ascii_case("no"))
    });
    Ok(WriteOptions {
        dry_run: !dry_run.is_empty(),
        field_validation: FieldValidation::parse(field_validation),
        force,
    })
}

/// `errors.NewGenericServerResponse(422, ...)`: the message is replaced by
/// a fixed text and `details` is empty.
pub fn unprocessable() -> ApiError {
    let mut s = Status::failure(
        422,
        reason::INVALID,
        "the server rejected our request due to an error in our request",
    );
    s.details = Some(StatusDetails::default());
    ApiError::from_status(s)
}

/// The 400 of a patch body that does not decode (`kjson.UnmarshalStrict`).
fn decode_error(body: &[u8], go_type: &str) -> String {
    match go_json_check(body) {
        Err(e) => e,
        Ok(()) => match serde_json::from_slice::<Value>(body) {
            Ok(v) => format!(
                "json: cannot unmarshal {} into Go value of type {go_type}",
                go_json_type(&v)
            ),
            Err(e) => e.to_string(),
        },
    }
}

/// Parses a merge or strategic merge patch body as a JSON object (`null`
/// is an empty patch).
fn patch_map(body: &[u8]) -> std::result::Result<Value, String> {
    match go_json_check(body) {
        Err(e) => Err(e),
        Ok(()) => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Null) => Ok(Value::Object(Default::default())),
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(_) => Err(decode_error(body, "map[string]interface {}")),
            Err(e) => Err(e.to_string()),
        },
    }
}

/// Checks one JSON patch operation decodes into `handlers.jsonPatchOp`.
fn check_op(op: &Value) -> std::result::Result<(), String> {
    let Some(m) = op.as_object() else {
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type handlers.jsonPatchOp",
            go_json_type(op)
        ));
    };
    for f in ["op", "path", "from"] {
        if let Some(v) = m.get(f) {
            if !v.is_string() && !v.is_null() {
                return Err(format!(
                    "json: cannot unmarshal {} into Go struct field jsonPatchOp.{f} of type string",
                    go_json_type(v)
                ));
            }
        }
    }
    Ok(())
}

/// Applies a JSON patch (RFC 6902) body to `target`.
pub fn json_patch(target: &mut Value, body: &[u8]) -> Result<()> {
    let ops = match go_json_check(body).map(|()| serde_json::from_slice::<Value>(body)) {
        Err(e) => return Err(ApiError::bad_request(format!("error decoding patch: {e}"))),
        Ok(Err(e)) => return Err(ApiError::bad_request(format!("error decoding patch: {e}"))),
        Ok(Ok(Value::Array(ops))) => ops,
        Ok(Ok(Value::Null)) => Vec::new(),
        Ok(Ok(other)) => {
            return Err(ApiError::bad_request(format!(
                "error decoding patch: json: cannot unmarshal {} into Go value of type []handlers.jsonPatchOp",
                go_json_type(&other)
            )))
        }
    };
    for op in &ops {
        check_op(op).map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    }
    if ops.len() > 10000 {
        let mut s = Status::failure(
            413,
            "RequestEntityTooLarge",
            format!(
                "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got {}",
                ops.len()
            ),
        );
        s.details = None;
        return Err(ApiError::from_status(s));
    }
    // `value` defaults to null as in evanphx/json-patch.
    let ops: Vec<Value> = ops
        .into_iter()
        .map(|mut op| {
            if let Some(m) = op.as_object_mut() {
                let needs_value = matches!(
                    m.get("op").and_then(Value::as_str),
                    Some("add" | "replace" | "test")
                );
                if needs_value && !m.contains_key("value") {
                    m.insert("value".into(), Value::Null);
                }
            }
            op
        })
        .collect();
    let patch: json_patch::Patch =
        serde_json::from_value(Value::Array(ops)).map_err(|_| unprocessable())?;
    json_patch::patch(target, &patch).map_err(|_| unprocessable())
}

/// Applies a merge patch (RFC 7386) body to `target`.
pub fn merge_patch(target: &mut Value, body: &[u8]) -> Result<()> {
    let p =
        patch_map(body).map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    json_patch::merge(target, &p);
    Ok(())
}

/// Applies a strategic merge patch body to `target` of type `ty`.
pub fn strategic_merge_patch(target: &Value, body: &[u8], ty: schema::Ty) -> Result<Value> {
    let p = patch_map(body).map_err(ApiError::bad_request)?;
    strategic::apply(target.clone(), p, ty).map_err(|e| match e {
        strategic::SmpError::BadRequest(m) => ApiError::bad_request(m),
        strategic::SmpError::Unprocessable(_) => unprocessable(),
        strategic::SmpError::Internal(m) => ApiError::unconverted(500, m),
    })
}

/// The 422 of a patched object that does not decode into its type:
/// `errors.NewInvalid(schema.GroupKind{}, "", [patch: Invalid value: ...])`.
pub fn patched_object_invalid(shown: &str, err: &str) -> ApiError {
    let message = format!("Invalid value: {}: {err}", go_quote(shown));
    let mut s = Status::failure(
        422,
        reason::INVALID,
        format!(" \"\" is invalid: patch: {message}"),
    );
    s.details = Some(StatusDetails {
        causes: vec![cause("FieldValueInvalid", "patch", message)],
        ..Default::default()
    });
    ApiError::from_status(s)
}

/// The 415 of a patch type the endpoint does not take (custom resources
/// refuse strategic merge patch: `customresource_handler.go` lists only
/// JSON, merge and apply patches).
pub fn unsupported_patch_type_for_custom_resources() -> ApiError {
    ApiError::unsupported_media_type(
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
        false,
    )
}

/// The strict decoding error text of unknown fields.
pub fn strict_error(unknown: &[String]) -> String {
    let parts: Vec<String> = unknown
        .iter()
        .map(|p| format!("unknown field {}", go_quote(p)))
        .collect();
    format!("strict decoding error: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dry_run_values_are_checked() {
        let e = validate_options("CreateOptions", &["Foo"], None, None, None, PatchKind::None)
            .unwrap_err();
        assert_eq!(e.code(), 422);
        assert_eq!(
            e.status.message,
            "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: [\"Foo\"]: supported values: \"All\""
        );
        let ok = validate_options(
            "CreateOptions",
            &["All"],
            None,
            Some("Strict"),
            None,
            PatchKind::None,
        )
        .unwrap();
        assert!(ok.dry_run);
        assert_eq!(ok.field_validation, FieldValidation::Strict);
    }

    #[test]
    fn unprintable_field_manager_characters_are_named_with_their_position_and_bounded() {
        let e = validate_options(
            "CreateOptions",
            &[],
            Some("a\tb"),
            None,
            None,
            PatchKind::None,
        )
        .unwrap_err();
        assert_eq!(
            e.status.message,
            "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Invalid value: \"a\\tb\": invalid character U+0009 (at position 1)"
        );
        let long = "\r".repeat(10_000);
        let e = validate_options(
            "CreateOptions",
            &[],
            Some(&long),
            None,
            None,
            PatchKind::None,
        )
        .unwrap_err();
        let causes = e.status.details.as_ref().map_or(0, |d| d.causes.len());
        assert_eq!(causes, 1 + 64, "TooLong plus at most 64 character causes");
    }

    #[test]
    fn apply_needs_a_field_manager_and_patch_refuses_force() {
        let e =
            validate_options("PatchOptions", &[], None, None, None, PatchKind::Apply).unwrap_err();
        assert_eq!(
            e.status.message,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
        );
        let e = validate_options(
            "PatchOptions",
            &[],
            None,
            Some("x"),
            Some("true"),
            PatchKind::Patch,
        )
        .unwrap_err();
        assert_eq!(
            e.status.message,
            "PatchOptions.meta.k8s.io \"\" is invalid: [force: Forbidden: may not be specified for non-apply patch, fieldValidation: Unsupported value: \"x\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"]"
        );
    }

    #[test]
    fn json_patch_errors_match_the_server() {
        let mut cm = json!({"data": {"k": "v"}});
        let e = json_patch(&mut cm, br#"{"op":"add"}"#).unwrap_err();
        assert_eq!(
            e.status.message,
            "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"
        );
        let e = json_patch(&mut cm, br#"[{"op":"remove","path":"/data/missing"}]"#).unwrap_err();
        assert_eq!(e, unprocessable());
        json_patch(&mut cm, br#"[{"op":"add","path":"/data/k2","value":"v2"}]"#).unwrap();
        assert_eq!(cm, json!({"data": {"k": "v", "k2": "v2"}}));
        let e = merge_patch(&mut cm, b"[1]").unwrap_err();
        assert_eq!(
            e.status.message,
            "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        merge_patch(&mut cm, br#"{"data":{"k":null}}"#).unwrap();
        assert_eq!(cm, json!({"data": {"k2": "v2"}}));
    }
}
