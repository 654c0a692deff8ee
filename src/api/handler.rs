//! The entry point of the API layer: routes a request to health, version,
//! discovery or a resource handler, and renders every error as a `Status`.

use crate::api::encode::{self, Encoding};
use crate::api::error::ApiError;
use crate::api::negotiate::{self, ErrorBodyFormat};
use crate::api::request_info::{self, ApiPath};
use crate::api::{discovery, resource, ApiRequest, ApiResponse, ApiState};
use http::Method;
use std::sync::Arc;

/// Handles one request.
pub async fn handle(state: &Arc<ApiState>, req: ApiRequest) -> ApiResponse {
    match route(state, &req).await {
        Ok(resp) => resp,
        Err(err) => render_error(&req, &err),
    }
}

async fn route(state: &Arc<ApiState>, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
    let path = req.path.as_str();
    check_request_timeout(req)?;
    match path {
        "/healthz" | "/livez" | "/readyz" => return Ok(health(req, path, true)),
        "/healthz/ping" | "/livez/ping" | "/readyz/ping" => return Ok(health(req, path, false)),
        "/version" | "/version/" => return Ok(version(state)),
        _ => {}
    }
    if crate::api::openapi::is_openapi_path(path) {
        return Ok(crate::api::openapi::handle(state, req));
    }
    match request_info::parse(path) {
        ApiPath::Other => Ok(ApiResponse::page_not_found()),
        ApiPath::CoreRoot => discovery_root(state, req, true),
        ApiPath::GroupsRoot => discovery_root(state, req, false),
        ApiPath::Group(group) => {
            only_get(req)?;
            let doc = discovery::api_group(&state.registry(), &group);
            match doc {
                Some(doc) => Ok(json_response(req, 200, &doc)),
                None => Ok(ApiResponse::page_not_found()),
            }
        }
        ApiPath::GroupVersion { group, version } => {
            only_get(req)?;
            let reg = state.registry();
            if !group_known(&reg, &group) {
                return Ok(ApiResponse::page_not_found());
            }
            match discovery::api_resource_list(&reg, &group, &version) {
                Some(doc) => Ok(json_response(req, 200, &doc)),
                None => Err(ApiError::resource_not_found()),
            }
        }
        ApiPath::Resource(rp) => {
            if !group_known(&state.registry(), &rp.group) {
                return Ok(ApiResponse::page_not_found());
            }
            let warning = deprecation_warning(&rp.group, &rp.version, &rp.resource);
            let protobuf = builtin_resource(state, &rp);
            let resp = match resource::handle(state, req, rp).await {
                Ok(r) => r,
                Err(e) if protobuf && negotiate::error_prefers_protobuf(req.header("accept")) => {
                    render_error_protobuf(req, &e)
                }
                Err(e) => render_error(req, &e),
            };
            Ok(match warning {
                Some(w) => resp.with_header("Warning", format!("299 - \"{w}\"")),
                None => resp,
            })
        }
    }
}

/// `WithRequestDeadline`: a `timeout` query parameter on a short request
/// must be a Go duration (long-running requests, watches and streams,
/// ignore it).
fn check_request_timeout(req: &ApiRequest) -> Result<(), ApiError> {
    let Some(t) = req.query.get("timeout") else {
        return Ok(());
    };
    if is_long_running(req) || t.is_empty() {
        return Ok(());
    }
    crate::api::query::parse_go_duration(t)
        .map(|_| ())
        .map_err(|e| {
            ApiError::bad_request(format!(
                "invalid timeout specified in the request URL - {e}"
            ))
        })
}

/// `BasicLongRunningRequestCheck`: watches, and the streaming
/// subresources (`exec`, `attach`, `portforward`, `proxy`, `log`).
pub(crate) fn is_long_running(req: &ApiRequest) -> bool {
    let path = req.path.as_str();
    path.contains("/watch/")
        || req
            .query
            .get("watch")
            .is_some_and(crate::api::query::parse_bool)
        || ["/exec", "/attach", "/portforward", "/proxy", "/log"]
            .iter()
            .any(|s| path.ends_with(s))
        || path.contains("/proxy/")
}

/// Deprecated built-in APIs and the warning the real server attaches to
/// every request for them (`rest.Storage` `DeprecatedAPI` warnings).
const DEPRECATED_APIS: &[(&str, &str, &str, &str)] = &[
    (
        "",
        "v1",
        "componentstatuses",
        "v1 ComponentStatus is deprecated in v1.19+",
    ),
    (
        "",
        "v1",
        "endpoints",
        "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
    ),
];

fn deprecation_warning(group: &str, version: &str, resource: &str) -> Option<&'static str> {
    DEPRECATED_APIS
        .iter()
        .find(|(g, v, r, _)| *g == group && *v == version && *r == resource)
        .map(|(_, _, _, w)| *w)
}

fn group_known(reg: &crate::registry::Registry, group: &str) -> bool {
    group.is_empty() || reg.has_group(group)
}

fn only_get(req: &ApiRequest) -> Result<(), ApiError> {
    if req.method == Method::GET || req.method == Method::HEAD {
        Ok(())
    } else {
        Err(method_not_allowed())
    }
}

/// go-restful's 405 for a method a route does not serve.
pub(crate) fn method_not_allowed() -> ApiError {
    let mut s = crate::meta::Status::failure(
        405,
        crate::meta::status::reason::METHOD_NOT_ALLOWED,
        "the server does not allow this method on the requested resource",
    );
    s.details = Some(Default::default());
    ApiError::from_status(s)
}

fn discovery_root(
    state: &Arc<ApiState>,
    req: &ApiRequest,
    core: bool,
) -> Result<ApiResponse, ApiError> {
    only_get(req)?;
    let choice = negotiate::negotiate_discovery(req.header("accept")).map_err(not_acceptable)?;
    let reg = state.registry();
    match choice {
        negotiate::DiscoveryChoice::Aggregated => {
            let doc = if core {
                discovery::aggregated_core(&reg)
            } else {
                discovery::aggregated_groups(&reg)
            };
            let body = encode::json_line(&doc);
            let etag = discovery::etag(&body);
            let mut resp = if req.header("if-none-match") == Some(etag.as_str()) {
                ApiResponse {
                    status: 304,
                    headers: Vec::new(),
                    body: crate::api::ResponseBody::Full(bytes::Bytes::new()),
                }
            } else {
                ApiResponse::full(200, discovery::AGGREGATED_V2_CONTENT_TYPE, body)
            };
            resp.headers.push(("Cache-Control".into(), "public".into()));
            resp.headers.push(("Etag".into(), etag));
            resp.headers.push(("Vary".into(), "Accept".into()));
            Ok(resp)
        }
        negotiate::DiscoveryChoice::Legacy => {
            let doc = if core {
                let addr = state
                    .server_address
                    .read()
                    .map(|a| a.clone())
                    .unwrap_or_default();
                discovery::api_versions(&addr)
            } else {
                discovery::api_group_list(&reg)
            };
            Ok(json_response(req, 200, &doc))
        }
    }
}

/// A 406 from the negotiation module as an `ApiError`.
pub(crate) fn not_acceptable(n: negotiate::NotAcceptable) -> ApiError {
    ApiError::not_acceptable(n.message, n.details_empty_object)
}

fn health(_req: &ApiRequest, path: &str, nosniff: bool) -> ApiResponse {
    let _ = path;
    let resp = ApiResponse::full(200, "text/plain; charset=utf-8", "ok");
    if nosniff {
        resp.with_header("X-Content-Type-Options", "nosniff")
    } else {
        resp
    }
}

fn version(state: &Arc<ApiState>) -> ApiResponse {
    let p = state.profile;
    let doc = serde_json::json!({
        "major": p.major,
        "minor": p.minor,
        "emulationMajor": p.major,
        "emulationMinor": p.minor,
        "gitVersion": p.git_version,
        "gitCommit": format!("kubemock-{}", env!("CARGO_PKG_VERSION")),
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": format!("kubemock {}", env!("CARGO_PKG_VERSION")),
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, go_arch()),
    });
    ApiResponse::full(200, "application/json", encode::json_indented(&doc))
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// A JSON document response for a non-resource endpoint (discovery): compact,
/// or indented for pretty requests.
pub(crate) fn json_response(req: &ApiRequest, status: u16, doc: &serde_json::Value) -> ApiResponse {
    let enc = if pretty(req, false) {
        Encoding::JsonPretty
    } else {
        Encoding::Json
    };
    ApiResponse::full(status, enc.content_type(), enc.encode(doc))
}

/// `isPrettyPrint` for this request.
pub(crate) fn pretty(req: &ApiRequest, accept_pretty: bool) -> bool {
    negotiate::is_pretty(
        req.query.get("pretty"),
        accept_pretty,
        req.header("user-agent"),
    )
}

/// Whether a resource path names a built-in resource (whose serializers
/// include protobuf); custom resources and unknown resources do not.
fn builtin_resource(state: &Arc<ApiState>, rp: &request_info::ResourcePath) -> bool {
    state
        .registry()
        .lookup(&rp.group, &rp.version, &rp.resource)
        .is_some_and(|def| {
            !crate::api::crd::is_custom_resource(def)
                && crate::api::protobuf::supports(&def.api_version(), &def.kind)
        })
}

/// An error `Status` in protobuf (`ErrorNegotiated` picked the protobuf
/// serializer of a built-in resource endpoint).
fn render_error_protobuf(req: &ApiRequest, err: &ApiError) -> ApiResponse {
    match crate::api::protobuf::encode(&err.status.to_value()) {
        Ok(body) => {
            let mut resp = ApiResponse::full(err.status.code, negotiate::PROTOBUF, body);
            if let Some(secs) = err.retry_after {
                resp.headers.push(("Retry-After".into(), secs.to_string()));
            }
            resp
        }
        Err(_) => render_error(req, err),
    }
}

/// Writes an error as `responsewriters.ErrorNegotiated` does: negotiated
/// again without transforms, falling back to indented JSON.
pub fn render_error(req: &ApiRequest, err: &ApiError) -> ApiResponse {
    let format = negotiate::error_body_format(
        req.header("accept"),
        req.header("user-agent"),
        req.query
            .get("pretty")
            .is_some_and(crate::api::query::parse_bool),
    );
    let value = err.status.to_value();
    let (ct, body) = match format {
        ErrorBodyFormat::CompactJson => ("application/json", Encoding::Json.encode(&value)),
        ErrorBodyFormat::IndentedJson => ("application/json", Encoding::JsonPretty.encode(&value)),
        ErrorBodyFormat::Yaml => ("application/yaml", Encoding::Yaml.encode(&value)),
    };
    let mut resp = ApiResponse::full(err.status.code, ct, body);
    if let Some(secs) = err.retry_after {
        resp.headers.push(("Retry-After".into(), secs.to_string()));
    }
    resp
}
