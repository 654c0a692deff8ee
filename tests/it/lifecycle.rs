//! Object lifecycle through the `kube` crate: finalizers keep a deleted
//! object until the last one is removed (a watcher sees MODIFIED then
//! DELETED), preconditions, propagation policies, the scale subresource of
//! a deployment, the status subresource, and namespace deletion (kubemock
//! acts as the namespace controller).

use crate::common;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{
    Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions, WatchEvent, WatchParams,
};
use serde_json::json;
use std::time::Duration;

fn deployment(name: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                          "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
        }
    }))
    .expect("deployment")
}

async fn wait_gone<K>(api: &Api<K>, name: &str) -> bool
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    for _ in 0..100 {
        if api.get_opt(name).await.expect("get").is_none() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn finalizers_hold_deletion_until_removed() {
    let env = common::start().await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "held", "finalizers": ["example.com/hold"]}, "data": {"k": "v"}
    }))
    .expect("cm");
    let created = api
        .create(&PostParams::default(), &cm)
        .await
        .expect("create");
    let rv = created.metadata.resource_version.clone().expect("rv");
    let mut events = api
        .watch(&WatchParams::default().fields("metadata.name=held"), &rv)
        .await
        .expect("watch")
        .boxed();

    // DELETE keeps it, with a deletionTimestamp; the response is the object.
    let res = api
        .delete("held", &DeleteParams::default())
        .await
        .expect("delete");
    let pending = res.left().expect("object returned while finalizers remain");
    assert!(pending.metadata.deletion_timestamp.is_some());
    assert_eq!(pending.metadata.deletion_grace_period_seconds, Some(0));
    let still = api.get("held").await.expect("still there");
    assert!(still.metadata.deletion_timestamp.is_some());
    // A second DELETE changes nothing.
    let again = api
        .delete("held", &DeleteParams::default())
        .await
        .expect("delete again");
    assert!(again.left().is_some());

    // Removing the last finalizer deletes it.
    api.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .expect("remove finalizer");
    assert!(api.get_opt("held").await.expect("get").is_none());

    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(5), events.try_next()).await {
            Ok(Ok(Some(WatchEvent::Modified(_)))) => kinds.push("MODIFIED"),
            Ok(Ok(Some(WatchEvent::Deleted(_)))) => kinds.push("DELETED"),
            Ok(Ok(Some(_))) => {}
            other => panic!("watch ended early: {other:?}"),
        }
    }
    assert_eq!(kinds, vec!["MODIFIED", "DELETED"]);
}

#[tokio::test]
async fn delete_preconditions_and_policies() {
    let env = common::start().await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "p"}, "data": {}})).expect("cm");
    let created = api
        .create(&PostParams::default(), &cm)
        .await
        .expect("create");
    let dp = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some("00000000-0000-0000-0000-000000000000".into()),
            resource_version: None,
        }),
        ..Default::default()
    };
    match api.delete("p", &dp).await {
        Err(kube::Error::Api(e)) => {
            assert_eq!(e.code, 409);
            assert_eq!(e.reason, "Conflict");
        }
        other => panic!("expected 409, got {other:?}"),
    }
    // Orphan: held by the `orphan` finalizer, then the garbage collector
    // (kubemock) lets it go.
    let dp = DeleteParams {
        preconditions: Some(Preconditions {
            uid: created.metadata.uid.clone(),
            resource_version: created.metadata.resource_version.clone(),
        }),
        ..DeleteParams::orphan()
    };
    let res = api.delete("p", &dp).await.expect("delete orphan");
    let held = res
        .left()
        .expect("object while the orphan finalizer holds it");
    assert_eq!(held.metadata.finalizers, Some(vec!["orphan".to_string()]));
    assert!(wait_gone(&api, "p").await);
}

#[tokio::test]
async fn background_deletion_collects_dependents() {
    let env = common::start().await;
    let api: Api<ConfigMap> = Api::namespaced(env.client.clone(), "default");
    let owner = api
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "owner"}})).expect("cm"),
        )
        .await
        .expect("owner");
    let dep: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "dep", "ownerReferences": [{
        "apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid.clone().expect("uid")
    }]}}))
    .expect("dep");
    api.create(&PostParams::default(), &dep).await.expect("dep");
    api.delete("owner", &DeleteParams::background())
        .await
        .expect("delete");
    assert!(wait_gone(&api, "dep").await, "dependent collected");
}

#[tokio::test]
async fn deployment_scale_and_status_subresources() {
    let env = common::start().await;
    let api: Api<Deployment> = Api::namespaced(env.client.clone(), "default");
    let d = api
        .create(&PostParams::default(), &deployment("web"))
        .await
        .expect("create");
    assert_eq!(d.metadata.generation, Some(1));

    let scale = api.get_scale("web").await.expect("get scale");
    assert_eq!(scale.spec.as_ref().and_then(|s| s.replicas), Some(2));
    let st = scale.status.expect("scale status");
    assert_eq!(st.replicas, 0);
    assert_eq!(st.selector.as_deref(), Some("app=web"));
    assert_eq!(scale.metadata.name.as_deref(), Some("web"));

    let scaled = api
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .expect("patch scale");
    assert_eq!(scaled.spec.and_then(|s| s.replicas), Some(5));
    let d = api.get("web").await.expect("get");
    assert_eq!(d.spec.as_ref().and_then(|s| s.replicas), Some(5));
    assert_eq!(d.metadata.generation, Some(2));

    // A negative replica count is refused.
    match api
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": -1}})),
        )
        .await
    {
        Err(kube::Error::Api(e)) => assert_eq!(e.code, 422),
        other => panic!("expected 422, got {other:?}"),
    }

    // The status subresource changes status only; generation stays.
    let d = api
        .patch_status(
            "web",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"status": {"replicas": 5, "readyReplicas": 5}, "spec": {"replicas": 1}}),
            ),
        )
        .await
        .expect("patch status");
    assert_eq!(d.status.as_ref().and_then(|s| s.ready_replicas), Some(5));
    assert_eq!(d.spec.as_ref().and_then(|s| s.replicas), Some(5));
    assert_eq!(d.metadata.generation, Some(2));
    let scale = api.get_scale("web").await.expect("get scale");
    assert_eq!(scale.status.map(|s| s.replicas), Some(5));
}

#[tokio::test]
async fn namespace_deletion_removes_contents() {
    // The namespace controller finalizes it (a bare apiserver would not).
    let env = common::start_cluster().await;
    let nss: Api<Namespace> = Api::all(env.client.clone());
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": "doomed"}})).expect("ns");
    nss.create(&PostParams::default(), &ns)
        .await
        .expect("create ns");
    let cms: Api<ConfigMap> = Api::namespaced(env.client.clone(), "doomed");
    for name in ["a", "b"] {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": name}})).expect("cm");
        cms.create(&PostParams::default(), &cm)
            .await
            .expect("create cm");
    }
    let deps: Api<Deployment> = Api::namespaced(env.client.clone(), "doomed");
    deps.create(&PostParams::default(), &deployment("d"))
        .await
        .expect("deployment");

    let res = nss
        .delete("doomed", &DeleteParams::default())
        .await
        .expect("delete ns");
    let terminating = res.left().expect("namespace returned");
    assert_eq!(
        terminating.status.and_then(|s| s.phase).as_deref(),
        Some("Terminating")
    );
    assert!(wait_gone(&nss, "doomed").await, "namespace finalized");
    let left = env.server.state().store.keys_in_namespace("doomed");
    assert!(left.is_empty(), "contents removed: {left:?}");
}
