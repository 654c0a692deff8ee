//! `ApiError`: every failure on the path of a request, as the Kubernetes
//! `Status` the real apiserver would send.
//!
//! The constructors mirror apimachinery's `errors.NewXxx`
//! (`staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go`); user-facing
//! message formats are written here and nowhere else. Rendering (JSON, YAML,
//! pretty, the indented fallback) is `http::respond`'s job.

use crate::meta::status::{reason, Status, StatusCause, StatusDetails};

/// A failed request: a boxed `Status` plus how the body must be written when
/// the error comes from go-restful rather than the apiserver handler.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The Status body.
    pub status: Box<Status>,
    /// Seconds for a `Retry-After` header (set from `details.retryAfterSeconds`).
    pub retry_after: Option<u32>,
}

/// `Result` with `ApiError` as the default error.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.status.message, self.status.code)
    }
}

impl std::error::Error for ApiError {}

/// A group and a resource (or kind) as `schema.GroupResource.String()` prints
/// it: `resource.group`, or `resource` for the core group.
pub fn qualified(name: &str, group: &str) -> String {
    if group.is_empty() {
        name.to_string()
    } else {
        format!("{name}.{group}")
    }
}

impl ApiError {
    /// An error from a complete Status.
    pub fn from_status(status: Status) -> ApiError {
        let retry_after = status.details.as_ref().and_then(|d| d.retry_after_seconds);
        ApiError {
            status: Box::new(status),
            retry_after,
        }
    }

    /// The HTTP code.
    pub fn code(&self) -> u16 {
        self.status.code
    }

    /// `errors.NewNotFound`: `configmaps "x" not found`.
    pub fn not_found(group: &str, resource: &str, name: &str) -> ApiError {
        let mut s = Status::failure(
            404,
            reason::NOT_FOUND,
            format!("{} \"{name}\" not found", qualified(resource, group)),
        );
        s.details = Some(StatusDetails {
            name: name.into(),
            group: group.into(),
            kind: resource.into(),
            ..Default::default()
        });
        ApiError::from_status(s)
    }

    /// The 404 for an unknown resource or version of a known group
    /// (`errors.NewGenericServerResponse(404, ...)` in the not-found handler):
    /// `the server could not find the requested resource`, `details: {}`.
    pub fn resource_not_found() -> ApiError {
        let mut s = Status::failure(
            404,
            reason::NOT_FOUND,
            "the server could not find the requested resource",
        );
        s.details = Some(StatusDetails::default());
        ApiError::from_status(s)
    }

    /// `errors.NewAlreadyExists`: `deployments.apps "x" already exists`.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> ApiError {
        let mut s = Status::failure(
            409,
            reason::ALREADY_EXISTS,
            format!("{} \"{name}\" already exists", qualified(resource, group)),
        );
        s.details = Some(StatusDetails {
            name: name.into(),
            group: group.into(),
            kind: resource.into(),
            ..Default::default()
        });
        ApiError::from_status(s)
    }

    /// `errors.NewConflict`: `Operation cannot be fulfilled on <qualified> "<name>": <err>`.
    /// `what` is a resource for stale updates and a kind for delete preconditions
    /// (`rest.BeforeDelete` passes `GroupResource{Group, Resource: Kind}`).
    pub fn conflict(group: &str, what: &str, name: &str, err: &str) -> ApiError {
        let mut s = Status::failure(
            409,
            reason::CONFLICT,
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": {err}",
                qualified(what, group)
            ),
        );
        s.details = Some(StatusDetails {
            name: name.into(),
            group: group.into(),
            kind: what.into(),
            ..Default::default()
        });
        ApiError::from_status(s)
    }

    /// An update whose body names another object's `metadata.uid`: the
    /// storage's UID precondition (`storage.Preconditions.Check`, an
    /// `ErrCodeInvalidObj` StorageError) through `errors.NewConflict`.
    /// UNVERIFIED: text read from `apiserver/pkg/storage`, not recorded.
    pub fn update_uid_precondition(
        group: &str,
        resource: &str,
        name: &str,
        key: &str,
        want: &str,
        have: &str,
    ) -> ApiError {
        ApiError::conflict(
            group,
            resource,
            name,
            &format!(
                "StorageError: invalid object, Code: 4, Key: {key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {want}, UID in object meta: {have}"
            ),
        )
    }

    /// Server-side apply's typed conversion of the configuration failed
    /// (`structuredmerge.go`; a plain error, so 500 without a reason).
    pub fn typed_patch_failed(namespace: &str, name: &str, gvk: &str, errs: &str) -> ApiError {
        ApiError::unconverted(
            500,
            format!("failed to create typed patch object ({namespace}/{name}; {gvk}): {errs}"),
        )
    }

    /// The object server-side apply merged does not convert to the Go type
    /// (`structuredmerge.go` `toVersioned`; `runtime.DefaultUnstructuredConverter`
    /// wraps the decoder's error). UNVERIFIED: the inner `error decoding
    /// from json:` wrapping is read from `runtime/converter.go`.
    pub fn applied_object_unconvertible(
        namespace: &str,
        name: &str,
        gvk: &str,
        err: &str,
    ) -> ApiError {
        ApiError::unconverted(
            500,
            format!(
                "failed to convert new object ({namespace}/{name}; {gvk}) to proper version: error decoding from json: {err}"
            ),
        )
    }

    /// A DeleteOptions body that does not decode (`handlers/delete.go`:
    /// `errors.NewBadRequest(err.Error())`): nothing is deleted.
    pub fn delete_options_undecodable(err: &str) -> ApiError {
        ApiError::bad_request(err.to_string())
    }

    /// `checkName`: the object's name differs from the URL's (an empty
    /// name too: PUT never takes the name from the URL).
    pub fn name_mismatch(body_name: &str, url_name: &str) -> ApiError {
        ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({url_name})"
        ))
    }

    /// The conflict of an update with a stale `resourceVersion`
    /// (`storage.ErrCodeResourceVersionConflicts` through `errors.NewConflict`).
    pub fn stale_update(group: &str, resource: &str, name: &str) -> ApiError {
        ApiError::conflict(
            group,
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// `errors.NewInvalid`: `<Kind>[.<group>] "<name>" is invalid: <agg>`,
    /// where `<agg>` is one `field: message` or `[a, b]` for several
    /// (`utilerrors.NewAggregate`, exact duplicates dropped).
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<StatusCause>) -> ApiError {
        let mut parts: Vec<String> = Vec::new();
        for c in &causes {
            let p = if c.field.is_empty() {
                c.message.clone()
            } else {
                format!("{}: {}", c.field, c.message)
            };
            if !parts.contains(&p) {
                parts.push(p);
            }
        }
        let agg = if parts.len() == 1 {
            parts.remove(0)
        } else {
            format!("[{}]", parts.join(", "))
        };
        let mut s = Status::failure(
            422,
            reason::INVALID,
            format!("{} \"{name}\" is invalid: {agg}", qualified(kind, group)),
        );
        s.details = Some(StatusDetails {
            name: name.into(),
            group: group.into(),
            kind: kind.into(),
            causes,
            ..Default::default()
        });
        ApiError::from_status(s)
    }

    /// `errors.NewBadRequest`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::from_status(Status::failure(400, reason::BAD_REQUEST, message))
    }

    /// `errors.NewMethodNotSupported`: `<verb> is not supported on resources of kind "<resource>"`.
    pub fn method_not_supported(group: &str, resource: &str, verb: &str) -> ApiError {
        let mut s = Status::failure(
            405,
            reason::METHOD_NOT_ALLOWED,
            format!(
                "{verb} is not supported on resources of kind \"{}\"",
                qualified(resource, group)
            ),
        );
        s.details = Some(StatusDetails {
            group: group.into(),
            kind: resource.into(),
            ..Default::default()
        });
        ApiError::from_status(s)
    }

    /// 406 `NotAcceptable` with the given message (`negotiation.NewNotAcceptableError`
    /// or the go-restful route rejection, which has `details: {}`).
    pub fn not_acceptable(message: impl Into<String>, empty_details: bool) -> ApiError {
        let mut s = Status::failure(406, reason::NOT_ACCEPTABLE, message);
        if empty_details {
            s.details = Some(StatusDetails::default());
        }
        ApiError::from_status(s)
    }

    /// 415 `UnsupportedMediaType`.
    pub fn unsupported_media_type(message: impl Into<String>, empty_details: bool) -> ApiError {
        let mut s = Status::failure(415, reason::UNSUPPORTED_MEDIA_TYPE, message);
        if empty_details {
            s.details = Some(StatusDetails::default());
        }
        ApiError::from_status(s)
    }

    /// `errors.NewResourceExpired` (410, reason `Expired`).
    pub fn expired(message: impl Into<String>) -> ApiError {
        ApiError::from_status(Status::failure(410, reason::EXPIRED, message))
    }

    /// `storage.NewTooLargeResourceVersionError(requested, current, 1)` as
    /// converted to a 504 Timeout with a `ResourceVersionTooLarge` cause.
    pub fn too_large_resource_version(requested: u64, current: u64) -> ApiError {
        let mut s = Status::failure(
            504,
            reason::TIMEOUT,
            format!("Timeout: Too large resource version: {requested}, current: {current}"),
        );
        s.details = Some(StatusDetails {
            causes: vec![StatusCause {
                reason: "ResourceVersionTooLarge".into(),
                message: "Too large resource version".into(),
                field: String::new(),
            }],
            retry_after_seconds: Some(1),
            ..Default::default()
        });
        ApiError::from_status(s)
    }

    /// `errors.NewUnauthorized("")` as the authentication filter writes it.
    pub fn unauthorized() -> ApiError {
        ApiError::from_status(Status::failure(401, reason::UNAUTHORIZED, "Unauthorized"))
    }

    /// `errors.NewInternalError`: `Internal error occurred: <err>`.
    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        let mut s = Status::failure(
            500,
            reason::INTERNAL_ERROR,
            format!("Internal error occurred: {err}"),
        );
        s.details = Some(StatusDetails {
            causes: vec![StatusCause {
                message: err.to_string(),
                ..Default::default()
            }],
            ..Default::default()
        });
        ApiError::from_status(s)
    }

    /// A bare 500 with only a message and no reason, as the apiserver writes an
    /// unconverted storage error (seen for watch/get with `resourceVersion=abc`).
    pub fn unconverted(code: u16, message: impl Into<String>) -> ApiError {
        ApiError::from_status(Status::failure(code, "", message))
    }

    /// `errors.NewTooManyRequests(message, retryAfter)`: 429 `TooManyRequests`
    /// with `details.retryAfterSeconds` (and so a `Retry-After` header), as
    /// the watch cache answers while it (re)initializes
    /// (`storage is (re)initializing`).
    pub fn too_many_requests(message: impl Into<String>, retry_after: u32) -> ApiError {
        let mut s = Status::failure(429, reason::TOO_MANY_REQUESTS, message);
        s.details = Some(StatusDetails {
            retry_after_seconds: (retry_after > 0).then_some(retry_after),
            ..Default::default()
        });
        ApiError::from_status(s)
    }

    /// `errors.NewServiceUnavailable(reason)`: 503 `ServiceUnavailable`
    /// (`apiserver is shutting down` from the wait-group filter).
    pub fn service_unavailable(message: impl Into<String>) -> ApiError {
        ApiError::from_status(Status::failure(503, reason::SERVICE_UNAVAILABLE, message))
    }

    /// `errors.NewTimeoutError(message, retryAfter)`: 504 `Timeout`,
    /// message `Timeout: <message>`, `details` always present (`{}` when
    /// `retry_after` is 0).
    pub fn timeout(message: &str, retry_after: u32) -> ApiError {
        let mut s = Status::failure(504, reason::TIMEOUT, format!("Timeout: {message}"));
        s.details = Some(StatusDetails {
            retry_after_seconds: (retry_after > 0).then_some(retry_after),
            ..Default::default()
        });
        ApiError::from_status(s)
    }

    /// `errors.NewGone(message)`: 410 with the old reason `Gone`.
    pub fn gone(message: impl Into<String>) -> ApiError {
        ApiError::from_status(Status::failure(410, reason::GONE, message))
    }
}

/// One `field.Error` of apimachinery's validation package, ready to become a
/// `StatusCause`.
pub fn cause(reason: &str, field: &str, message: impl Into<String>) -> StatusCause {
    StatusCause {
        reason: reason.into(),
        message: message.into(),
        field: field.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_with_two_causes_brackets_the_aggregate() {
        let e = ApiError::invalid(
            "meta.k8s.io",
            "ListOptions",
            "",
            vec![
                cause("FieldValueForbidden", "a", "Forbidden: x"),
                cause("FieldValueNotSupported", "b", "Unsupported value: \"y\""),
            ],
        );
        assert_eq!(
            e.status.message,
            "ListOptions.meta.k8s.io \"\" is invalid: [a: Forbidden: x, b: Unsupported value: \"y\"]"
        );
        assert_eq!(e.code(), 422);
    }

    #[test]
    fn not_found_in_a_named_group_is_qualified() {
        let e = ApiError::not_found("apps", "deployments", "nope");
        assert_eq!(e.status.message, "deployments.apps \"nope\" not found");
    }

    #[test]
    fn too_large_resource_version_sets_retry_after() {
        let e = ApiError::too_large_resource_version(1005, 5);
        assert_eq!(e.retry_after, Some(1));
        assert_eq!(
            e.status.message,
            "Timeout: Too large resource version: 1005, current: 5"
        );
    }
}
