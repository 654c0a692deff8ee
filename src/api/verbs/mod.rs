//! The verbs of a resource endpoint and what they share: how a stored object
//! is presented in the requested version, and how a success is transformed
//! (Table, PartialObjectMetadata) and encoded.

pub(crate) mod binding;
pub(crate) mod delete;
pub(crate) mod read;
pub(crate) mod subresource;
pub(crate) mod watch;
pub(crate) mod write;

use crate::api::encode::{write_compact, Encoding};
use crate::api::error::{ApiError, Result};
use crate::api::handler::pretty;
use crate::api::negotiate::{Format, Negotiated, Transform};
use crate::api::resource::ResourceRequest;
use crate::api::table::{self, IncludeObject};
use crate::api::ApiResponse;
use crate::registry::ResourceDef;
use crate::store::StoredObject;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The Go package of a group's internal types, as `%T` prints them
/// (`*core.ConfigMap`, `*apps.Deployment`).
pub(crate) fn internal_package(group: &str) -> &str {
    if group.is_empty() {
        "core"
    } else {
        group.split('.').next().unwrap_or(group)
    }
}

/// A stored object as served at the requested version: `apiVersion` is the
/// endpoint's (all versions of a resource share storage).
pub(crate) fn present(def: &ResourceDef, obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(m) = out.as_object_mut() {
        m.insert("apiVersion".into(), Value::String(def.api_version()));
        if !m.contains_key("kind") {
            m.insert("kind".into(), Value::String(def.kind.clone()));
        }
        put_type_meta_first(m);
    }
    out
}

/// Moves `kind` and `apiVersion` to the front, as Go's struct order writes them.
fn put_type_meta_first(m: &mut Map<String, Value>) {
    let kind = m.shift_remove("kind");
    let api_version = m.shift_remove("apiVersion");
    let rest = std::mem::take(m);
    if let Some(k) = kind {
        m.insert("kind".into(), k);
    }
    if let Some(a) = api_version {
        m.insert("apiVersion".into(), a);
    }
    m.extend(rest);
}

/// An item of a built-in list: the internal-to-versioned list conversion
/// leaves items without `kind` and `apiVersion`. Custom resources are
/// unstructured and keep them.
pub(crate) fn list_item(def: &ResourceDef, obj: &Value) -> Value {
    let mut out = present(def, obj);
    if crate::api::crd::is_custom_resource(def) {
        return out;
    }
    if let Some(m) = out.as_object_mut() {
        m.shift_remove("kind");
        m.shift_remove("apiVersion");
    }
    out
}

/// The encoding for a negotiated response.
pub(crate) fn encoding(rr: &ResourceRequest<'_>, n: &Negotiated) -> Encoding {
    match n.format {
        Format::Yaml => Encoding::Yaml,
        _ if n.pretty || pretty(rr.req, false) => Encoding::JsonPretty,
        _ => Encoding::Json,
    }
}

/// `includeObject` from the query (400 when invalid).
pub(crate) fn include_object(rr: &ResourceRequest<'_>) -> Result<IncludeObject> {
    IncludeObject::parse(rr.req.query.get("includeObject")).map_err(ApiError::bad_request)
}

/// PartialObjectMetadata of an object.
pub(crate) fn partial_object_metadata(obj: &Value, version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// Encodes a single object (GET, create, update, delete) after the
/// negotiated transform.
pub(crate) fn respond_object(
    rr: &ResourceRequest<'_>,
    n: &Negotiated,
    status: u16,
    obj: &Value,
) -> Result<ApiResponse> {
    let presented = present(&rr.def, obj);
    let body = match n.transform {
        Transform::None => presented,
        Transform::PartialObjectMetadata => partial_object_metadata(&presented, n.transform_version),
        Transform::PartialObjectMetadataList => {
            return Err(ApiError::not_acceptable(
                format!(
                    "you requested PartialObjectMetadataList, but the requested object is not a list (*{}.{})",
                    internal_package(&rr.def.group),
                    rr.def.kind
                ),
                false,
            ))
        }
        Transform::Table => {
            let include = include_object(rr)?;
            let rv = presented
                .pointer("/metadata/resourceVersion")
                .cloned()
                .unwrap_or(Value::Null);
            let custom = crate::api::crd::printer_columns(rr.state, &rr.def);
            table::table(
                &rr.def.group,
                &rr.def.resource,
                custom.as_ref(),
                std::slice::from_ref(&presented),
                include,
                n.transform_version,
                json!({ "resourceVersion": rv }),
                true,
                chrono::Utc::now(),
            )
        }
    };
    if n.format == Format::Protobuf {
        return protobuf_response(status, &body);
    }
    let enc = encoding(rr, n);
    Ok(ApiResponse::full(
        status,
        enc.content_type(),
        enc.encode(&body),
    ))
}

/// A protobuf body (`k8s\0` + `runtime.Unknown`); an object that cannot be
/// encoded is a 500, as the real server's encoder failing mid-response.
pub(crate) fn protobuf_response(status: u16, body: &Value) -> Result<ApiResponse> {
    let bytes =
        crate::api::protobuf::encode(body).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(ApiResponse::full(
        status,
        crate::api::negotiate::PROTOBUF,
        bytes,
    ))
}

/// Encodes a list (objects in key order, list metadata given).
pub(crate) fn respond_list(
    rr: &ResourceRequest<'_>,
    n: &Negotiated,
    objects: &[Arc<StoredObject>],
    list_meta: Value,
) -> Result<ApiResponse> {
    if n.transform == Transform::None
        && n.format == Format::Json
        && encoding(rr, n) == Encoding::Json
    {
        // The common case: the stored encodings copied into place.
        let out = list_json(rr, objects, &list_meta);
        return Ok(ApiResponse::full(200, Encoding::Json.content_type(), out));
    }
    let values: Vec<Value> = objects.iter().map(|o| o.to_value()).collect();
    let body = match n.transform {
        Transform::None => json!({
            "kind": rr.def.list_kind(),
            "apiVersion": rr.def.api_version(),
            "metadata": list_meta,
            "items": values.iter().map(|o| list_item(&rr.def, o)).collect::<Vec<_>>(),
        }),
        Transform::PartialObjectMetadataList => {
            let items: Vec<Value> = values
                .iter()
                .map(|o| partial_object_metadata(o, n.transform_version))
                .collect();
            json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": format!("meta.k8s.io/{}", n.transform_version),
                "metadata": list_meta,
                "items": if items.is_empty() { Value::Null } else { Value::Array(items) },
            })
        }
        Transform::PartialObjectMetadata => {
            return Err(ApiError::not_acceptable(
                format!(
                    "you requested PartialObjectMetadata, but the requested object is a list (*{}.{}List)",
                    internal_package(&rr.def.group),
                    rr.def.kind
                ),
                false,
            ))
        }
        Transform::Table => {
            let include = include_object(rr)?;
            let presented: Vec<Value> = values.iter().map(|o| present(&rr.def, o)).collect();
            let custom = crate::api::crd::printer_columns(rr.state, &rr.def);
            table::table(
                &rr.def.group,
                &rr.def.resource,
                custom.as_ref(),
                &presented,
                include,
                n.transform_version,
                list_meta,
                true,
                chrono::Utc::now(),
            )
        }
    };
    if n.format == Format::Protobuf {
        return protobuf_response(200, &body);
    }
    let enc = encoding(rr, n);
    Ok(ApiResponse::full(
        200,
        enc.content_type(),
        enc.encode(&body),
    ))
}

/// A JSON list and its newline, written from the stored encodings: what
/// `json!` over [`list_item`]s would encode, byte for byte. Built-in items
/// carry no `kind`/`apiVersion` (the stored body as is); custom resources
/// are unstructured and keep them.
fn list_json(
    rr: &ResourceRequest<'_>,
    objects: &[Arc<StoredObject>],
    list_meta: &Value,
) -> Vec<u8> {
    let api_version = rr.def.api_version();
    let keep_type = crate::api::crd::is_custom_resource(&rr.def);
    let size: usize = objects.iter().map(|o| o.encoded_len() + 48).sum();
    let mut out = Vec::with_capacity(size + 256);
    out.extend_from_slice(b"{\"kind\":");
    write_compact(&mut out, &rr.def.list_kind());
    out.extend_from_slice(b",\"apiVersion\":");
    write_compact(&mut out, &api_version);
    out.extend_from_slice(b",\"metadata\":");
    write_compact(&mut out, list_meta);
    out.extend_from_slice(b",\"items\":[");
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if keep_type {
            o.write_with_type(&mut out, o.kind().unwrap_or(&rr.def.kind), &api_version);
        } else {
            out.extend_from_slice(o.body());
        }
    }
    out.extend_from_slice(b"]}\n");
    out
}
