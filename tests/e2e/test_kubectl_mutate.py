"""kubectl: describe, label, annotate, patch (strategic/merge/json), scale, autoscale,
edit, replace (optimistic concurrency)."""

import json
import re
import stat

from harness import configmap, dump, nginx_deployment, table, table_dicts


def _dep(kubectl, ns, name="nginx-cluster"):
    return json.loads(kubectl("get", "deployment", name, "-n", ns, "-o", "json").stdout)


def _seed(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump(nginx_deployment()))


def test_describe_deployment(kubectl, ns):
    _seed(kubectl, ns)
    out = kubectl("describe", "deployment", "nginx-cluster", "-n", ns).stdout
    assert re.search(r"^Name:\s+nginx-cluster$", out, re.M), out
    assert re.search(rf"^Namespace:\s+{ns}$", out, re.M), out
    assert re.search(r"^Selector:\s+app=nginx$", out, re.M), out
    assert re.search(r"^Replicas:\s+3 desired \|", out, re.M), out
    assert re.search(r"^StrategyType:\s+RollingUpdate$", out, re.M), out
    assert re.search(r"^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$", out, re.M), out
    assert re.search(r"^\s+Image:\s+nginx:1\.25$", out, re.M), out
    assert re.search(r"^\s+Port:\s+80/TCP$", out, re.M), out
    assert re.search(r"^Events:", out, re.M), out


def test_label_and_annotate(kubectl, ns):
    _seed(kubectl, ns)
    cp = kubectl("label", "deployment", "nginx-cluster", "-n", ns, "tier=web", "team=a")
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster labeled"
    assert _dep(kubectl, ns)["metadata"]["labels"] == {"tier": "web", "team": "a"}

    cp = kubectl("label", "deployment", "nginx-cluster", "-n", ns, "tier=db", check=False)
    assert cp.returncode != 0 and "already has a value (web)" in cp.stderr, cp.stderr
    kubectl("label", "deployment", "nginx-cluster", "-n", ns, "tier=db", "--overwrite")
    kubectl("label", "deployment", "nginx-cluster", "-n", ns, "team-")
    assert _dep(kubectl, ns)["metadata"]["labels"] == {"tier": "db"}
    assert kubectl("get", "deploy", "-n", ns, "-l", "tier=db", "-o", "name").stdout.split() == \
        ["deployment.apps/nginx-cluster"]

    gen = _dep(kubectl, ns)["metadata"]["generation"]
    assert gen == 1, "label changes must not bump a Deployment's generation"
    cp = kubectl("annotate", "deployment", "nginx-cluster", "-n", ns, "example.com/owner=alice")
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster annotated"
    d = _dep(kubectl, ns)
    assert d["metadata"]["annotations"]["example.com/owner"] == "alice"
    # upstream's Deployment strategy bumps generation on annotation changes too
    # (annotations are copied to the ReplicaSets)
    assert d["metadata"]["generation"] == gen + 1
    cp = kubectl("annotate", "deployment", "nginx-cluster", "-n", ns, "example.com/owner=bob", check=False)
    assert cp.returncode != 0 and "already has a value (alice)" in cp.stderr, cp.stderr
    kubectl("annotate", "deployment", "nginx-cluster", "-n", ns, "example.com/owner-")
    assert "example.com/owner" not in (_dep(kubectl, ns)["metadata"].get("annotations") or {})


def test_patch_strategic(kubectl, ns):
    _seed(kubectl, ns)
    gen = _dep(kubectl, ns)["metadata"]["generation"]
    cp = kubectl("patch", "deployment", "nginx-cluster", "-n", ns, "--type=strategic", "-p",
                 json.dumps({"spec": {"template": {"spec": {"containers": [
                     {"name": "nginx", "image": "nginx:1.26"},
                     {"name": "sidecar", "image": "busybox:1.36"}]}}}}))
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster patched"
    d = _dep(kubectl, ns)
    cs = {c["name"]: c for c in d["spec"]["template"]["spec"]["containers"]}
    assert set(cs) == {"nginx", "sidecar"}, cs
    assert cs["nginx"]["image"] == "nginx:1.26"
    assert cs["nginx"]["ports"][0]["containerPort"] == 80, "strategic merge keeps the ports of the merged container"
    assert d["metadata"]["generation"] == gen + 1

    # $patch: delete removes a list element by its merge key
    kubectl("patch", "deployment", "nginx-cluster", "-n", ns, "-p",
            json.dumps({"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}}))
    assert [c["name"] for c in _dep(kubectl, ns)["spec"]["template"]["spec"]["containers"]] == ["nginx"]


def test_patch_merge(kubectl, ns):
    _seed(kubectl, ns)
    cp = kubectl("patch", "deployment", "nginx-cluster", "-n", ns, "--type=merge", "-p",
                 json.dumps({"metadata": {"labels": {"m": "1"}}, "spec": {"replicas": 4}}))
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster patched"
    d = _dep(kubectl, ns)
    assert d["spec"]["replicas"] == 4 and d["metadata"]["labels"]["m"] == "1"
    # JSON merge patch replaces lists wholesale
    kubectl("patch", "deployment", "nginx-cluster", "-n", ns, "--type=merge", "-p",
            json.dumps({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "busybox:1.36"}]}}}}))
    cs = _dep(kubectl, ns)["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in cs] == [("web", "busybox:1.36")]
    assert "ports" not in cs[0]
    # null deletes a key
    kubectl("patch", "deployment", "nginx-cluster", "-n", ns, "--type=merge", "-p",
            '{"metadata":{"labels":{"m":null}}}')
    assert "m" not in (_dep(kubectl, ns)["metadata"].get("labels") or {})


def test_patch_json(kubectl, ns):
    _seed(kubectl, ns)
    cp = kubectl("patch", "deployment", "nginx-cluster", "-n", ns, "--type=json", "-p", json.dumps([
        {"op": "replace", "path": "/spec/replicas", "value": 2},
        {"op": "add", "path": "/metadata/labels", "value": {"j": "x"}},
        {"op": "add", "path": "/spec/template/spec/containers/0/env",
         "value": [{"name": "A", "value": "1"}]},
    ]))
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster patched"
    d = _dep(kubectl, ns)
    assert d["spec"]["replicas"] == 2
    assert d["metadata"]["labels"] == {"j": "x"}
    assert d["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    gen = d["metadata"]["generation"]
    # a failing `test` op rejects the whole patch
    cp = kubectl("patch", "deployment", "nginx-cluster", "-n", ns, "--type=json", "-p", json.dumps([
        {"op": "replace", "path": "/spec/replicas", "value": 9},
        {"op": "test", "path": "/spec/replicas", "value": 99},
    ]), check=False)
    assert cp.returncode != 0, cp.stdout
    d = _dep(kubectl, ns)
    assert d["spec"]["replicas"] == 2 and d["metadata"]["generation"] == gen


def test_scale(kubectl, ns):
    _seed(kubectl, ns)
    cp = kubectl("scale", "deployment", "nginx-cluster", "-n", ns, "--replicas=5")
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster scaled"
    d = _dep(kubectl, ns)
    assert d["spec"]["replicas"] == 5
    assert d["metadata"]["generation"] == 2
    scale = json.loads(kubectl("get", "--raw", f"/apis/apps/v1/namespaces/{ns}/deployments/nginx-cluster/scale").stdout)
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1", scale
    assert scale["spec"]["replicas"] == 5
    assert scale["status"]["selector"] == "app=nginx"
    # precondition: --current-replicas mismatch is refused
    cp = kubectl("scale", "deployment", "nginx-cluster", "-n", ns, "--current-replicas=3", "--replicas=1", check=False)
    assert cp.returncode != 0
    assert _dep(kubectl, ns)["spec"]["replicas"] == 5


def test_autoscale(kubectl, ns):
    _seed(kubectl, ns)
    cp = kubectl("autoscale", "deployment", "nginx-cluster", "-n", ns, "--cpu-percent=50", "--min=3", "--max=10")
    assert cp.stdout.strip() == "horizontalpodautoscaler.autoscaling/nginx-cluster autoscaled", cp.stdout
    hpa = json.loads(kubectl("get", "hpa", "nginx-cluster", "-n", ns, "-o", "json").stdout)
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["kind"] == "HorizontalPodAutoscaler"
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx-cluster"}
    assert spec["minReplicas"] == 3 and spec["maxReplicas"] == 10
    assert spec["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}], spec
    out = kubectl("get", "hpa", "-n", ns).stdout
    assert table(out)[0] == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"], out
    row = table_dicts(out)[0]
    assert row["NAME"] == "nginx-cluster" and row["REFERENCE"] == "Deployment/nginx-cluster", out
    assert (row["MINPODS"], row["MAXPODS"]) == ("3", "10"), out


def test_hpa_served_as_autoscaling_v1(kubectl, ns):
    assert "autoscaling/v1" in kubectl("api-versions").stdout.split()
    _seed(kubectl, ns)
    kubectl("autoscale", "deployment", "nginx-cluster", "-n", ns, "--cpu-percent=50", "--min=3", "--max=10")
    v1 = json.loads(kubectl("get", "horizontalpodautoscalers.v1.autoscaling", "nginx-cluster", "-n", ns,
                            "-o", "json").stdout)
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 50
    assert (v1["spec"]["minReplicas"], v1["spec"]["maxReplicas"]) == (3, 10)


def test_edit(kubectl, ns, tmp_path):
    _seed(kubectl, ns)
    editor = tmp_path / "editor.sh"
    editor.write_text(
        "#!/bin/sh\n"
        "# kubectl edit calls: $EDITOR <file>; change spec.replicas 3 -> 6 and add a label\n"
        "f=\"$1\"\n"
        "sed -i -e '/^spec:/,/^[a-z]/ s/^  replicas: 3$/  replicas: 6/' "
        "-e 's/^  name: nginx-cluster$/  name: nginx-cluster\\n  labels:\\n    edited: \"yes\"/' \"$f\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    cp = kubectl("edit", "deployment", "nginx-cluster", "-n", ns, "--output-patch=false",
                 env={"EDITOR": str(editor), "KUBE_EDITOR": str(editor)})
    assert cp.stdout.strip() == "deployment.apps/nginx-cluster edited", cp.stdout + cp.stderr
    d = _dep(kubectl, ns)
    assert d["spec"]["replicas"] == 6
    assert d["metadata"]["labels"]["edited"] == "yes"
    assert d["metadata"]["generation"] == 2


def test_replace_stale_resource_version_conflicts(kubectl, ns):
    kubectl("create", "-n", ns, "-f", "-", input=dump(configmap("occ", {"k": "v1"})))
    stale = json.loads(kubectl("get", "configmap", "occ", "-n", ns, "-o", "json").stdout)
    kubectl("patch", "configmap", "occ", "-n", ns, "--type=merge", "-p", '{"data":{"k":"v2"}}')
    stale["data"]["k"] = "v3"
    cp = kubectl("replace", "-n", ns, "-f", "-", input=json.dumps(stale), check=False)
    assert cp.returncode != 0
    assert "Error from server (Conflict)" in cp.stderr, cp.stderr
    assert 'Operation cannot be fulfilled on configmaps "occ"' in cp.stderr, cp.stderr
    assert "the object has been modified; please apply your changes to the latest version and try again" \
        in cp.stderr, cp.stderr
    live = json.loads(kubectl("get", "configmap", "occ", "-n", ns, "-o", "json").stdout)
    assert live["data"]["k"] == "v2"

    # with the current resourceVersion (or none) the replace goes through
    live["data"]["k"] = "v4"
    cp = kubectl("replace", "-n", ns, "-f", "-", input=json.dumps(live))
    assert cp.stdout.strip() == "configmap/occ replaced"
    del stale["metadata"]["resourceVersion"]
    stale["data"]["k"] = "v5"
    kubectl("replace", "-n", ns, "-f", "-", input=json.dumps(stale))
    assert json.loads(kubectl("get", "configmap", "occ", "-n", ns, "-o", "json").stdout)["data"]["k"] == "v5"
