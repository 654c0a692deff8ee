//! Who may do what: authentication, authorization and impersonation as a
//! default kube-apiserver has them, as one filter that puts the
//! [`UserInfo`] on the request (an http extension) before the API layer.
//!
//! The filter mirrors `DefaultBuildHandlerChain`'s order
//! (`staging/src/k8s.io/apiserver/pkg/server/config.go`):
//! `WithAuthentication` (client certificate, then bearer token: the admin
//! token, `--token-auth-file`, ServiceAccount JWTs; else anonymous when
//! `--anonymous-auth`, else 401), `WithImpersonation`, `WithAuthorization`
//! (`system:masters` always, then RBAC or AlwaysAllow; 403 with the real
//! text). After authorization, the create-only review resources and
//! TokenRequest are answered here ([`reviews`]), and RBAC's escalation
//! check guards Role and binding writes ([`escalation`]).
//!
//! Modules: [`user`] (the user type and names), [`attributes`] (request
//! attributes), [`rbac`] (evaluation), [`policy`] (bootstrap policy and
//! aggregation), [`token_file`], [`x509`] (client certificates), [`jwt`]
//! (ServiceAccount tokens), [`impersonate`], [`reviews`], [`error`] (every
//! Status text).

pub mod attributes;
pub mod error;
pub mod escalation;
pub mod impersonate;
pub mod jwt;
pub mod policy;
pub mod rbac;
pub mod reviews;
pub mod token_file;
pub mod user;
pub mod x509;

pub use user::UserInfo;

use crate::api::error::ApiError;
use crate::api::{ApiRequest, ApiState};
use crate::store::GroupResource;
use attributes::Attributes;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// `--authorization-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthorizationMode {
    /// Role-based access control over the store's RBAC objects (default).
    #[default]
    Rbac,
    /// Every authenticated (or anonymous) request is allowed.
    AlwaysAllow,
}

impl std::str::FromStr for AuthorizationMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "RBAC" => Ok(AuthorizationMode::Rbac),
            "AlwaysAllow" => Ok(AuthorizationMode::AlwaysAllow),
            other => Err(format!(
                "unknown authorization mode {other:?}; supported: RBAC, AlwaysAllow"
            )),
        }
    }
}

/// An extra user `kubemock serve --user NAME:GROUP,...` writes a
/// client-certificate kubeconfig for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    /// User name (certificate CN).
    pub name: String,
    /// Groups (certificate O).
    pub groups: Vec<String>,
}

impl std::str::FromStr for UserSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // Groups follow the last colon; a name with colons of its own
        // ends with one (`system:kube-scheduler:`).
        let (name, groups) = s.rsplit_once(':').unwrap_or((s, ""));
        if name.is_empty() {
            return Err(format!(
                "--user {s:?}: empty user name (want NAME[:GROUP,...])"
            ));
        }
        Ok(UserSpec {
            name: name.to_string(),
            groups: groups
                .split(',')
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

/// The authentication and authorization options of a server.
#[derive(Debug, Clone)]
pub struct AuthOptions {
    /// `--token-auth-file`.
    pub token_auth_file: Option<PathBuf>,
    /// `--anonymous-auth` (default true).
    pub anonymous: bool,
    /// `--authorization-mode`.
    pub mode: AuthorizationMode,
    /// `--user`: extra client-certificate users.
    pub users: Vec<UserSpec>,
}

impl Default for AuthOptions {
    fn default() -> Self {
        AuthOptions {
            token_auth_file: None,
            anonymous: true,
            mode: AuthorizationMode::Rbac,
            users: Vec::new(),
        }
    }
}

/// The user a verified client certificate names, put on each request of
/// its connection by the accept loop.
#[derive(Debug, Clone)]
pub struct PeerCertificate(pub UserInfo);

/// The authenticators and the authorizer of one server.
pub struct Auth {
    state: Arc<ApiState>,
    tokens: HashMap<String, UserInfo>,
    anonymous: bool,
    mode: AuthorizationMode,
    /// `--insecure-http`: no credentials; every request is [`user::UNSECURED`].
    insecure: bool,
    signer: jwt::Signer,
    rbac: rbac::Cache,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("anonymous", &self.anonymous)
            .field("mode", &self.mode)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Builds the authenticators: the admin token (`kubemock-admin` in
    /// `system:masters`) and the token file's tokens. `admin_token: None`
    /// means `--insecure-http`.
    pub fn new(
        state: Arc<ApiState>,
        admin_token: Option<&str>,
        opts: &AuthOptions,
    ) -> anyhow::Result<Auth> {
        let mut tokens = match &opts.token_auth_file {
            Some(p) => token_file::read(p)?,
            None => HashMap::new(),
        };
        if let Some(t) = admin_token {
            tokens.insert(
                t.to_string(),
                UserInfo::new(user::ADMIN, &[user::SYSTEM_MASTERS]),
            );
        }
        Ok(Auth {
            state,
            tokens,
            anonymous: opts.anonymous,
            mode: opts.mode,
            insecure: admin_token.is_none(),
            signer: jwt::Signer::generate()?,
            rbac: rbac::Cache::default(),
        })
    }

    /// The API state.
    pub fn state(&self) -> &Arc<ApiState> {
        &self.state
    }

    /// The ServiceAccount token signer.
    pub fn signer(&self) -> &jwt::Signer {
        &self.signer
    }

    /// Whether anonymous requests are allowed to authenticate.
    pub fn anonymous(&self) -> bool {
        self.anonymous
    }

    /// Whether new objects carry `creationTimestamp: null` (the profile).
    fn creation_timestamp_null(&self) -> bool {
        self.state.profile.creation_timestamp_null
    }

    /// The user of a bearer token (static or a ServiceAccount JWT for
    /// `audience`), with `system:authenticated`; `None` when invalid.
    pub fn authenticate_token(&self, token: &str, audience: &str) -> Option<UserInfo> {
        if let Some(u) = self.tokens.get(token) {
            return Some(u.clone().with_authenticated());
        }
        if !jwt::looks_like_jwt(token) {
            return None;
        }
        let claims = self
            .signer
            .verify(token, audience, chrono::Utc::now().timestamp())
            .ok()?;
        self.service_account_user(&claims)
    }

    /// The user of verified claims, when the service account (and the
    /// bound object) still exist with the uids of the token.
    fn service_account_user(&self, c: &jwt::Claims) -> Option<UserInfo> {
        let k = &c.kubernetes;
        let (ns, name) = user::split_service_account(&c.sub)?;
        if ns != k.namespace || name != k.serviceaccount.name {
            return None;
        }
        let store = &self.state.store;
        let uid_of = |resource: &str, n: &str| {
            store
                .get(&GroupResource::new("", resource), ns, n)
                .and_then(|o| {
                    o.pointer("/metadata/uid")
                        .and_then(|u| u.as_str())
                        .map(str::to_string)
                })
        };
        if uid_of("serviceaccounts", name)? != k.serviceaccount.uid {
            return None;
        }
        let mut u = UserInfo {
            name: c.sub.clone(),
            uid: k.serviceaccount.uid.clone(),
            groups: user::service_account_groups(ns),
            ..Default::default()
        };
        if let Some(p) = &k.pod {
            if uid_of("pods", &p.name)? != p.uid {
                return None;
            }
            u.extra.insert(
                "authentication.kubernetes.io/pod-name".into(),
                vec![p.name.clone()],
            );
            u.extra.insert(
                "authentication.kubernetes.io/pod-uid".into(),
                vec![p.uid.clone()],
            );
        }
        if let Some(s) = &k.secret {
            if uid_of("secrets", &s.name)? != s.uid {
                return None;
            }
        }
        if !c.jti.is_empty() {
            u.extra.insert(
                "authentication.kubernetes.io/credential-id".into(),
                vec![format!("JTI={}", c.jti)],
            );
        }
        Some(u.with_authenticated())
    }

    /// `WithAuthentication`: the user of a request, or `None` (401).
    pub fn authenticate(&self, req: &Request) -> Option<UserInfo> {
        if self.insecure {
            return Some(UserInfo::new(
                user::UNSECURED,
                &[user::SYSTEM_MASTERS, user::AUTHENTICATED],
            ));
        }
        if let Some(PeerCertificate(u)) = req.extensions().get::<PeerCertificate>() {
            return Some(u.clone().with_authenticated());
        }
        let header = req.headers().get(http::header::AUTHORIZATION);
        match header {
            Some(value) => {
                let value = value.to_str().ok()?;
                let (scheme, token) = value.trim().split_once(' ')?;
                let token = token.trim();
                if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
                    return None;
                }
                self.authenticate_token(token, jwt::ISSUER)
            }
            None if self.anonymous => Some(UserInfo::anonymous()),
            None => None,
        }
    }

    /// `WithAuthorization`: allowed, and the reason.
    pub fn authorize(&self, u: &UserInfo, a: &Attributes) -> (bool, String) {
        if u.in_group(user::SYSTEM_MASTERS) || self.mode == AuthorizationMode::AlwaysAllow {
            return (true, String::new());
        }
        let d = self.rbac.index(&self.state.store).authorize(u, a);
        (d.allowed_by.is_some(), d.reason())
    }

    /// As [`Auth::authorize`], without building the reason of an allowed
    /// request (the filter's path).
    pub fn check(&self, u: &UserInfo, a: &Attributes) -> (bool, String) {
        if u.in_group(user::SYSTEM_MASTERS) || self.mode == AuthorizationMode::AlwaysAllow {
            return (true, String::new());
        }
        let ix = self.rbac.index(&self.state.store);
        if ix.allows(u, a) {
            return (true, String::new());
        }
        (false, ix.authorize(u, a).reason())
    }

    /// `RulesFor`: every rule that applies to the user in a namespace.
    pub fn rules_for(&self, u: &UserInfo, namespace: &str) -> (Vec<rbac::PolicyRule>, Vec<String>) {
        let mut rules = Vec::new();
        if u.in_group(user::SYSTEM_MASTERS) || self.mode == AuthorizationMode::AlwaysAllow {
            let star = || vec!["*".to_string()];
            rules.push(rbac::PolicyRule {
                verbs: star(),
                api_groups: star(),
                resources: star(),
                ..Default::default()
            });
            rules.push(rbac::PolicyRule {
                verbs: star(),
                non_resource_urls: star(),
                ..Default::default()
            });
        }
        let (more, errors) = self.rbac.index(&self.state.store).rules_for(u, namespace);
        rules.extend(more);
        (rules, errors)
    }

    /// The RBAC index of the newest state.
    pub fn rbac_index(&self) -> Arc<rbac::Index> {
        self.rbac.index(&self.state.store)
    }
}

/// Renders an error Status for a request, negotiated like the API layer's.
fn error_response(parts: &http::request::Parts, err: &ApiError) -> Response {
    let req = ApiRequest {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        query: crate::api::query::RawQuery::parse(parts.uri.query().unwrap_or("")),
        headers: parts.headers.clone(),
        body: bytes::Bytes::new(),
    };
    let mut resp = crate::http::into_response(crate::api::render_error(&req, err));
    if err.code() == 403 {
        resp.headers_mut().insert(
            "x-content-type-options",
            http::HeaderValue::from_static("nosniff"),
        );
    }
    resp
}

/// Largest body a review or token request may have.
const MAX_REVIEW_BODY: usize = 3 << 20;

/// The filter: authenticate, impersonate, authorize, then answer the
/// virtual resources or pass the request on with its [`UserInfo`]. The
/// response carries the user too (for the recording).
pub async fn filter(auth: Arc<Auth>, req: Request, next: Next) -> Response {
    let Some(authenticated) = auth.authenticate(&req) else {
        return crate::http::filters::unauthorized();
    };
    let (mut parts, body) = req.into_parts();
    let authz = |u: &UserInfo, a: &Attributes| auth.check(u, a);
    let u = match impersonate::apply(&parts.headers, authenticated.clone(), authz) {
        Ok(u) => u,
        Err(e) => return with_user(error_response(&parts, &e), authenticated),
    };
    impersonate::strip(&mut parts.headers);
    let query = crate::api::query::RawQuery::parse(parts.uri.query().unwrap_or(""));
    let attrs = attributes::of_request(&parts.method, parts.uri.path(), &query);
    if parts.uri.path().starts_with(crate::record::CONTROL_PREFIX)
        && !u.in_group(user::SYSTEM_MASTERS)
    {
        let e = error::forbidden(&u.name, &attrs, error::CONTROL_API_REASON);
        return with_user(error_response(&parts, &e), u);
    }
    let (allowed, why) = auth.check(&u, &attrs);
    if !allowed {
        let e = error::forbidden(&u.name, &attrs, &why);
        return with_user(error_response(&parts, &e), u);
    }
    let virtual_create = reviews::handles(&attrs);
    let guarded = escalation::guards(&attrs)
        && !u.in_group(user::SYSTEM_MASTERS)
        && auth.mode == AuthorizationMode::Rbac;
    let body = if virtual_create || guarded {
        let bytes = match axum::body::to_bytes(body, MAX_REVIEW_BODY).await {
            Ok(b) => b,
            Err(_) => {
                let e = ApiError::from_status(crate::meta::Status::failure(
                    413,
                    "RequestEntityTooLarge",
                    "Request entity too large: limit is 3145728",
                ));
                return with_user(error_response(&parts, &e), u);
            }
        };
        if virtual_create {
            let resp = match reviews::respond(&auth, &u, &attrs, &parts.headers, &bytes) {
                Ok((code, content_type, body)) => {
                    let mut r = Response::new(Body::from(body));
                    *r.status_mut() =
                        http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::OK);
                    r.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static(content_type),
                    );
                    r
                }
                Err(e) => error_response(&parts, &e),
            };
            return with_user(resp, u);
        }
        if let Err(e) = escalation::check(&auth, &u, &attrs, &bytes) {
            return with_user(error_response(&parts, &e), u);
        }
        Body::from(bytes)
    } else {
        body
    };
    let mut req = Request::from_parts(parts, body);
    req.extensions_mut().insert(u.clone());
    with_user(next.run(req).await, u)
}

fn with_user(mut resp: Response, u: UserInfo) -> Response {
    resp.extensions_mut().insert(u);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_specs_and_modes() {
        let u: UserSpec = "alice:dev,ops".parse().expect("spec");
        assert_eq!(u.name, "alice");
        assert_eq!(u.groups, vec!["dev", "ops"]);
        let bare: UserSpec = "bob".parse().expect("spec");
        assert!(bare.groups.is_empty());
        let colons: UserSpec = "system:kube-scheduler:".parse().expect("spec");
        assert_eq!(colons.name, "system:kube-scheduler");
        assert!(colons.groups.is_empty());
        assert!("".parse::<UserSpec>().is_err());
        assert_eq!("RBAC".parse(), Ok(AuthorizationMode::Rbac));
        assert_eq!("AlwaysAllow".parse(), Ok(AuthorizationMode::AlwaysAllow));
        assert!("Node".parse::<AuthorizationMode>().is_err());
    }
}
