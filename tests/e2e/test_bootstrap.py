"""The objects the server creates for itself at every start, seen through kubectl:
APIServices and their discovery, the system PriorityClasses, componentstatuses and the
default RBAC policy (issue: API limits and fidelity)."""

import json

from harness import table_dicts


def test_apiservices_and_discovery(kubectl):
    rows = {r["NAME"]: r for r in table_dicts(kubectl("get", "apiservices").stdout)}
    for name in ["v1.", "v1.apps", "v2.autoscaling", "v1.apiregistration.k8s.io"]:
        assert rows[name]["SERVICE"] == "Local" and rows[name]["AVAILABLE"] == "True", rows.get(name)
    groups = [g["name"] for g in json.loads(kubectl("get", "--raw", "/apis").stdout)["groups"]]
    assert groups[:2] == ["apiregistration.k8s.io", "apps"], groups
    assert "apiregistration.k8s.io/v1" in kubectl("api-versions").stdout.split()

    svc = """apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.e2e.capstan.io
spec:
  group: e2e.capstan.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service:
    namespace: default
    name: e2e-api
"""
    kubectl("create", "-f", "-", input=svc)
    try:
        again = kubectl("create", "-f", "-", input=svc, check=False)
        assert again.returncode != 0
        assert 'apiservices.apiregistration.k8s.io "v1beta1.e2e.capstan.io" already exists' in again.stderr, again.stderr
    finally:
        kubectl("delete", "apiservice", "v1beta1.e2e.capstan.io")


def test_priority_classes(kubectl):
    rows = {r["NAME"]: r for r in table_dicts(kubectl("get", "priorityclasses").stdout)}
    assert rows["system-node-critical"]["VALUE"] == "2000001000"
    assert rows["system-cluster-critical"]["VALUE"] == "2000000000"


def test_component_statuses(kubectl):
    out = kubectl("get", "componentstatuses")
    assert "v1 ComponentStatus is deprecated in v1.19+" in out.stderr, out.stderr
    rows = {r["NAME"]: r for r in table_dicts(out.stdout)}
    assert rows["etcd-0"]["STATUS"] == "Healthy", rows
    assert set(rows) == {"scheduler", "controller-manager", "etcd-0"}
    denied = kubectl("delete", "componentstatus", "etcd-0", check=False)
    assert denied.returncode != 0 and "MethodNotAllowed" in denied.stderr, denied.stderr


def test_default_rbac_policy(kubectl):
    admin = json.loads(kubectl("get", "clusterrole", "cluster-admin", "-o", "json").stdout)
    assert admin["rules"] == [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]},
    ], admin["rules"]
    assert admin["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults"
    binding = json.loads(kubectl("get", "clusterrolebinding", "cluster-admin", "-o", "json").stdout)
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]
    roles = {r["NAME"] for r in table_dicts(kubectl("get", "clusterroles").stdout)}
    for want in ["admin", "edit", "view", "system:node", "system:kube-scheduler",
                 "system:kube-controller-manager", "system:discovery", "system:basic-user",
                 "system:public-info-viewer", "system:controller:deployment-controller"]:
        assert want in roles, want
    # the aggregated roles carry the rules of the roles that aggregate to them
    view = json.loads(kubectl("get", "clusterrole", "view", "-o", "json").stdout)
    assert view["aggregationRule"]["clusterRoleSelectors"]
    assert any("pods" in r.get("resources", []) and "list" in r["verbs"] for r in view["rules"]), view["rules"]
    # kube-system's default Roles and RoleBindings
    assert "extension-apiserver-authentication-reader" in kubectl(
        "get", "roles", "-n", "kube-system").stdout
