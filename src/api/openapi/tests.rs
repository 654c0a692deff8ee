//! Unit tests of the OpenAPI documents.

use super::*;
use crate::registry::Registry;

fn reg() -> Registry {
    Registry::builtin()
}

#[test]
fn definitions_load_and_index_kinds() {
    assert!(definitions().len() > 500);
    let idx = gvk_index();
    assert_eq!(
        idx.get(&("apps".into(), "v1".into(), "Deployment".into())),
        Some(&"io.k8s.api.apps.v1.Deployment".to_string())
    );
    assert_eq!(
        idx.get(&("".into(), "v1".into(), "ConfigMapList".into())),
        Some(&"io.k8s.api.core.v1.ConfigMapList".to_string())
    );
}

#[test]
fn definitions_carry_no_descriptions() {
    assert!(!DEFINITIONS_JSON.contains("\"description\":\""));
}

#[test]
fn patch_extensions_on_containers() {
    let c = &definitions()["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(c["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(c["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(c["x-kubernetes-list-type"], "map");
    assert_eq!(c["x-kubernetes-list-map-keys"], json!(["name"]));
    let p = &definitions()["io.k8s.api.core.v1.Container"]["properties"]["ports"];
    assert_eq!(
        p["x-kubernetes-list-map-keys"],
        json!(["containerPort", "protocol"])
    );
}

#[test]
fn v3_index_lists_every_group_version() {
    let r = reg();
    let keys: Vec<String> = v3_targets(&r).iter().map(V3Target::key).collect();
    for k in [
        "api",
        "api/v1",
        "apis",
        "apis/apps",
        "apis/apps/v1",
        "apis/batch/v1",
        "version",
    ] {
        assert!(keys.contains(&k.to_string()), "{k} missing from {keys:?}");
    }
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn apps_v1_document_has_paths_params_and_schemas() {
    let r = reg();
    let doc = v3_document(
        &V3Target::GroupVersion("apps".into(), "v1".into()),
        &r,
        "1.36",
    );
    assert_eq!(doc["openapi"], "3.0.0");
    let item = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    let patch = &item["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    let names: Vec<&str> = patch["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"fieldValidation"), "{names:?}");
    assert!(names.contains(&"fieldManager"));
    assert!(names.contains(&"force"));
    assert!(patch["requestBody"]["content"]["application/apply-patch+yaml"].is_object());
    let schemas = &doc["components"]["schemas"];
    let dep = &schemas["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(
        dep["properties"]["metadata"]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
    assert!(schemas["io.k8s.api.core.v1.PodSpec"].is_object());
    assert!(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].is_object());
    assert!(schemas["io.k8s.api.apps.v1.DeploymentList"].is_object());
    // Every reference resolves inside the document.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap_or("");
        assert!(schemas.get(name).is_some(), "unresolved {name}");
    }
    assert!(!text.contains("#/definitions/"));
}

#[test]
fn core_v1_has_subresources_and_cluster_scoped_paths() {
    let r = reg();
    let doc = v3_document(&V3Target::GroupVersion("".into(), "v1".into()), &r, "1.36");
    let paths = &doc["paths"];
    assert!(paths["/api/v1/namespaces/{name}"]["patch"].is_object());
    assert!(paths["/api/v1/namespaces/{namespace}/pods/{name}/status"]["patch"].is_object());
    assert_eq!(
        paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"]
            ["x-kubernetes-group-version-kind"]["kind"],
        "Eviction"
    );
    assert!(paths["/api/v1/pods"]["get"].is_object());
    assert!(doc["components"]["schemas"]["io.k8s.api.policy.v1.Eviction"].is_object());
}

#[test]
fn crd_schema_appears_in_its_document() {
    let mut r = reg();
    let mut def = r
        .lookup("apps", "v1", "deployments")
        .cloned()
        .expect("deployments");
    def.group = "kubemock-test.example.com".into();
    def.version = "v1".into();
    def.resource = "widgets".into();
    def.kind = "Widget".into();
    def.singular = "widget".into();
    def.subresources.clear();
    r.insert(def);
    let t = V3Target::GroupVersion("kubemock-test.example.com".into(), "v1".into());
    let doc = v3_document(&t, &r, "1.36");
    let name = "com.example.kubemock-test.v1.Widget";
    assert_eq!(
        doc["components"]["schemas"][name]["x-kubernetes-preserve-unknown-fields"],
        true
    );
    crd_schema_registered(
        "kubemock-test.example.com",
        "v1",
        "Widget",
        &json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}),
    );
    let doc = v3_document(&t, &r, "1.36");
    let s = &doc["components"]["schemas"][name];
    assert_eq!(
        s["properties"]["spec"]["properties"]["size"]["type"],
        "integer"
    );
    assert_eq!(
        s["properties"]["metadata"]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
    assert!(doc["components"]["schemas"][format!("{name}List")].is_object());
    assert!(v3_targets(&r).contains(&t));
    crd_schema_removed("kubemock-test.example.com", "v1", "Widget");
}

#[test]
fn v2_document_and_protobuf() {
    let r = reg();
    let doc = v2_document(&r, "1.36");
    assert_eq!(doc["swagger"], "2.0");
    assert!(doc["definitions"]["io.k8s.api.core.v1.Pod"].is_object());
    let op = &doc["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"];
    assert!(op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["name"] == "fieldValidation"));
    let pb = proto::encode_document(&doc);
    assert!(pb.len() > 10_000);
    assert_eq!(&pb[..5], &[0x0a, 3, b'2', b'.', b'0']);
}

#[test]
fn group_names_for_operation_ids() {
    assert_eq!(group_camel(""), "Core");
    assert_eq!(
        group_camel("rbac.authorization.k8s.io"),
        "RbacAuthorization"
    );
    assert_eq!(
        tag_for("rbac.authorization.k8s.io", "v1"),
        "rbacAuthorization_v1"
    );
    assert_eq!(tag_for("", "v1"), "core_v1");
    assert_eq!(
        crd_definition_name("stable.example.com", "v1", "CronTab"),
        "com.example.stable.v1.CronTab"
    );
}

#[test]
fn accept_ordering() {
    let c = accept_clauses(Some(
        "application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    ));
    assert_eq!(c[0].1, "com.github.proto-openapi.spec.v2@v1.0+protobuf");
    assert_eq!(
        accept_clauses(None),
        vec![("*".to_string(), "*".to_string())]
    );
}
