"""helm 4: install / list / upgrade / history / uninstall of tests/e2e/charts/small."""

import json

from harness import CHARTS, wait_for

CHART = str(CHARTS / "small")


def _release(helm, ns, name="r1"):
    rel = json.loads(helm("list", "-n", ns, "-o", "json").stdout)
    return next((r for r in rel if r["name"] == name), None), rel


def test_helm_lifecycle(helm, kubectl, ns):
    v = helm("version", "--short").stdout.strip()
    assert v.startswith("v4."), v

    cp = helm("install", "r1", CHART, "-n", ns)
    assert "STATUS: deployed" in cp.stdout, cp.stdout
    assert "REVISION: 1" in cp.stdout, cp.stdout

    rel, all_rel = _release(helm, ns)
    assert rel, all_rel
    assert rel["status"] == "deployed" and str(rel["revision"]) == "1", rel
    assert rel["chart"] == "small-0.1.0" and rel["namespace"] == ns, rel
    table = helm("list", "-n", ns).stdout
    assert "r1" in table and "deployed" in table, table

    # the release objects exist, labelled/annotated by helm
    cm = json.loads(kubectl("get", "configmap", "r1-small", "-n", ns, "-o", "json").stdout)
    assert cm["data"] == {"greeting": "hello", "replicas": "1"}
    assert cm["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert cm["metadata"]["annotations"]["meta.helm.sh/release-name"] == "r1"
    assert cm["metadata"]["annotations"]["meta.helm.sh/release-namespace"] == ns
    dep = json.loads(kubectl("get", "deployment", "r1-small", "-n", ns, "-o", "json", "--show-managed-fields").stdout)
    assert dep["spec"]["replicas"] == 1
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    svc = json.loads(kubectl("get", "service", "r1-small", "-n", ns, "-o", "json").stdout)
    assert svc["spec"]["ports"][0]["port"] == 80
    assert svc["spec"]["type"] == "ClusterIP", svc["spec"]
    # (ClusterIP allocation itself is covered by test_kubectl_apply.py::test_service_gets_cluster_ip)
    # helm 4 uses server-side apply with field manager "helm"
    assert any(m["manager"] == "helm" for m in dep["metadata"]["managedFields"]), dep["metadata"]["managedFields"]

    # release storage: a helm.sh/release.v1 Secret
    secrets = json.loads(kubectl("get", "secrets", "-n", ns, "-l", "owner=helm,name=r1", "-o", "json").stdout)
    assert [s["metadata"]["name"] for s in secrets["items"]] == ["sh.helm.release.v1.r1.v1"]
    assert secrets["items"][0]["type"] == "helm.sh/release.v1"

    # upgrade
    cp = helm("upgrade", "r1", CHART, "-n", ns, "--set", "replicaCount=2")
    assert "STATUS: deployed" in cp.stdout and "REVISION: 2" in cp.stdout, cp.stdout
    rel, all_rel = _release(helm, ns)
    assert rel["status"] == "deployed" and str(rel["revision"]) == "2", rel
    dep = json.loads(kubectl("get", "deployment", "r1-small", "-n", ns, "-o", "json").stdout)
    assert dep["spec"]["replicas"] == 2
    assert dep["metadata"]["generation"] == 2
    cm = json.loads(kubectl("get", "configmap", "r1-small", "-n", ns, "-o", "json").stdout)
    assert cm["data"]["replicas"] == "2"
    hist = json.loads(helm("history", "r1", "-n", ns, "-o", "json").stdout)
    assert [(h["revision"], h["status"]) for h in hist] == [(1, "superseded"), (2, "deployed")], hist
    values = json.loads(helm("get", "values", "r1", "-n", ns, "-o", "json").stdout)
    assert values == {"replicaCount": 2}, values

    # uninstall
    cp = helm("uninstall", "r1", "-n", ns)
    assert 'release "r1" uninstalled' in cp.stdout, cp.stdout
    for kind in ("configmap", "deployment", "service"):
        wait_for(lambda: _gone(kubectl, ns, kind, "r1-small"), timeout=30, what=f"{kind}/r1-small to be deleted")
    assert json.loads(helm("list", "-n", ns, "-o", "json").stdout) == []
    assert helm("list", "-n", ns, "-q").stdout.strip() == ""
    secrets = json.loads(kubectl("get", "secrets", "-n", ns, "-l", "owner=helm", "-o", "json").stdout)
    assert secrets["items"] == []


def _gone(kubectl, ns, kind, name):
    cp = kubectl("get", kind, name, "-n", ns, check=False)
    return cp.returncode != 0 and "NotFound" in cp.stderr


def test_helm_install_failure_is_reported(helm, ns):
    """A chart rendering an invalid object fails the install with the server's message."""
    cp = helm("install", "r2", CHART, "-n", ns, "--set", "service.type=Bogus", check=False)
    assert cp.returncode != 0, cp.stdout
    assert "Unsupported value" in cp.stderr and "Bogus" in cp.stderr, cp.stderr
    rel, _ = _release(helm, ns, "r2")
    assert rel is not None and rel["status"] == "failed", rel
