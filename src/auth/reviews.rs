//! The create-only virtual resources of authentication and authorization,
//! answered with their filled status: SelfSubjectAccessReview,
//! LocalSubjectAccessReview, SubjectAccessReview, SelfSubjectRulesReview
//! (`pkg/registry/authorization/*`), SelfSubjectReview and TokenReview
//! (`pkg/registry/authentication/*`), and TokenRequest
//! (`serviceaccounts/token`, `pkg/registry/core/serviceaccount/storage/token.go`).
//! Nothing is stored.

use super::attributes::Attributes;
use super::error;
use super::jwt::{self, Claims, KubernetesClaims, Ref};
use super::rbac::PolicyRule;
use super::user::{self, UserInfo};
use super::Auth;
use crate::api::error::ApiError;
use crate::api::negotiate::{self, Capabilities, Endpoint, Format};
use crate::store::GroupResource;
use serde_json::{json, Value};

const AUTHZ: &str = "authorization.k8s.io";
const AUTHN: &str = "authentication.k8s.io";

/// Whether a request is the create of a virtual resource handled here.
pub fn handles(a: &Attributes) -> bool {
    if !a.resource_request || a.verb != "create" {
        return false;
    }
    match (
        a.api_group.as_str(),
        a.resource.as_str(),
        a.subresource.as_str(),
    ) {
        (
            AUTHZ,
            "selfsubjectaccessreviews" | "subjectaccessreviews" | "selfsubjectrulesreviews",
            "",
        ) => a.namespace.is_empty(),
        (AUTHZ, "localsubjectaccessreviews", "") => !a.namespace.is_empty(),
        (AUTHN, "selfsubjectreviews" | "tokenreviews", "") => a.namespace.is_empty(),
        ("", "serviceaccounts", "token") => !a.name.is_empty() && !a.namespace.is_empty(),
        _ => false,
    }
}

const CAPS: Capabilities = Capabilities {
    protobuf: true,
    table: false,
};

/// Answers the create: (status code, Content-Type, body). The body is
/// decoded per Content-Type (JSON, YAML, protobuf) and the answer encoded
/// per Accept, as the API layer does.
pub fn respond(
    auth: &Auth,
    user: &UserInfo,
    a: &Attributes,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<(u16, &'static str, Vec<u8>), ApiError> {
    let header = |n: http::header::HeaderName| headers.get(n).and_then(|v| v.to_str().ok());
    let negotiated =
        negotiate::negotiate_resource(header(http::header::ACCEPT), Endpoint::Write, CAPS)
            .map_err(|n| ApiError::not_acceptable(n.message, n.details_empty_object))?;
    let format =
        negotiate::check_request_content_type("POST", header(http::header::CONTENT_TYPE), CAPS)
            .map_err(|u| ApiError::unsupported_media_type(u.message, u.details_empty_object))?;
    let obj = crate::api::decode::decode_object(body, format, kind_of(a))?;
    let (code, value) = handle(auth, user, a, obj)?;
    let bytes = match negotiated.format {
        Format::Protobuf
            if crate::api::protobuf::supports(
                value
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                kind_of(a),
            ) =>
        {
            crate::api::protobuf::encode(&value).map_err(|e| ApiError::internal(e.0))?
        }
        Format::Yaml => serde_yaml::to_string(&value)
            .unwrap_or_default()
            .into_bytes(),
        _ => crate::api::encode::json_line(&value),
    };
    let ct = match negotiated.format {
        Format::Protobuf if bytes.starts_with(crate::api::protobuf::MAGIC) => {
            Format::Protobuf.media_type()
        }
        Format::Yaml => Format::Yaml.media_type(),
        _ => Format::Json.media_type(),
    };
    Ok((code, ct, bytes))
}

fn kind_of(a: &Attributes) -> &'static str {
    match a.resource.as_str() {
        "selfsubjectaccessreviews" => "SelfSubjectAccessReview",
        "subjectaccessreviews" => "SubjectAccessReview",
        "localsubjectaccessreviews" => "LocalSubjectAccessReview",
        "selfsubjectrulesreviews" => "SelfSubjectRulesReview",
        "selfsubjectreviews" => "SelfSubjectReview",
        "tokenreviews" => "TokenReview",
        _ => "TokenRequest",
    }
}

/// Answers the create of a decoded object: (status code, object).
pub fn handle(
    auth: &Auth,
    user: &UserInfo,
    a: &Attributes,
    mut obj: Value,
) -> Result<(u16, Value), ApiError> {
    if !obj.is_object() {
        return Err(error::bad_body("not an object"));
    }
    let kind = match a.resource.as_str() {
        "selfsubjectaccessreviews" => "SelfSubjectAccessReview",
        "subjectaccessreviews" => "SubjectAccessReview",
        "localsubjectaccessreviews" => "LocalSubjectAccessReview",
        "selfsubjectrulesreviews" => "SelfSubjectRulesReview",
        "selfsubjectreviews" => "SelfSubjectReview",
        "tokenreviews" => "TokenReview",
        _ => "TokenRequest",
    };
    let group = if a.api_group.is_empty() {
        AUTHN
    } else {
        a.api_group.as_str()
    };
    obj["kind"] = json!(kind);
    obj["apiVersion"] = json!(format!(
        "{group}/{}",
        if a.api_version.is_empty() {
            "v1"
        } else {
            &a.api_version
        }
    ));
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    let status = match kind {
        "SelfSubjectAccessReview" => access_review(auth, user, &obj, kind, None)?,
        "SubjectAccessReview" | "LocalSubjectAccessReview" => {
            let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
            let subject = UserInfo {
                name: str_at(&spec, "/user").to_string(),
                uid: str_at(&spec, "/uid").to_string(),
                groups: serde_json::from_value(spec.get("groups").cloned().unwrap_or(Value::Null))
                    .unwrap_or_default(),
                extra: serde_json::from_value(spec.get("extra").cloned().unwrap_or(Value::Null))
                    .unwrap_or_default(),
            };
            if subject.name.is_empty() && subject.groups.is_empty() {
                return Err(error::review_no_subject(kind));
            }
            let ns = (kind == "LocalSubjectAccessReview").then_some(a.namespace.as_str());
            if let Some(ns) = ns {
                obj["metadata"]["namespace"] = json!(ns);
            }
            access_review(auth, &subject, &obj, kind, ns)?
        }
        "SelfSubjectRulesReview" => {
            let ns = str_at(&obj, "/spec/namespace").to_string();
            rules_review(auth, user, &ns)
        }
        "SelfSubjectReview" => json!({"userInfo": user.to_value()}),
        "TokenReview" => token_review(auth, &obj),
        _ => return token_request(auth, a, obj),
    };
    if auth.creation_timestamp_null() {
        obj["metadata"]["creationTimestamp"] = Value::Null;
    }
    if kind == "SelfSubjectReview" && obj.get("spec").is_none() {
        // SelfSubjectReview has no spec.
    }
    obj["status"] = status;
    Ok((201, obj))
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// The attributes a review's spec asks about.
fn review_attributes(spec: &Value, kind: &str) -> Result<Attributes, ApiError> {
    let ra = spec.get("resourceAttributes").filter(|v| !v.is_null());
    let na = spec.get("nonResourceAttributes").filter(|v| !v.is_null());
    match (ra, na) {
        (Some(r), None) => {
            let mut a = Attributes::resource(
                str_at(r, "/verb"),
                str_at(r, "/group"),
                str_at(r, "/resource"),
                str_at(r, "/namespace"),
                str_at(r, "/name"),
            );
            a.subresource = str_at(r, "/subresource").to_string();
            a.api_version = str_at(r, "/version").to_string();
            Ok(a)
        }
        (None, Some(n)) => Ok(Attributes::non_resource(
            str_at(n, "/verb"),
            str_at(n, "/path"),
        )),
        (Some(_), Some(_)) => Err(error::review_attributes(AUTHZ, kind, true)),
        (None, None) => Err(error::review_attributes(AUTHZ, kind, false)),
    }
}

fn access_review(
    auth: &Auth,
    subject: &UserInfo,
    obj: &Value,
    kind: &str,
    local_ns: Option<&str>,
) -> Result<Value, ApiError> {
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let a = review_attributes(&spec, kind)?;
    if let Some(ns) = local_ns {
        if !a.resource_request {
            return Err(error::invalid_value(
                AUTHZ,
                kind,
                "",
                "spec.nonResourceAttributes",
                "\"{}\"",
                "disallowed on this kind of request",
            ));
        }
        if a.namespace != ns {
            return Err(error::review_namespace(ns));
        }
    }
    let (allowed, reason) = auth.authorize(subject, &a);
    let mut status = json!({"allowed": allowed});
    if !reason.is_empty() {
        status["reason"] = json!(reason);
    }
    Ok(status)
}

fn rules_review(auth: &Auth, user: &UserInfo, namespace: &str) -> Value {
    let (rules, errors) = auth.rules_for(user, namespace);
    let resource: Vec<Value> = rules
        .iter()
        .filter(|r| r.non_resource_urls.is_empty())
        .map(|r: &PolicyRule| {
            let mut v = json!({"verbs": r.verbs});
            if !r.api_groups.is_empty() {
                v["apiGroups"] = json!(r.api_groups);
            }
            if !r.resources.is_empty() {
                v["resources"] = json!(r.resources);
            }
            if !r.resource_names.is_empty() {
                v["resourceNames"] = json!(r.resource_names);
            }
            v
        })
        .collect();
    let non_resource: Vec<Value> = rules
        .iter()
        .filter(|r| !r.non_resource_urls.is_empty())
        .map(|r| json!({"verbs": r.verbs, "nonResourceURLs": r.non_resource_urls}))
        .collect();
    let mut status = json!({
        "resourceRules": resource,
        "nonResourceRules": non_resource,
        "incomplete": !errors.is_empty(),
    });
    if !errors.is_empty() {
        status["evaluationError"] = json!(errors.join(", "));
    }
    status
}

fn token_review(auth: &Auth, obj: &Value) -> Value {
    let token = str_at(obj, "/spec/token");
    let audiences: Vec<String> = obj
        .pointer("/spec/audiences")
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .unwrap_or_default();
    let want = audiences.first().map(String::as_str).unwrap_or(jwt::ISSUER);
    match auth.authenticate_token(token, want) {
        Some(u) => json!({
            "authenticated": true,
            "user": u.to_value(),
            "audiences": if audiences.is_empty() { vec![jwt::ISSUER.to_string()] } else { audiences },
        }),
        // UNVERIFIED: the real error text aggregates each authenticator's.
        None => json!({"user": {}, "error": "invalid bearer token"}),
    }
}

fn token_request(auth: &Auth, a: &Attributes, mut obj: Value) -> Result<(u16, Value), ApiError> {
    let state = auth.state();
    let sa = state
        .store
        .get(
            &GroupResource::new("", "serviceaccounts"),
            &a.namespace,
            &a.name,
        )
        .ok_or_else(|| ApiError::not_found("", "serviceaccounts", &a.name))?;
    let sa_uid = str_at(&sa, "/metadata/uid").to_string();
    let spec = obj.get("spec").cloned().unwrap_or(json!({}));
    let expiration = spec
        .get("expirationSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(3600);
    if !(600..=(1i64 << 32)).contains(&expiration) {
        return Err(error::token_expiration(&a.name, expiration));
    }
    let audiences: Vec<String> = spec
        .get("audiences")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .filter(|v: &Vec<String>| !v.is_empty())
        .unwrap_or_else(|| vec![jwt::ISSUER.to_string()]);
    let mut k8s = KubernetesClaims {
        namespace: a.namespace.clone(),
        serviceaccount: Ref {
            name: a.name.clone(),
            uid: sa_uid,
        },
        ..Default::default()
    };
    let bound = spec.get("boundObjectRef").filter(|v| !v.is_null());
    if let Some(r) = bound {
        let kind = str_at(r, "/kind");
        let name = str_at(r, "/name");
        let want_uid = str_at(r, "/uid");
        let resource = match kind {
            "Pod" => "pods",
            "Secret" => "secrets",
            other => {
                let api_version = str_at(r, "/apiVersion");
                let gvk = match api_version.split_once('/') {
                    Some((g, v)) => format!("{g}/{v}, Kind={other}"),
                    None => format!("/{api_version}, Kind={other}"),
                };
                return Err(error::token_bad_binding(&gvk));
            }
        };
        let target = state
            .store
            .get(&GroupResource::new("", resource), &a.namespace, name)
            .ok_or_else(|| ApiError::not_found("", resource, name))?;
        if kind == "Pod" {
            let runs_as = target
                .pointer("/spec/serviceAccountName")
                .and_then(Value::as_str)
                .unwrap_or("default");
            if runs_as != a.name {
                return Err(error::token_pod_other_account(&a.name));
            }
        }
        let uid = str_at(&target, "/metadata/uid").to_string();
        if !want_uid.is_empty() && want_uid != uid {
            return Err(error::token_uid_mismatch(kind, name, want_uid));
        }
        let reference = Some(Ref {
            name: name.to_string(),
            uid,
        });
        if kind == "Pod" {
            k8s.pod = reference;
        } else {
            k8s.secret = reference;
        }
    }
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        aud: audiences.clone(),
        exp: now + expiration,
        iat: now,
        iss: jwt::ISSUER.to_string(),
        jti: uuid::Uuid::new_v4().to_string(),
        kubernetes: k8s,
        nbf: now,
        sub: user::service_account_user(&a.namespace, &a.name),
    };
    let token = auth
        .signer()
        .sign(&claims)
        .map_err(|e| ApiError::internal(format!("signing the token: {e}")))?;
    let ts = |secs: i64| {
        chrono::DateTime::from_timestamp(secs, 0)
            .map(crate::meta::time::format_time)
            .unwrap_or_default()
    };
    obj["metadata"] = json!({
        "name": a.name,
        "namespace": a.namespace,
        "creationTimestamp": ts(now),
    });
    obj["spec"] = json!({
        "audiences": audiences,
        "expirationSeconds": expiration,
        "boundObjectRef": bound.cloned().unwrap_or(Value::Null),
    });
    obj["status"] = json!({"token": token, "expirationTimestamp": ts(claims.exp)});
    Ok((201, obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_virtual_creates_are_handled() {
        let mut a = Attributes::resource("create", AUTHZ, "selfsubjectaccessreviews", "", "");
        assert!(handles(&a));
        a.verb = "list".into();
        assert!(!handles(&a));
        let mut t = Attributes::resource("create", "", "serviceaccounts", "ns", "sa");
        t.subresource = "token".into();
        assert!(handles(&t));
        t.subresource = String::new();
        assert!(!handles(&t));
        assert!(handles(&Attributes::resource(
            "create",
            AUTHZ,
            "localsubjectaccessreviews",
            "ns",
            ""
        )));
        assert!(!handles(&Attributes::resource(
            "create",
            AUTHZ,
            "localsubjectaccessreviews",
            "",
            ""
        )));
    }

    #[test]
    fn review_specs() {
        let a = review_attributes(
            &json!({"resourceAttributes": {"verb": "get", "resource": "pods", "subresource": "log", "namespace": "ns"}}),
            "SelfSubjectAccessReview",
        )
        .expect("ok");
        assert_eq!(a.combined_resource(), "pods/log");
        let e = review_attributes(&json!({}), "SelfSubjectAccessReview").expect_err("neither");
        assert_eq!(e.status.code, 422);
        assert_eq!(
            e.status.message,
            "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified"
        );
    }
}
