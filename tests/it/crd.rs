//! CustomResourceDefinitions through the `kube` crate: a CRD is validated,
//! established and served at once (discovery, API); custom objects are
//! pruned, validated, listed with their kind, printed with their printer
//! columns, have status and scale subresources; deleting the CRD removes
//! its objects and stops serving it.

use crate::common;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use kube::discovery::Discovery;
use serde_json::{json, Value};
use std::time::Duration;

fn widget_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {
                        "replicas": {"type": "integer"},
                        "color": {"type": "string"}
                    }},
                    "status": {"type": "object", "properties": {
                        "replicas": {"type": "integer"},
                        "phase": {"type": "string"}
                    }}
                }}},
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
                "additionalPrinterColumns": [
                    {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                    {"name": "Color", "type": "string", "jsonPath": ".spec.color"}
                ]
            }]
        }
    }))
    .expect("crd")
}

fn widget_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Widget"),
        "widgets",
    )
}

fn widget(name: &str, replicas: i64) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "color": "red", "unknown": true},
        "status": {"phase": "ignored"}
    }))
    .expect("widget")
}

async fn raw_get(env: &common::Env, path: &str, accept: &str) -> (u16, Value) {
    let http = common::http_client(&env.server);
    let mut req = http
        .get(format!("{}{}", env.server.url(), path))
        .header("Accept", accept);
    if let Some(t) = env.server.token() {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn crd_lifecycle_and_custom_objects() {
    let env = common::start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(env.client.clone());
    let created = crds
        .create(&PostParams::default(), &widget_crd())
        .await
        .expect("create crd");
    assert_eq!(created.metadata.generation, Some(1));
    let status = created.status.clone().expect("status");
    assert_eq!(status.stored_versions, Some(vec!["v1".to_string()]));

    // Established at once.
    let got = crds.get("widgets.example.com").await.expect("get crd");
    let conds = got.status.and_then(|s| s.conditions).unwrap_or_default();
    let types: Vec<(String, String)> = conds
        .iter()
        .map(|c| (c.type_.clone(), c.status.clone()))
        .collect();
    assert_eq!(
        types,
        vec![
            ("NamesAccepted".into(), "True".into()),
            ("Established".into(), "True".into())
        ]
    );

    // Discovery shows it.
    let discovery = Discovery::new(env.client.clone())
        .run()
        .await
        .expect("discovery");
    let group = discovery
        .groups()
        .find(|g| g.name() == "example.com")
        .expect("example.com discovered");
    let (ar, caps) = group
        .recommended_resources()
        .into_iter()
        .next()
        .expect("a resource");
    assert_eq!(
        (ar.plural.as_str(), ar.kind.as_str()),
        ("widgets", "Widget")
    );
    assert!(caps
        .subresources
        .iter()
        .any(|(s, _)| s.plural == "widgets/status" || s.plural == "status"));
    let (code, legacy) = raw_get(&env, "/apis/example.com/v1", "application/json").await;
    assert_eq!(code, 200);
    assert_eq!(legacy["resources"][0]["name"], "widgets");
    assert_eq!(legacy["resources"][0]["shortNames"], json!(["wd"]));

    // Custom objects: create prunes unknown fields and drops status.
    let api: Api<DynamicObject> =
        Api::namespaced_with(env.client.clone(), "default", &widget_resource());
    let a = api
        .create(&PostParams::default(), &widget("a", 2))
        .await
        .expect("create a");
    assert_eq!(a.metadata.generation, Some(1));
    assert_eq!(a.data["spec"], json!({"replicas": 2, "color": "red"}));
    assert!(a.data.get("status").is_none());
    api.create(&PostParams::default(), &widget("b", 3))
        .await
        .expect("create b");

    // Invalid type: 422 with the schema's message.
    let bad: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "bad"}, "spec": {"replicas": "many"}
    }))
    .expect("bad");
    match api.create(&PostParams::default(), &bad).await {
        Err(kube::Error::Api(e)) => {
            assert_eq!(e.code, 422);
            assert_eq!(
                e.message,
                "Widget.example.com \"bad\" is invalid: spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""
            );
        }
        other => panic!("expected 422, got {other:?}"),
    }

    // List items keep kind/apiVersion (unstructured).
    let (code, list) = raw_get(
        &env,
        "/apis/example.com/v1/namespaces/default/widgets",
        "application/json",
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(list["kind"], "WidgetList");
    assert_eq!(list["items"][0]["kind"], "Widget");
    assert_eq!(list["items"][0]["apiVersion"], "example.com/v1");
    assert_eq!(
        api.list(&Default::default())
            .await
            .expect("list")
            .items
            .len(),
        2
    );

    // Patch the spec: generation rises; a status-only change does not.
    let patched = api
        .patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .expect("patch");
    assert_eq!(patched.metadata.generation, Some(2));
    assert_eq!(patched.data["spec"]["replicas"], 5);
    let st = api
        .patch_status(
            "a",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"status": {"phase": "Ready", "replicas": 4}, "spec": {"replicas": 9}}),
            ),
        )
        .await
        .expect("patch status");
    assert_eq!(st.data["status"]["phase"], "Ready");
    assert_eq!(
        st.data["spec"]["replicas"], 5,
        "status subresource ignores spec"
    );
    assert_eq!(st.metadata.generation, Some(2));
    // The main resource ignores status.
    let main = api
        .patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Lost"}})),
        )
        .await
        .expect("patch main");
    assert_eq!(main.data["status"]["phase"], "Ready");

    // Table with the printer columns.
    let (code, table) = raw_get(
        &env,
        "/apis/example.com/v1/namespaces/default/widgets",
        "application/json;as=Table;v=v1;g=meta.k8s.io",
    )
    .await;
    assert_eq!(code, 200, "{table}");
    let cols: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(cols, vec!["Name", "Replicas", "Color"]);
    assert_eq!(table["rows"][0]["cells"], json!(["a", 5, "red"]));

    // Scale subresource.
    let (code, scale) = raw_get(
        &env,
        "/apis/example.com/v1/namespaces/default/widgets/a/scale",
        "application/json",
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["apiVersion"], "autoscaling/v1");
    assert_eq!(scale["spec"]["replicas"], 5);
    assert_eq!(scale["status"]["replicas"], 4);
    let scaled = api
        .patch_scale(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 7}})),
        )
        .await
        .expect("patch scale");
    assert_eq!(scaled.spec.and_then(|s| s.replicas), Some(7));
    let a = api.get("a").await.expect("get a");
    assert_eq!(a.data["spec"]["replicas"], 7);
    assert_eq!(a.metadata.generation, Some(3));

    // Deleting the CRD removes the objects and the API.
    let gone = crds
        .delete("widgets.example.com", &DeleteParams::default())
        .await
        .expect("delete crd");
    let terminating = gone.left().expect("the CRD comes back");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    let mut deleted = false;
    for _ in 0..50 {
        if crds
            .get_opt("widgets.example.com")
            .await
            .expect("get crd")
            .is_none()
        {
            deleted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(deleted, "the CRD is gone");
    let (code, _) = raw_get(
        &env,
        "/apis/example.com/v1/namespaces/default/widgets",
        "application/json",
    )
    .await;
    assert_eq!(code, 404);
    // Recreating it serves an empty collection.
    crds.create(&PostParams::default(), &widget_crd())
        .await
        .expect("recreate");
    assert!(api
        .list(&Default::default())
        .await
        .expect("list")
        .items
        .is_empty());
}

#[tokio::test]
async fn crd_validation_errors() {
    let env = common::start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(env.client.clone());
    let mut bad = serde_json::to_value(widget_crd()).expect("json");
    bad["metadata"]["name"] = json!("gadgets.example.com");
    bad["spec"]["versions"][0]["storage"] = json!(false);
    let bad: CustomResourceDefinition = serde_json::from_value(bad).expect("crd");
    match crds.create(&PostParams::default(), &bad).await {
        Err(kube::Error::Api(e)) => {
            assert_eq!(e.code, 422);
            assert_eq!(e.reason, "Invalid");
            assert!(
                e.message.starts_with("CustomResourceDefinition.apiextensions.k8s.io \"gadgets.example.com\" is invalid: [metadata.name: Invalid value: \"gadgets.example.com\": must be spec.names.plural+\".\"+spec.group, spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{"),
                "{}",
                e.message
            );
            assert!(
                e.message
                    .ends_with("must have exactly one version marked as storage version]"),
                "{}",
                e.message
            );
        }
        other => panic!("expected 422, got {other:?}"),
    }
    // Nothing was registered.
    let (code, _) = raw_get(&env, "/apis/example.com/v1", "application/json").await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn cluster_scoped_crd_without_subresources() {
    let env = common::start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(env.client.clone());
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gizmos.example.org"},
        "spec": {"group": "example.org", "scope": "Cluster",
                 "names": {"plural": "gizmos", "kind": "Gizmo"},
                 "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    }))
    .expect("crd");
    let created = crds
        .create(&PostParams::default(), &crd)
        .await
        .expect("create");
    assert_eq!(created.spec.names.singular.as_deref(), Some("gizmo"));
    assert_eq!(created.spec.names.list_kind.as_deref(), Some("GizmoList"));
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.org", "v1alpha1", "Gizmo"),
        "gizmos",
    );
    let api: Api<DynamicObject> = Api::all_with(env.client.clone(), &ar);
    let g: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "example.org/v1alpha1", "kind": "Gizmo",
        "metadata": {"name": "g"}, "anything": {"goes": 1}, "status": {"kept": true}
    }))
    .expect("gizmo");
    let g = api
        .create(&PostParams::default(), &g)
        .await
        .expect("create gizmo");
    assert_eq!(g.data["anything"]["goes"], 1);
    assert_eq!(
        g.data["status"]["kept"], true,
        "no status subresource: status is written"
    );
    // No status subresource: a status change counts for generation.
    let g = api
        .patch(
            "g",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"kept": false}})),
        )
        .await
        .expect("patch");
    assert_eq!(g.metadata.generation, Some(2));
    let (code, _) = raw_get(
        &env,
        "/apis/example.org/v1alpha1/gizmos/g/status",
        "application/json",
    )
    .await;
    assert_eq!(code, 404);
    // Default Table columns: Name, Age.
    let (_, table) = raw_get(
        &env,
        "/apis/example.org/v1alpha1/gizmos",
        "application/json;as=Table;v=v1;g=meta.k8s.io",
    )
    .await;
    let cols: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(cols, vec!["Name", "Age"]);
}
