"""API fidelity, part 2 (issue 18), over the real HTTP stack: boolean query parameters as
upstream converts them, the system namespaces that may not be deleted."""

from __future__ import annotations

import json

from test_api_hardening import cm, raw


def test_watch_true_in_any_case_is_a_watch(api_client, ns):
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    code, st, _ = raw(api_client, "POST", coll, cm("b"), "application/json")
    assert code == 201, st
    for v in ["True", "TRUE", "1", "2", ""]:
        # a watch from now that times out at once: a stream of events (here none, so an
        # empty body), never a ConfigMapList
        r = api_client.rest_client.pool_manager.request(
            "GET", f"{api_client.configuration.host}{coll}?watch={v}&timeoutSeconds=1&resourceVersion=0",
            headers={"Accept": "application/json"}, preload_content=True, timeout=30)
        assert r.status == 200, (v, r.data)
        first = json.loads(r.data.split(b"\n")[0])
        assert first.get("type") == "ADDED" and first["object"]["metadata"]["name"] == "b", (v, r.data[:200])
    code, st, _ = raw(api_client, "GET", f"{coll}?watch=false")
    assert code == 200 and st["kind"] == "ConfigMapList", st


def test_system_namespaces_may_not_be_deleted(kubectl):
    for name in ["default", "kube-system", "kube-public"]:
        r = kubectl("delete", "namespace", name, check=False)
        assert r.returncode != 0
        assert f'namespaces "{name}" is forbidden: this namespace may not be deleted' in r.stderr, r.stderr
    assert "Active" in kubectl("get", "namespace", "default").stdout


def test_warnings_are_bounded(api_client, ns):
    body = cm("warned")
    # 101 warnings of about 90 characters: past upstream's 4,096 in all
    for i in range(101):
        body[f"unknownField{i:03}{'x' * 60}"] = "x"
    code, st, headers = raw(api_client, "POST", f"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Warn",
                            body, "application/json")
    assert code == 201, st
    warnings = headers.getlist("Warning")
    assert 0 < len(warnings) <= 100, len(warnings)
    assert sum(len(w) for w in warnings) < 8192
    assert 'unknown field \\"unknownField000x' in warnings[0], warnings[0]


def test_podtemplates_and_discovery_without_empty_lists(kubectl, ns):
    tpl = f"""apiVersion: v1
kind: PodTemplate
metadata:
  name: web
  namespace: {ns}
template:
  metadata:
    labels: {{app: web}}
  spec:
    containers:
    - name: c
      image: nginx
"""
    kubectl("create", "-f", "-", input=tpl)
    got = json.loads(kubectl("get", "podtemplate", "web", "-n", ns, "-o", "json").stdout)
    assert got["template"]["spec"]["restartPolicy"] == "Always", got
    assert got["metadata"]["generation"] == 1
    out = kubectl("get", "podtemplates", "-n", ns).stdout
    assert "nginx" in out and "app=web" in out, out
    bad = kubectl("create", "-f", "-", input=tpl.replace("name: web", "name: bad").replace("image: nginx", "image: ''"),
                  check=False)
    assert bad.returncode != 0 and "template.spec.containers[0].image: Required value" in bad.stderr, bad.stderr
    core = json.loads(kubectl("get", "--raw", "/api/v1").stdout)
    secrets = next(r for r in core["resources"] if r["name"] == "secrets")
    assert "categories" not in secrets and "shortNames" not in secrets, secrets


def test_kubectl_debug_adds_an_ephemeral_container(kubectl, ns):
    kubectl("run", "dbg", "--image=nginx", "-n", ns)
    out = kubectl("debug", "dbg", "--image=busybox", "--target=dbg", "-n", ns)
    assert "Defaulting debug container name to debugger-" in out.stderr + out.stdout, out
    pod = json.loads(kubectl("get", "pod", "dbg", "-n", ns, "-o", "json").stdout)
    ecs = pod["spec"]["ephemeralContainers"]
    assert len(ecs) == 1 and ecs[0]["image"] == "busybox" and ecs[0]["targetContainerName"] == "dbg", ecs


def test_kubernetes_endpoints_exist(kubectl):
    ep = json.loads(kubectl("get", "endpoints", "kubernetes", "-n", "default", "-o", "json").stdout)
    port = ep["subsets"][0]["ports"][0]
    assert port["name"] == "https" and port["protocol"] == "TCP", port
    assert ep["subsets"][0]["addresses"], ep
    sl = json.loads(kubectl("get", "endpointslice", "kubernetes", "-n", "default", "-o", "json").stdout)
    assert sl["metadata"]["labels"]["kubernetes.io/service-name"] == "kubernetes"
    assert sl["ports"][0]["port"] == port["port"]


def test_client_side_then_server_side_apply_of_a_pod(kubectl, ns):
    pod = f"""apiVersion: v1
kind: Pod
metadata:
  name: csa
  namespace: {ns}
spec:
  containers:
  - name: c
    image: nginx
"""
    kubectl("apply", "-f", "-", input=pod)
    out = kubectl("apply", "--server-side", "-f", "-", input=pod, check=False)
    assert out.returncode == 0, out.stderr
    got = json.loads(kubectl("get", "pod", "csa", "-n", ns, "-o", "json", "--show-managed-fields").stdout)
    # what the server added on its own is still there, owned by no manager
    assert got["spec"]["serviceAccountName"] == "default"
    assert got["spec"]["priority"] == 0 and got["spec"]["preemptionPolicy"] == "PreemptLowerPriority"
    owned = json.dumps(got["metadata"]["managedFields"])
    assert "f:serviceAccountName" not in owned and "f:priority" not in owned, owned


def test_required_structs_are_written_as_go_writes_them(api_client, ns):
    from kubernetes import client as k8s
    ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}, "involvedObject": None, "reason": "x"}
    code, st, _ = raw(api_client, "POST", f"/api/v1/namespaces/{ns}/events", ev, "application/json")
    if code == 201:
        assert st["involvedObject"] == {}, st
    else:
        assert code == 422, st
    # whatever was stored, the typed client reads the list
    k8s.CoreV1Api(api_client).list_namespaced_event(ns)


V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"


def test_openapi_v2_protobuf_for_kubectl(kubectl, api_client, ns, tmp_path):
    # kubectl edit of two objects and a strictly validated List read /openapi/v2 as protobuf
    for name, v in [("ed1", "1"), ("ed2", "2")]:
        kubectl("create", "configmap", name, f"--from-literal=x={v}", "-n", ns)
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i \'s/x: "\\([0-9]\\)"/x: "\\1\\1"/\' "$1"\n')
    editor.chmod(0o755)
    out = kubectl("edit", "configmap", "ed1", "ed2", "-n", ns, env={"KUBE_EDITOR": str(editor)})
    assert "configmap/ed1 edited" in out.stdout and "configmap/ed2 edited" in out.stdout, out
    got = kubectl("get", "configmap", "ed1", "ed2", "-n", ns, "-o", "jsonpath={.items[*].data.x}").stdout
    assert got == "11 22", got

    items = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"l{i}", "namespace": ns},
              "data": {"a": str(i)}} for i in (1, 2)]
    lst = {"apiVersion": "v1", "kind": "List", "items": items}
    out = kubectl("apply", "--validate=strict", "-f", "-", input=json.dumps(lst))
    assert "configmap/l1 created" in out.stdout and "configmap/l2 created" in out.stdout, out
    items[1]["bogus"] = 1
    bad = kubectl("apply", "--validate=strict", "-f", "-", input=json.dumps(lst), check=False)
    assert bad.returncode != 0
    assert 'unknown field "bogus" in io.k8s.api.core.v1.ConfigMap' in bad.stderr, bad.stderr

    # the protobuf form: its own Content-Type, the JSON's ETag, 304 on a match, 406 for the rest
    host = api_client.configuration.host
    pool = api_client.rest_client.pool_manager
    r = pool.request("GET", f"{host}/openapi/v2", headers={"Accept": V2_PROTOBUF}, preload_content=True)
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert r.data[:5] == b"\x0a\x032.0", r.data[:16]  # field 1 (swagger) = "2.0"
    etag = r.headers["ETag"]
    j = pool.request("GET", f"{host}/openapi/v2", headers={"Accept": "application/json"}, preload_content=True)
    assert j.status == 200 and j.headers["ETag"] == etag and json.loads(j.data)["swagger"] == "2.0"
    nm = pool.request("GET", f"{host}/openapi/v2", headers={"Accept": V2_PROTOBUF, "If-None-Match": etag},
                      preload_content=True)
    assert nm.status == 304 and nm.data == b""
    na = pool.request("GET", f"{host}/openapi/v2", headers={"Accept": "text/html"}, preload_content=True)
    assert na.status == 406


def test_the_rest_over_http(kubectl, api_client, ns, tmp_path):
    # (3) YAML on a raw create, as kubectl sends it
    pod = tmp_path / "pod.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n")
    r = kubectl("create", "--raw", "/api/v1/namespaces", "-f", str(pod), check=False)
    assert r.returncode != 0
    assert "the object provided is unrecognized (must be of type Namespace)" in r.stderr, r.stderr

    # (4) a Node keeps the status it is created with; allocatable defaults to capacity
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"{ns}-node"},
            "status": {"capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                       "addresses": [{"type": "InternalIP", "address": "10.0.0.5"}]}}
    code, st, _ = raw(api_client, "POST", "/api/v1/nodes", node, "application/json")
    assert code == 201, st
    assert st["status"]["allocatable"] == {"cpu": "2", "memory": "4Gi", "pods": "110"}, st["status"]
    assert st["status"]["addresses"][0]["address"] == "10.0.0.5"
    raw(api_client, "DELETE", f"/api/v1/nodes/{ns}-node")

    # (8) fieldManager: printable, at most 128 characters
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    code, st, _ = raw(api_client, "POST", coll + "?fieldManager=a%01b", cm("fm"), "application/json")
    assert code == 422 and "fieldManager: Invalid value" in st["message"], st
    code, st, _ = raw(api_client, "POST", coll + "?fieldManager=" + "m" * 129, cm("fm"), "application/json")
    assert code == 422 and "may not be more than 128 bytes" in st["message"], st

    # (13) a bad label selector names the parse failure once
    code, st, _ = raw(api_client, "GET", coll + "?labelSelector=a%20in%20(b")
    assert code == 400 and st["message"].count("unable to parse requirement") == 1, st

    # (6) per-kind validation over HTTP: a RoleBinding needs a roleRef, an Endpoints
    # address may not be loopback
    rb = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"}}
    code, st, _ = raw(api_client, "POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
                      rb, "application/json")
    assert code == 422 and "roleRef.name: Required value" in st["message"], st
    ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ep"},
          "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 80}]}]}
    code, st, _ = raw(api_client, "POST", f"/api/v1/namespaces/{ns}/endpoints", ep, "application/json")
    assert code == 422 and "may not be in the loopback range (127.0.0.0/8, ::1/128)" in st["message"], st
