//! Every Status text of authentication and authorization, written once:
//! the 401 (`WithAuthentication`'s `Unauthorized`), the 403 of
//! `responsewriters.ForbiddenStatusError` and `forbiddenMessage`
//! (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go`)
//! wrapped by `apierrors.NewForbidden`, the RBAC escalation refusal
//! (`pkg/registry/rbac/validation/rule.go` `ConfirmNoEscalation`) and the
//! token and review validation errors.

use super::attributes::Attributes;
use crate::api::error::{qualified, ApiError};
use crate::meta::status::{reason, Status, StatusDetails};

/// The 401 every request with bad credentials (or none, with
/// `--anonymous-auth=false`) gets.
pub fn unauthorized() -> ApiError {
    ApiError::from_status(Status::failure(401, reason::UNAUTHORIZED, "Unauthorized"))
}

/// `forbiddenMessage`, with the HTML-ish characters escaped as the real
/// sanitizer does.
pub fn forbidden_message(user: &str, a: &Attributes) -> String {
    let msg = if !a.resource_request {
        format!("User \"{user}\" cannot {} path \"{}\"", a.verb, a.path)
    } else if !a.namespace.is_empty() {
        format!(
            "User \"{user}\" cannot {} resource \"{}\" in API group \"{}\" in the namespace \"{}\"",
            a.verb,
            a.combined_resource(),
            a.api_group,
            a.namespace
        )
    } else {
        format!(
            "User \"{user}\" cannot {} resource \"{}\" in API group \"{}\" at the cluster scope",
            a.verb,
            a.combined_resource(),
            a.api_group
        )
    };
    msg.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `apierrors.NewForbidden(gr, name, err)`.
pub fn new_forbidden(group: &str, resource: &str, name: &str, err: &str) -> ApiError {
    let message = if group.is_empty() && resource.is_empty() {
        format!("forbidden: {err}")
    } else if name.is_empty() {
        format!("{} is forbidden: {err}", qualified(resource, group))
    } else {
        format!(
            "{} \"{name}\" is forbidden: {err}",
            qualified(resource, group)
        )
    };
    let mut s = Status::failure(403, reason::FORBIDDEN, message);
    s.details = Some(StatusDetails {
        name: name.into(),
        group: group.into(),
        kind: resource.into(),
        ..Default::default()
    });
    ApiError::from_status(s)
}

/// `ForbiddenStatusError(attributes, reason)`: the 403 of a denied request.
pub fn forbidden(user: &str, a: &Attributes, why: &str) -> ApiError {
    let msg = forbidden_message(user, a);
    let err = if why.is_empty() {
        msg
    } else {
        format!("{msg}: {why}")
    };
    let (group, resource) = if a.resource_request {
        (a.api_group.as_str(), a.resource.as_str())
    } else {
        ("", "")
    };
    new_forbidden(group, resource, &a.name, &err)
}

/// The reason of a control-API refusal.
pub const CONTROL_API_REASON: &str = "the kubemock control API is only for system:masters";

/// `ConfirmNoEscalation`'s refusal: `user "x" (groups=["a" "b"]) is
/// attempting to grant RBAC permissions not currently held:\n{...}`.
pub fn escalation(
    resource: &str,
    name: &str,
    user: &str,
    groups: &[String],
    missing: &[String],
) -> ApiError {
    let groups = groups
        .iter()
        .map(|g| format!("{g:?}"))
        .collect::<Vec<_>>()
        .join(" ");
    let err = format!(
        "user \"{user}\" (groups=[{groups}]) is attempting to grant RBAC permissions not currently held:\n{}",
        missing.join("\n")
    );
    new_forbidden(super::rbac::GROUP, resource, name, &err)
}

/// A 422 with one `field: Invalid value: <value>: <detail>` cause.
pub fn invalid_value(
    group: &str,
    kind: &str,
    name: &str,
    field: &str,
    value: &str,
    detail: &str,
) -> ApiError {
    ApiError::invalid(
        group,
        kind,
        name,
        vec![crate::meta::status::StatusCause {
            reason: "FieldValueInvalid".into(),
            message: format!("Invalid value: {value}: {detail}"),
            field: field.into(),
        }],
    )
}

/// `spec.expirationSeconds` below ten minutes or above 2^32 seconds.
pub fn token_expiration(name: &str, seconds: i64) -> ApiError {
    let detail = if seconds < 600 {
        "may not specify a duration less than 10 minutes"
    } else {
        "may not specify a duration larger than 2^32 seconds"
    };
    invalid_value(
        "authentication.k8s.io",
        "TokenRequest",
        name,
        "spec.expirationSeconds",
        &seconds.to_string(),
        detail,
    )
}

/// A token bound to an object of a kind that cannot hold one.
pub fn token_bad_binding(kind: &str) -> ApiError {
    ApiError::bad_request(format!("cannot bind token to object of type {kind}"))
}

/// A token bound to a pod that runs as another service account.
pub fn token_pod_other_account(name: &str) -> ApiError {
    ApiError::bad_request(format!(
        "cannot bind token for serviceaccount {name:?} to pod running with different serviceaccount name."
    ))
}

/// A bound object reference whose uid is not the object's.
pub fn token_uid_mismatch(kind: &str, name: &str, uid: &str) -> ApiError {
    ApiError::conflict(
        "",
        kind,
        name,
        &format!("the UID in the bound object reference ({uid}) does not match the UID in record. The object might have been deleted and then recreated"),
    )
}

/// A review whose spec names both or neither attribute kinds.
pub fn review_attributes(group: &str, kind: &str, both: bool) -> ApiError {
    if both {
        invalid_value(
            group,
            kind,
            "",
            "spec.nonResourceAttributes",
            "\"{}\"",
            "cannot be specified in combination with resourceAttributes",
        )
    } else {
        invalid_value(
            group,
            kind,
            "",
            "spec.resourceAttributes",
            "\"null\"",
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )
    }
}

/// A SubjectAccessReview without a user or group.
pub fn review_no_subject(kind: &str) -> ApiError {
    invalid_value(
        "authorization.k8s.io",
        kind,
        "",
        "spec.user",
        "\"\"",
        "at least one of user or group must be specified",
    )
}

/// A LocalSubjectAccessReview for another namespace than its path's.
pub fn review_namespace(namespace: &str) -> ApiError {
    ApiError::bad_request(format!(
        "spec.resourceAttributes.namespace must match namespace: {namespace}"
    ))
}

/// A 400 for a body that is not a JSON object of the right kind.
pub fn bad_body(detail: &str) -> ApiError {
    ApiError::bad_request(format!("the body of the request was in an unknown format - accepted media types include: application/json: {detail}"))
}

/// Impersonation headers without a user to impersonate
/// (`buildImpersonationRequests`). UNVERIFIED: the real filter answers
/// this with a plain-text 500 `InternalError`; kubemock uses a 400 Status.
pub fn impersonation_without_user(what: &str) -> ApiError {
    ApiError::bad_request(format!("requested {what} without impersonating a user"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_texts_match_the_real_ones() {
        let a = Attributes::resource("list", "", "pods", "ns", "");
        let e = forbidden("system:serviceaccount:ns:sa", &a, "");
        assert_eq!(
            e.status.message,
            "pods is forbidden: User \"system:serviceaccount:ns:sa\" cannot list resource \"pods\" in API group \"\" in the namespace \"ns\""
        );
        assert_eq!(e.status.code, 403);
        let d = e.status.details.as_ref().expect("details");
        assert_eq!(
            (d.kind.as_str(), d.group.as_str(), d.name.as_str()),
            ("pods", "", "")
        );
        let mut named = Attributes::resource("get", "apps", "deployments", "", "web");
        named.subresource = "scale".into();
        assert_eq!(
            forbidden("bob", &named, "").status.message,
            "deployments.apps \"web\" is forbidden: User \"bob\" cannot get resource \"deployments/scale\" in API group \"apps\" at the cluster scope"
        );
        let path = Attributes::non_resource("get", "/api");
        let e = forbidden("system:anonymous", &path, "");
        assert_eq!(
            e.status.message,
            "forbidden: User \"system:anonymous\" cannot get path \"/api\""
        );
        assert_eq!(
            String::from_utf8(crate::api::encode::json_line(&e.status.to_value())).expect("utf-8"),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"forbidden: User \\\"system:anonymous\\\" cannot get path \\\"/api\\\"\",\"reason\":\"Forbidden\",\"details\":{},\"code\":403}\n"
        );
    }

    #[test]
    fn escalation_text() {
        let e = escalation(
            "roles",
            "r",
            "alice",
            &["system:authenticated".to_string()],
            &["{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}".to_string()],
        );
        assert_eq!(
            e.status.message,
            "roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}"
        );
    }
}
