"""The Python `kubernetes` client against kubemock: a WatchList-style watch
(send_initial_events) sees the current state as ADDED, the annotated end
bookmark, then live changes. Exits non-zero with a message on any mismatch.

Usage: python watch_initial_events.py KUBECONFIG
"""
import sys
import threading

from kubernetes import client, config, watch


def main() -> None:
    config.load_kube_config(config_file=sys.argv[1])
    v1 = client.CoreV1Api()
    ns = "pywatch"
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    for name in ("a", "b"):
        v1.create_namespaced_config_map(
            ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"k": name})
        )
    w = watch.Watch()
    seen = []
    bookmark_seen = False
    stream = w.stream(
        v1.list_namespaced_config_map,
        ns,
        send_initial_events=True,
        resource_version_match="NotOlderThan",
        allow_watch_bookmarks=True,
        timeout_seconds=20,
    )
    for event in stream:
        kind = event["type"]
        if kind == "BOOKMARK":
            obj = event["raw_object"]
            annotations = obj.get("metadata", {}).get("annotations", {})
            if annotations.get("k8s.io/initial-events-end") == "true":
                bookmark_seen = True
                # A live change after the initial state.
                threading.Thread(
                    target=lambda: v1.create_namespaced_config_map(
                        ns,
                        client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c")),
                    )
                ).start()
            continue
        seen.append((kind, event["object"].metadata.name, bookmark_seen))
        if kind == "ADDED" and event["object"].metadata.name == "c":
            w.stop()
    expected = [("ADDED", "a", False), ("ADDED", "b", False), ("ADDED", "c", True)]
    if seen != expected or not bookmark_seen:
        sys.exit(f"unexpected events {seen}, bookmark seen: {bookmark_seen}")
    print("ok", seen)


if __name__ == "__main__":
    main()
