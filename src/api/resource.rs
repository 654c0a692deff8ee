//! A request for a resource, a collection or a subresource: resolves it
//! through the registry, picks the verb, and runs negotiation, option
//! decoding and validation in the order of the emulated version.

use crate::api::error::{ApiError, Result};
use crate::api::handler::{method_not_allowed, not_acceptable};
use crate::api::negotiate::{self, Capabilities, Endpoint, Negotiated};
use crate::api::options::ListOptions;
use crate::api::request_info::ResourcePath;
use crate::api::{verbs, ApiRequest, ApiResponse, ApiState};
use crate::registry::ResourceDef;
use crate::store::GroupResource;
use http::Method;
use std::sync::Arc;

/// The verbs of `RequestInfo.Verb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }
}

/// Everything a verb handler needs about its request.
#[derive(Debug)]
pub(crate) struct ResourceRequest<'a> {
    pub(crate) state: &'a Arc<ApiState>,
    pub(crate) req: &'a ApiRequest,
    pub(crate) path: ResourcePath,
    pub(crate) def: ResourceDef,
    pub(crate) gr: GroupResource,
}

impl ResourceRequest<'_> {
    /// The namespace of the request (`""` for cluster scope or all namespaces).
    pub(crate) fn namespace(&self) -> &str {
        if self.def.namespaced {
            self.path.namespace.as_deref().unwrap_or("")
        } else {
            ""
        }
    }

    /// The name in the path.
    pub(crate) fn name(&self) -> &str {
        self.path.name.as_deref().unwrap_or("")
    }

    /// What the output negotiation may offer for this resource.
    pub(crate) fn capabilities(&self) -> Capabilities {
        // Built-ins have a protobuf form; custom resources do not (their
        // negotiation skips protobuf clauses, so a JSON fallback clause answers).
        Capabilities {
            protobuf: !crate::api::crd::is_custom_resource(&self.def)
                && crate::api::protobuf::supports(&self.def.api_version(), &self.def.kind),
            table: true,
        }
    }

    /// Negotiates the response type for an endpoint (406 on failure).
    pub(crate) fn negotiate(&self, endpoint: Endpoint) -> Result<Negotiated> {
        negotiate::negotiate_resource(self.req.header("accept"), endpoint, self.capabilities())
            .map_err(not_acceptable)
    }
}

pub(crate) async fn handle(
    state: &Arc<ApiState>,
    req: &ApiRequest,
    path: ResourcePath,
) -> Result<ApiResponse> {
    let def = state
        .registry()
        .lookup(&path.group, &path.version, &path.resource)
        .cloned()
        .ok_or_else(ApiError::resource_not_found)?;
    if let Some(sub) = &path.subresource {
        if def.subresource(sub).is_none() {
            return Err(ApiError::resource_not_found());
        }
    }
    // A namespaced path for a cluster-scoped resource names nothing.
    if !def.namespaced && path.namespace.is_some() && def.resource != "namespaces" {
        return Err(ApiError::resource_not_found());
    }
    let has_name = path.name.is_some();
    let verb = match (&req.method, has_name) {
        (m, true) if *m == Method::GET || *m == Method::HEAD => {
            if path.legacy_watch {
                Verb::Watch
            } else {
                Verb::Get
            }
        }
        (m, false) if *m == Method::GET || *m == Method::HEAD => {
            if path.legacy_watch || req.query.get_bool("watch").unwrap_or(false) {
                Verb::Watch
            } else {
                Verb::List
            }
        }
        (m, false) if *m == Method::POST => Verb::Create,
        (m, true) if *m == Method::POST && path.subresource.as_deref() == Some("binding") => {
            Verb::Create
        }
        (m, true) if *m == Method::PUT => Verb::Update,
        (m, true) if *m == Method::PATCH => Verb::Patch,
        (m, true) if *m == Method::DELETE => Verb::Delete,
        (m, false) if *m == Method::DELETE => Verb::DeleteCollection,
        _ => return Err(method_not_allowed()),
    };
    // Writes to a namespaced resource need a namespace in the path.
    if def.namespaced && path.namespace.is_none() && !matches!(verb, Verb::List | Verb::Watch) {
        return Err(method_not_allowed());
    }
    let gr = GroupResource::new(&def.group, &def.resource);
    let rr = ResourceRequest {
        state,
        req,
        path,
        def,
        gr,
    };
    let sub_verb_allowed = match &rr.path.subresource {
        Some(sub) => rr
            .def
            .subresource(sub)
            .is_some_and(|s| s.verbs.iter().any(|v| v == verb.as_str())),
        None => rr.def.has_verb(verb.as_str()),
    };
    if !sub_verb_allowed {
        return Err(ApiError::method_not_supported(
            &rr.def.group,
            &rr.def.resource,
            verb.as_str(),
        ));
    }
    if rr.path.subresource.as_deref() == Some("scale") {
        return verbs::subresource::scale(&rr).await;
    }
    if rr.path.subresource.as_deref() == Some("binding") {
        return verbs::binding::bind(&rr).await;
    }
    if rr.path.subresource.as_deref() == Some("log") {
        return verbs::subresource::log(&rr);
    }
    match verb {
        Verb::Get => verbs::read::get(&rr).await,
        Verb::List | Verb::Watch => list_or_watch(&rr, verb).await,
        Verb::Create => verbs::write::create(&rr).await,
        Verb::Update => verbs::write::update(&rr).await,
        Verb::Patch => verbs::write::patch(&rr).await,
        Verb::Delete => verbs::delete::delete(&rr).await,
        Verb::DeleteCollection => verbs::delete::delete_collection(&rr).await,
    }
}

/// The list/watch pipeline, in the profile's order: 1.36 negotiates first
/// (406 before 400 before 422); 1.32–1.35 decode and validate first.
async fn list_or_watch(rr: &ResourceRequest<'_>, verb: Verb) -> Result<ApiResponse> {
    let endpoint = if verb == Verb::Watch {
        Endpoint::Watch
    } else {
        Endpoint::List
    };
    let gates = rr.state.gates;
    let decode = || -> Result<ListOptions> {
        let mut opts = ListOptions::decode(&rr.req.query, rr.path.legacy_watch)?;
        opts.apply_defaults(gates);
        opts.validate(gates)?;
        Ok(opts)
    };
    let (negotiated, mut opts) = if rr.state.profile.negotiate_before_validate {
        let n = rr.negotiate(endpoint)?;
        (n, decode()?)
    } else {
        negotiate::route_check(rr.req.header("accept"), endpoint).map_err(not_acceptable)?;
        let o = decode()?;
        // 1.32–1.33 `watchListEndpointRestrictions`: a watch-list may not be
        // served as a Table (Table clauses are skipped; no fallback → 406).
        let n = if verb == Verb::Watch && !rr.state.profile.table_on_watch_list && o.is_watch_list()
        {
            let caps = Capabilities {
                table: false,
                ..rr.capabilities()
            };
            negotiate::negotiate_resource(rr.req.header("accept"), endpoint, caps)
                .map_err(not_acceptable)?
        } else {
            rr.negotiate(endpoint)?
        };
        (n, o)
    };
    opts.field_selector
        .check_supported(&rr.def.group, &rr.def.resource)
        .map_err(ApiError::bad_request)?;
    if let Some(name) = &rr.path.name {
        // `/watch/namespaces/ns/secrets/x`: a watch on one object.
        if let Some(required) = opts.field_selector.exact_name() {
            if required != name {
                return Err(ApiError::bad_request(
                    "fieldSelector metadata.name doesn't match requested name",
                ));
            }
        }
        let sel = if opts.field_selector.is_empty() {
            format!("metadata.name={name}")
        } else {
            format!(
                "{},metadata.name={name}",
                rr.req.query.get("fieldSelector").unwrap_or("")
            )
        };
        opts.field_selector =
            crate::api::selector::FieldSelector::parse(&sel).map_err(ApiError::bad_request)?;
        opts.has_selector = true;
    }
    if verb == Verb::Watch {
        verbs::watch::watch(rr, &negotiated, opts).await
    } else {
        verbs::read::list(rr, &negotiated, opts).await
    }
}
