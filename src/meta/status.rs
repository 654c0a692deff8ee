//! `metav1.Status`, the body of every error the apiserver returns
//! (`staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go`).
//!
//! Field order and `omitempty` rules follow the Go struct so the JSON is the
//! same byte for byte: `kind, apiVersion, metadata, status, message, reason,
//! details, code`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The reasons the apiserver puts in `Status.reason` (`metav1.StatusReason*`).
pub mod reason {
    /// 401.
    pub const UNAUTHORIZED: &str = "Unauthorized";
    /// 404.
    pub const NOT_FOUND: &str = "NotFound";
    /// 409 on create.
    pub const ALREADY_EXISTS: &str = "AlreadyExists";
    /// 409 on update/delete.
    pub const CONFLICT: &str = "Conflict";
    /// 410 (since 1.17; "Gone" before).
    pub const EXPIRED: &str = "Expired";
    /// 422.
    pub const INVALID: &str = "Invalid";
    /// 400.
    pub const BAD_REQUEST: &str = "BadRequest";
    /// 405.
    pub const METHOD_NOT_ALLOWED: &str = "MethodNotAllowed";
    /// 406.
    pub const NOT_ACCEPTABLE: &str = "NotAcceptable";
    /// 415.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UnsupportedMediaType";
    /// 504 and friends.
    pub const TIMEOUT: &str = "Timeout";
    /// 500.
    pub const INTERNAL_ERROR: &str = "InternalError";
    /// 403.
    pub const FORBIDDEN: &str = "Forbidden";
    /// 429.
    pub const TOO_MANY_REQUESTS: &str = "TooManyRequests";
    /// 503.
    pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";
    /// 410 before 1.17 (`errors.NewGone`).
    pub const GONE: &str = "Gone";
}

/// `metav1.Status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// Always `Status`.
    pub kind: String,
    /// Always `v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `ListMeta`; `{}` for errors, except an expired continue carries a new token.
    pub metadata: Map<String, Value>,
    /// `Success` or `Failure`; omitted when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// Human-readable message; omitted when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Machine-readable reason; omitted when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Extra data; omitted when absent (but `{}` is written when present and empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    /// HTTP code; omitted when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code: u16,
}

fn is_zero(v: &u16) -> bool {
    *v == 0
}

/// `metav1.StatusDetails`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusDetails {
    /// Object name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// API group.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Kind, or the plural resource (NotFound and friends use the resource).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Object uid.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// Field causes, in the order they were found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    /// Seconds to wait before retrying; also sets the `Retry-After` header.
    #[serde(
        rename = "retryAfterSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_after_seconds: Option<u32>,
}

/// `metav1.StatusCause`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusCause {
    /// `FieldValueInvalid`, `FieldValueForbidden`, ...
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The message without the field prefix.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The field path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
}

impl Status {
    /// A `Failure` status with the given code, reason and message.
    pub fn failure(code: u16, reason: &str, message: impl Into<String>) -> Status {
        Status {
            kind: "Status".into(),
            api_version: "v1".into(),
            metadata: Map::new(),
            status: "Failure".into(),
            message: message.into(),
            reason: reason.into(),
            details: None,
            code,
        }
    }

    /// A `Success` status (used by DELETE of most resources).
    pub fn success(details: StatusDetails) -> Status {
        Status {
            kind: "Status".into(),
            api_version: "v1".into(),
            metadata: Map::new(),
            status: "Success".into(),
            message: String::new(),
            reason: String::new(),
            details: Some(details),
            code: 0,
        }
    }

    /// The status as a JSON value (for watch ERROR events and encoders).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_status_serialises_in_go_field_order() {
        let mut s = Status::failure(404, reason::NOT_FOUND, "secrets \"x\" not found");
        s.details = Some(StatusDetails {
            name: "x".into(),
            kind: "secrets".into(),
            ..Default::default()
        });
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"secrets"},"code":404}"#
        );
    }

    #[test]
    fn empty_details_are_written_as_an_empty_object() {
        let mut s = Status::failure(404, reason::NOT_FOUND, "m");
        s.details = Some(StatusDetails::default());
        assert!(serde_json::to_string(&s)
            .unwrap()
            .contains(r#""details":{}"#));
    }
}
