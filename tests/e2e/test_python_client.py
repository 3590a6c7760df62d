"""The official Python client (kubernetes 37.x) against Capstan: CRUD, selectors,
patches, watch from a resourceVersion, and 410 Gone after compaction."""

import time

import pytest
from kubernetes import client, watch
from kubernetes import config as kconfig
from kubernetes.client.rest import ApiException

from harness import CapstanServer, nginx_deployment

T = 30  # _request_timeout for every call


def _cm(name, labels=None, data=None):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels or {}}, "data": data or {"k": "v"}}


def test_version(api_client):
    v = client.VersionApi(api_client).get_code(_request_timeout=T)
    assert v.major == "1" and v.git_version.startswith("v1.")


def test_configmap_crud_and_selectors(api_client, ns):
    core = client.CoreV1Api(api_client)
    for i in range(4):
        core.create_namespaced_config_map(ns, _cm(f"py-{i}", {"app": "py", "idx": str(i)}), _request_timeout=T)
    core.create_namespaced_config_map(ns, _cm("other", {"app": "other"}), _request_timeout=T)

    names = lambda lst: sorted(i.metadata.name for i in lst.items)
    assert names(core.list_namespaced_config_map(ns, label_selector="app=py", _request_timeout=T)) == \
        ["py-0", "py-1", "py-2", "py-3"]
    assert names(core.list_namespaced_config_map(ns, label_selector="app=py,idx in (0,2)", _request_timeout=T)) == \
        ["py-0", "py-2"]
    assert names(core.list_namespaced_config_map(ns, field_selector="metadata.name=py-1", _request_timeout=T)) == \
        ["py-1"]
    assert names(core.list_namespaced_config_map(ns, field_selector="metadata.name!=py-1",
                                                 label_selector="app=py", _request_timeout=T)) == \
        ["py-0", "py-2", "py-3"]
    everywhere = core.list_config_map_for_all_namespaces(label_selector="app=py", _request_timeout=T)
    assert {(i.metadata.namespace, i.metadata.name) for i in everywhere.items} >= {(ns, "py-0"), (ns, "py-3")}

    # pagination
    page = core.list_namespaced_config_map(ns, label_selector="app=py", limit=3, _request_timeout=T)
    assert len(page.items) == 3 and page.metadata._continue
    rest = core.list_namespaced_config_map(ns, label_selector="app=py", limit=3,
                                           _continue=page.metadata._continue, _request_timeout=T)
    assert len(rest.items) == 1 and not rest.metadata._continue
    assert names(page) + names(rest) == ["py-0", "py-1", "py-2", "py-3"]

    # duplicate create -> 409 AlreadyExists
    with pytest.raises(ApiException) as ei:
        core.create_namespaced_config_map(ns, _cm("py-0"), _request_timeout=T)
    assert ei.value.status == 409 and "AlreadyExists" in ei.value.body

    # patch (dict -> strategic merge patch)
    p = core.patch_namespaced_config_map("py-0", ns, {"metadata": {"labels": {"patched": "yes"}},
                                                      "data": {"k2": "v2"}}, _request_timeout=T)
    assert p.metadata.labels == {"app": "py", "idx": "0", "patched": "yes"}
    assert p.data == {"k": "v", "k2": "v2"}
    # json patch (list body)
    p = core.patch_namespaced_config_map("py-0", ns, [{"op": "remove", "path": "/data/k"}], _request_timeout=T)
    assert p.data == {"k2": "v2"}

    # replace with the read object; a stale one conflicts
    cur = core.read_namespaced_config_map("py-1", ns, _request_timeout=T)
    cur.data = {"k": "new"}
    upd = core.replace_namespaced_config_map("py-1", ns, cur, _request_timeout=T)
    assert upd.data == {"k": "new"}
    assert int(upd.metadata.resource_version) > int(cur.metadata.resource_version)
    with pytest.raises(ApiException) as ei:
        core.replace_namespaced_config_map("py-1", ns, cur, _request_timeout=T)
    assert ei.value.status == 409 and "Conflict" in ei.value.body

    # delete
    st = core.delete_namespaced_config_map("py-2", ns, _request_timeout=T)
    assert st is not None
    with pytest.raises(ApiException) as ei:
        core.read_namespaced_config_map("py-2", ns, _request_timeout=T)
    assert ei.value.status == 404 and "NotFound" in ei.value.body


def test_deployment_patches(api_client, ns):
    apps = client.AppsV1Api(api_client)
    d = apps.create_namespaced_deployment(ns, nginx_deployment(name="pydep"), _request_timeout=T)
    assert d.metadata.generation == 1 and d.spec.replicas == 3
    # strategic merge: container merged by name, ports kept
    d = apps.patch_namespaced_deployment("pydep", ns, {"spec": {"replicas": 2, "template": {"spec": {
        "containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}}, _request_timeout=T)
    c = d.spec.template.spec.containers
    assert d.spec.replicas == 2 and len(c) == 1 and c[0].image == "nginx:1.27"
    assert c[0].ports[0].container_port == 80
    assert d.metadata.generation == 2
    # the scale subresource (the client sends strategic-merge-patch+json here)
    s = apps.patch_namespaced_deployment_scale("pydep", ns, {"spec": {"replicas": 6}}, _request_timeout=T)
    assert s.spec.replicas == 6
    assert apps.read_namespaced_deployment_scale("pydep", ns, _request_timeout=T).status.selector == "app=nginx"
    assert apps.read_namespaced_deployment("pydep", ns, _request_timeout=T).spec.replicas == 6


def test_watch_from_resource_version(api_client, ns):
    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map(ns, _cm("w-1"), _request_timeout=T)
    rv = core.list_namespaced_config_map(ns, _request_timeout=T).metadata.resource_version
    assert rv
    # changes after rv: replayed by a watch that starts at rv
    core.patch_namespaced_config_map("w-1", ns, {"data": {"k": "changed"}}, _request_timeout=T)
    core.create_namespaced_config_map(ns, _cm("w-2"), _request_timeout=T)
    core.delete_namespaced_config_map("w-1", ns, _request_timeout=T)

    want = [("MODIFIED", "w-1"), ("ADDED", "w-2"), ("DELETED", "w-1")]
    got = []
    w = watch.Watch()
    deadline = time.monotonic() + 20
    for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10,
                       _request_timeout=30):
        got.append((ev["type"], ev["object"].metadata.name))
        if ev["type"] == "MODIFIED":
            assert ev["object"].data == {"k": "changed"}
        if len(got) >= len(want) or time.monotonic() > deadline:
            w.stop()
    assert got == want, got

    # a watch with no resourceVersion starts with synthetic ADDED events for what exists
    got = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, ns, timeout_seconds=5, _request_timeout=30):
        got.append((ev["type"], ev["object"].metadata.name))
        if ("ADDED", "w-2") in got:
            w.stop()
    assert ("ADDED", "w-2") in got and all(t == "ADDED" for t, _ in got), got


def test_watch_live_events(api_client, ns):
    """Events produced while the watch is open arrive (rv from a list, then changes)."""
    import threading

    core = client.CoreV1Api(api_client)
    rv = core.list_namespaced_config_map(ns, _request_timeout=T).metadata.resource_version

    def mutate():
        time.sleep(0.5)
        core.create_namespaced_config_map(ns, _cm("live"), _request_timeout=T)
        core.patch_namespaced_config_map("live", ns, {"data": {"k": "2"}}, _request_timeout=T)

    t = threading.Thread(target=mutate)
    t.start()
    got = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10,
                       _request_timeout=30):
        got.append((ev["type"], ev["object"].metadata.name))
        if ("MODIFIED", "live") in got:
            w.stop()
    t.join()
    assert got[:2] == [("ADDED", "live"), ("MODIFIED", "live")], got


# --------------------------------------------------------------------------- 410 Gone

@pytest.fixture(scope="module")
def compacting_server(tmp_path_factory):
    srv = CapstanServer(tmp_path_factory.mktemp("capstan-compact"),
                        extra_args=["--compact-interval=1s", "--compact-retain-revisions=10"])
    srv.start()
    yield srv
    srv.stop()
    srv.save_log("capstan-compact")


def test_watch_too_old_resource_version_is_gone(compacting_server):
    api = kconfig.new_client_from_config(config_file=str(compacting_server.kubeconfig))
    try:
        core = client.CoreV1Api(api)
        ns = "py-gone"
        core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                              _request_timeout=T)
        core.create_namespaced_config_map(ns, _cm("churn"), _request_timeout=T)
        n = 0

        def churn(k):
            nonlocal n
            for _ in range(k):
                n += 1
                core.patch_namespaced_config_map("churn", ns, {"data": {"n": str(n)}}, _request_timeout=T)

        churn(30)
        deadline = time.monotonic() + 30
        last = None
        while True:
            try:
                events = []
                w = watch.Watch()
                for ev in w.stream(core.list_namespaced_config_map, ns, resource_version="1",
                                   timeout_seconds=2, _request_timeout=10):
                    events.append(ev["type"])
                    if len(events) > 50:
                        w.stop()
                last = f"watch from rv=1 returned {len(events)} events ({events[:5]}...) and no 410"
            except ApiException as e:
                if e.status == 410:
                    text = f"{e.reason} {e.body}"
                    assert "Expired" in text or "Gone" in text or "too old" in text, text
                    break
                last = f"ApiException {e.status}: {e.body}"
            if time.monotonic() > deadline:
                pytest.fail(f"no 410 Gone for a watch at resourceVersion=1 within 30s; last: {last}\n"
                            f"--- server log ---\n{compacting_server.log_tail(40)}")
            churn(5)
            time.sleep(0.5)

        # a watch from a current resourceVersion still works after compaction
        rv = core.list_namespaced_config_map(ns, _request_timeout=T).metadata.resource_version
        churn(1)
        w = watch.Watch()
        got = []
        for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=5,
                           _request_timeout=30):
            got.append(ev["type"])
            w.stop()
        assert got == ["MODIFIED"], got
    finally:
        api.close()


def test_dynamic_client_server_side_apply(api_client, ns):
    """DynamicClient: legacy discovery (/api/v1, /apis/<g>/<v>) and server-side apply."""
    from kubernetes.dynamic import DynamicClient

    dyn = DynamicClient(api_client)
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    assert cms.namespaced and cms.name == "configmaps"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dyn", "namespace": ns},
            "data": {"a": "1"}}
    obj = cms.server_side_apply(body=body, name="dyn", namespace=ns, field_manager="py-e2e")
    assert obj.data.a == "1"
    mf = [m for m in obj.metadata.managedFields if m.manager == "py-e2e"]
    assert mf and mf[0].operation == "Apply", obj.metadata.managedFields
    body["data"] = {"a": "2", "b": "3"}
    obj = cms.server_side_apply(body=body, name="dyn", namespace=ns, field_manager="py-e2e")
    assert dict(obj.data) == {"a": "2", "b": "3"}

    deps = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    deps.create(body=nginx_deployment(name="dyn-dep"), namespace=ns)
    lst = deps.get(namespace=ns, label_selector="")
    assert [i.metadata.name for i in lst.items] == ["dyn-dep"]
    hpa = dyn.resources.get(api_version="autoscaling/v2", kind="HorizontalPodAutoscaler")
    assert hpa.name == "horizontalpodautoscalers"


def test_size_limits_answer_413_and_store_nothing(api_client, ns):
    """Bodies over 3 MiB and objects over 1.5 MiB get RequestEntityTooLarge; nothing is stored."""
    core = client.CoreV1Api(api_client)
    big_pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big-object"},
               "spec": {"containers": [{"name": "c", "image": "busybox", "args": ["x" * (2 * 1024 * 1024)]}]}}
    with pytest.raises(ApiException) as ei:
        core.create_namespaced_pod(ns, big_pod, _request_timeout=T)
    assert ei.value.status == 413 and "RequestEntityTooLarge" in ei.value.body, ei.value.body
    # a ConfigMap has its own 1 MiB limit on data, reported as upstream does
    with pytest.raises(ApiException) as ei:
        core.create_namespaced_config_map(ns, _cm("big-data", data={"k": "x" * (1024 * 1024 + 10)}),
                                          _request_timeout=T)
    assert ei.value.status == 422 and "[]: Too long: may not be more than 1048576 bytes" in ei.value.body, ei.value.body
    with pytest.raises(ApiException) as ei:
        core.create_namespaced_config_map(ns, _cm("big-body", data={"k": "x" * (4 * 1024 * 1024)}),
                                          _request_timeout=T)
    assert ei.value.status == 413, ei.value.body
    names = [i.metadata.name for i in core.list_namespaced_config_map(ns, _request_timeout=T).items]
    assert "big-data" not in names and "big-body" not in names
    assert [p.metadata.name for p in core.list_namespaced_pod(ns, _request_timeout=T).items] == []


def test_error_statuses(api_client, ns):
    """NotFound for a missing object and a missing namespace; Invalid lists every cause."""
    core = client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as ei:
        core.read_namespaced_config_map("nope", ns, _request_timeout=T)
    assert ei.value.status == 404 and '"reason":"NotFound"' in ei.value.body.replace(" ", "")
    with pytest.raises(ApiException) as ei:
        core.create_namespaced_config_map("no-such-namespace-x", _cm("a"), _request_timeout=T)
    assert ei.value.status == 404 and 'namespaces \\"no-such-namespace-x\\" not found' in ei.value.body
    bad = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "Bad_Name", "labels": {"bad key!": "v"}}, "data": {"ok": "v"}}
    with pytest.raises(ApiException) as ei:
        core.create_namespaced_config_map(ns, bad, _request_timeout=T)
    assert ei.value.status == 422, ei.value.body
    import json as _json
    status = _json.loads(ei.value.body)
    fields = {c["field"] for c in status["details"]["causes"]}
    assert {"metadata.name", "metadata.labels"} <= fields, status
