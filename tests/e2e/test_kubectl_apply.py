"""kubectl apply: client-side (create + strategic-merge PATCH), server-side, dry-run,
diff, and the server's validation errors (invalid name, strict unknown fields)."""

import json

from harness import configmap, dump, nginx_deployment


def _get(kubectl, ns, kind, name):
    # kubectl hides managedFields unless asked
    return json.loads(kubectl("get", kind, name, "-n", ns, "-o", "json", "--show-managed-fields").stdout)


def test_apply_client_side_create_then_update(kubectl, ns):
    dep = nginx_deployment(tier="web")
    cp = kubectl("apply", "-n", ns, "-f", "-", input=dump(dep))
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster created", cp.stdout

    live = _get(kubectl, ns, "deployment", "nginx-cluster")
    assert live["apiVersion"] == "apps/v1" and live["kind"] == "Deployment"
    assert live["metadata"]["namespace"] == ns
    assert live["spec"]["replicas"] == 3
    assert live["metadata"]["generation"] == 1
    assert live["metadata"]["labels"] == {"tier": "web"}
    last = json.loads(live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 3
    managers = {(m["manager"], m["operation"]) for m in live["metadata"]["managedFields"]}
    assert ("kubectl-client-side-apply", "Update") in managers, live["metadata"]["managedFields"]
    # defaulting happened on the server
    assert live["spec"]["strategy"]["type"] == "RollingUpdate"
    assert live["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    rv1 = live["metadata"]["resourceVersion"]

    # re-apply with replicas changed and the label dropped: PATCH strategic-merge-patch+json
    dep2 = nginx_deployment(replicas=5)
    cp = kubectl("apply", "-n", ns, "-f", "-", input=dump(dep2))
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster configured", cp.stdout
    live = _get(kubectl, ns, "deployment", "nginx-cluster")
    assert live["spec"]["replicas"] == 5
    assert live["metadata"]["generation"] == 2
    assert live["metadata"]["resourceVersion"] != rv1
    assert "tier" not in (live["metadata"].get("labels") or {}), "3-way merge must remove the dropped label"
    # containers untouched (merged by name, ports kept)
    c = live["spec"]["template"]["spec"]["containers"]
    assert [x["name"] for x in c] == ["nginx"] and c[0]["ports"][0]["containerPort"] == 80

    # unchanged re-apply is a no-op
    cp = kubectl("apply", "-n", ns, "-f", "-", input=dump(dep2))
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster unchanged", cp.stdout
    assert _get(kubectl, ns, "deployment", "nginx-cluster")["metadata"]["generation"] == 2


def test_apply_server_side(kubectl, ns):
    dep = nginx_deployment(name="nginx-ssa")
    cp = kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=dump(dep))
    assert cp.stdout.strip() == "deployment.apps/nginx-ssa serverside-applied", cp.stdout
    live = _get(kubectl, ns, "deployment", "nginx-ssa")
    mf = live["metadata"]["managedFields"]
    ssa = [m for m in mf if m["manager"] == "kubectl" and m["operation"] == "Apply"]
    assert ssa, mf
    assert ssa[0]["apiVersion"] == "apps/v1" and ssa[0]["fieldsType"] == "FieldsV1"
    fields = ssa[0]["fieldsV1"]
    assert "f:spec" in fields and "f:replicas" in fields["f:spec"], fields
    assert live["metadata"]["generation"] == 1

    dep["spec"]["replicas"] = 4
    cp = kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=dump(dep))
    assert cp.stdout.strip() == "deployment.apps/nginx-ssa serverside-applied"
    live = _get(kubectl, ns, "deployment", "nginx-ssa")
    assert live["spec"]["replicas"] == 4
    assert live["metadata"]["generation"] == 2


def test_apply_server_side_conflict(kubectl, ns):
    dep = nginx_deployment(name="nginx-conflict")
    kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=dump(dep))
    other = {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "nginx-conflict"}, "spec": {"replicas": 7}}
    cp = kubectl("apply", "--server-side", "--field-manager=other", "-n", ns, "-f", "-",
                 input=dump(other), check=False)
    assert cp.returncode != 0
    assert "conflict" in cp.stderr.lower() and ".spec.replicas" in cp.stderr, cp.stderr
    assert 'conflict with "kubectl"' in cp.stderr, cp.stderr
    assert _get(kubectl, ns, "deployment", "nginx-conflict")["spec"]["replicas"] == 3

    cp = kubectl("apply", "--server-side", "--field-manager=other", "--force-conflicts",
                 "-n", ns, "-f", "-", input=dump(other))
    live = _get(kubectl, ns, "deployment", "nginx-conflict")
    assert live["spec"]["replicas"] == 7
    managers = {m["manager"] for m in live["metadata"]["managedFields"]}
    assert "other" in managers, live["metadata"]["managedFields"]


def test_apply_dry_run_server(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump(nginx_deployment()))
    before = _get(kubectl, ns, "deployment", "nginx-cluster")

    cp = kubectl("apply", "--dry-run=server", "-n", ns, "-f", "-", input=dump(nginx_deployment(replicas=7)))
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster configured (server dry run)", cp.stdout
    after = _get(kubectl, ns, "deployment", "nginx-cluster")
    assert after["spec"]["replicas"] == 3
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["metadata"]["annotations"] == before["metadata"]["annotations"]

    # nothing (not even a controller) touches a ConfigMap: its resourceVersion must not move
    kubectl("apply", "-n", ns, "-f", "-", input=dump(configmap("dry-live", {"k": "v1"})))
    cm_before = _get(kubectl, ns, "configmap", "dry-live")
    cp = kubectl("apply", "--dry-run=server", "-n", ns, "-f", "-", input=dump(configmap("dry-live", {"k": "v2"})))
    assert cp.stdout.strip() == "configmap/dry-live configured (server dry run)", cp.stdout
    cm_after = _get(kubectl, ns, "configmap", "dry-live")
    assert cm_after["data"] == {"k": "v1"}
    assert cm_after["metadata"]["resourceVersion"] == cm_before["metadata"]["resourceVersion"]

    # a dry-run create leaves nothing behind
    cp = kubectl("apply", "--dry-run=server", "-n", ns, "-f", "-", input=dump(configmap("dry-cm")))
    assert cp.stdout.strip() == "configmap/dry-cm created (server dry run)", cp.stdout
    cp = kubectl("get", "configmap", "dry-cm", "-n", ns, check=False)
    assert cp.returncode != 0 and "NotFound" in cp.stderr, cp.stderr


def test_diff(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump(nginx_deployment()))
    same = kubectl("diff", "-n", ns, "-f", "-", input=dump(nginx_deployment()), check=False)
    assert same.returncode == 0, f"rc={same.returncode}\n{same.stdout}\n{same.stderr}"
    assert same.stdout.strip() == ""

    changed = kubectl("diff", "-n", ns, "-f", "-", input=dump(nginx_deployment(replicas=4)), check=False)
    assert changed.returncode == 1, f"rc={changed.returncode}\n{changed.stdout}\n{changed.stderr}"
    lines = changed.stdout.splitlines()
    assert any(l.strip() == "-  replicas: 3" or l.replace(" ", "") == "-replicas:3" for l in lines), changed.stdout
    assert any(l.replace(" ", "") == "+replicas:4" for l in lines), changed.stdout
    # diff never changes the live object
    assert _get(kubectl, ns, "deployment", "nginx-cluster")["spec"]["replicas"] == 3


def test_invalid_name_rejected(kubectl, ns):
    cp = kubectl("create", "configmap", "Bad_Name", "-n", ns, check=False)
    assert cp.returncode != 0
    # `create configmap` prints "error: failed to create configmap: <server message>"
    assert 'ConfigMap "Bad_Name" is invalid' in cp.stderr, cp.stderr
    assert 'metadata.name: Invalid value: "Bad_Name"' in cp.stderr, cp.stderr
    assert "a lowercase RFC 1123 subdomain" in cp.stderr, cp.stderr

    cp = kubectl("apply", "-n", ns, "-f", "-", input=dump(configmap("Bad_Name")), check=False)
    assert cp.returncode != 0
    assert 'The ConfigMap "Bad_Name" is invalid' in cp.stderr, cp.stderr
    assert 'metadata.name: Invalid value: "Bad_Name"' in cp.stderr, cp.stderr
    assert "a lowercase RFC 1123 subdomain" in cp.stderr, cp.stderr


def test_strict_unknown_field_rejected(kubectl, ns):
    dep = nginx_deployment(name="nginx-strict")
    dep["spec"]["replicaz"] = 3
    cp = kubectl("apply", "-n", ns, "-f", "-", input=dump(dep), check=False)
    assert cp.returncode != 0
    assert "Error from server (BadRequest)" in cp.stderr, cp.stderr
    assert 'strict decoding error: unknown field "spec.replicaz"' in cp.stderr, cp.stderr
    gone = kubectl("get", "deployment", "nginx-strict", "-n", ns, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr

    # the same through server-side apply
    cp = kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=dump(dep), check=False)
    assert cp.returncode != 0
    assert 'unknown field "spec.replicaz"' in cp.stderr, cp.stderr

    # --validate=false sends fieldValidation=Ignore: the unknown field is dropped
    cp = kubectl("apply", "--validate=false", "-n", ns, "-f", "-", input=dump(dep))
    assert cp.stdout.strip() == "deployment.apps/nginx-strict created"
    live = _get(kubectl, ns, "deployment", "nginx-strict")
    assert "replicaz" not in live["spec"]


def test_service_gets_cluster_ip(kubectl, ns):
    import ipaddress

    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "nginx"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    cp = kubectl("apply", "-n", ns, "-f", "-", input=dump(svc))
    assert cp.stdout.strip() == "service/web created"
    live = _get(kubectl, ns, "service", "web")
    spec = live["spec"]
    assert spec["type"] == "ClusterIP"
    ip = spec.get("clusterIP")
    assert ip and ip != "None", f"no ClusterIP allocated: {spec}"
    ipaddress.ip_address(ip)
    assert spec.get("clusterIPs") == [ip], spec
    assert spec["ports"][0] == {"port": 80, "targetPort": 8080, "protocol": "TCP"}, spec["ports"]
    out = kubectl("get", "service", "web", "-n", ns).stdout
    assert out.splitlines()[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], out
    assert out.splitlines()[1].split()[:5] == ["web", "ClusterIP", ip, "<none>", "80/TCP"], out
    # a second Service gets a different address
    svc["metadata"]["name"] = "web2"
    kubectl("apply", "-n", ns, "-f", "-", input=dump(svc))
    assert _get(kubectl, ns, "service", "web2")["spec"]["clusterIP"] != ip
