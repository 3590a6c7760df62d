"""kubectl: version, discovery (api-resources / api-versions), create namespace, explain."""

import json
import re

from harness import k8s_name, table_dicts


def test_version(kubectl):
    out = kubectl("version", "-o", "json").stdout
    v = json.loads(out)
    assert v["clientVersion"]["gitVersion"].startswith("v1.37."), v["clientVersion"]
    sv = v.get("serverVersion")
    assert sv, f"no serverVersion in {out}"
    assert sv["major"] == "1", sv
    assert re.fullmatch(r"\d+\+?", sv["minor"]), sv
    assert re.match(r"v1\.\d+\.\d+", sv["gitVersion"]), sv
    plain = kubectl("version").stdout
    assert "Client Version: v1.37." in plain
    assert re.search(r"^Server Version: v1\.\d+\.\d+", plain, re.M), plain


def test_api_resources(kubectl):
    rows = table_dicts(kubectl("api-resources").stdout)
    by_name = {}
    for r in rows:
        by_name.setdefault(r["NAME"], []).append(r)

    def has(name, apiversion, namespaced, kind, short=None):
        cands = [r for r in by_name.get(name, []) if r["APIVERSION"] == apiversion]
        assert cands, f"{name} {apiversion} not in api-resources: {by_name.get(name)}"
        r = cands[0]
        assert r["NAMESPACED"] == namespaced and r["KIND"] == kind, r
        if short:
            assert short in r["SHORTNAMES"].split(","), r

    has("pods", "v1", "true", "Pod", "po")
    has("namespaces", "v1", "false", "Namespace", "ns")
    has("configmaps", "v1", "true", "ConfigMap", "cm")
    has("services", "v1", "true", "Service", "svc")
    has("secrets", "v1", "true", "Secret")
    has("deployments", "apps/v1", "true", "Deployment", "deploy")
    has("horizontalpodautoscalers", "autoscaling/v2", "true", "HorizontalPodAutoscaler", "hpa")

    names = set(kubectl("api-resources", "-o", "name").stdout.split())
    for n in ("pods", "configmaps", "deployments.apps", "horizontalpodautoscalers.autoscaling"):
        assert n in names, f"{n} missing from `api-resources -o name`"

    versions = set(kubectl("api-versions").stdout.split())
    for gv in ("v1", "apps/v1", "autoscaling/v2"):
        assert gv in versions, f"{gv} missing from api-versions: {sorted(versions)}"


def test_create_namespace(request, kubectl):
    name = k8s_name(request.node.name)
    cp = kubectl("create", "namespace", name)  # protobuf request body
    assert cp.stdout.strip() == f"namespace/{name} created"
    obj = json.loads(kubectl("get", "namespace", name, "-o", "json").stdout)
    assert obj["kind"] == "Namespace" and obj["metadata"]["name"] == name
    assert obj["status"]["phase"] == "Active"
    assert obj["metadata"]["uid"] and obj["metadata"]["resourceVersion"]
    rows = table_dicts(kubectl("get", "namespace", name).stdout)
    assert rows == [{"NAME": name, "STATUS": "Active", "AGE": rows[0]["AGE"]}], rows
    # a second create is AlreadyExists
    cp = kubectl("create", "namespace", name, check=False)
    assert cp.returncode != 0
    assert f'Error from server (AlreadyExists): namespaces "{name}" already exists' in cp.stderr


def test_explain_deployment_strategy(kubectl):
    out = kubectl("explain", "deployment.spec.strategy").stdout
    assert re.search(r"^GROUP:\s+apps$", out, re.M), out
    assert re.search(r"^KIND:\s+Deployment$", out, re.M), out
    assert re.search(r"^VERSION:\s+v1$", out, re.M), out
    assert re.search(r"^FIELD:\s+strategy <DeploymentStrategy>", out, re.M), out
    assert re.search(r"^\s+rollingUpdate\s+<RollingUpdateDeployment>", out, re.M), out
    assert re.search(r"^\s+type\s+<string>", out, re.M), out


def test_explain_pods(kubectl):
    out = kubectl("explain", "pods").stdout
    assert re.search(r"^KIND:\s+Pod$", out, re.M), out
    assert re.search(r"^VERSION:\s+v1$", out, re.M), out
    for field in ("apiVersion", "kind", "metadata", "spec", "status"):
        assert re.search(rf"^\s+{field}\s+<", out, re.M), f"{field} missing:\n{out}"
