"""kubectl get: server-side tables, output formats, selectors, chunking, watch."""

import json
import queue
import subprocess
import threading
import time

import yaml

from harness import configmap, dump, nginx_deployment, table, table_dicts

# A bare Pod bound to a node that does not exist: no scheduler or node agent will touch it,
# so it stays Pending (as created) even once Capstan runs them.
NO_NODE = "e2e-no-such-node"
BARE_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "bare-pod", "labels": {"app": "nginx"}},
    "spec": {"nodeName": NO_NODE,
             "containers": [{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]},
}


def test_get_deployment_table(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump(nginx_deployment()))
    out = kubectl("get", "deployments", "-n", ns).stdout
    rows = table(out)
    assert rows[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], out
    d = table_dicts(out)
    assert len(d) == 1 and d[0]["NAME"] == "nginx-cluster", out
    assert d[0]["READY"] == "0/3", out  # no kubelet: nothing is ready

    one = kubectl("get", "deployment", "nginx-cluster", "-n", ns).stdout
    assert table(one)[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], one
    assert table(one)[1][0] == "nginx-cluster"

    wide = kubectl("get", "deployments", "-n", ns, "-o", "wide").stdout
    assert table(wide)[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE",
                              "CONTAINERS", "IMAGES", "SELECTOR"], wide
    w = table_dicts(wide)[0]
    assert (w["CONTAINERS"], w["IMAGES"], w["SELECTOR"]) == ("nginx", "nginx:1.25", "app=nginx"), wide


def test_get_pod_table(kubectl, ns):
    cp = kubectl("apply", "-n", ns, "-f", "-", input=dump(BARE_POD))
    assert cp.stdout.strip() == "pod/bare-pod created"
    out = kubectl("get", "pods", "-n", ns).stdout
    assert table(out)[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], out
    row = table_dicts(out)[0]
    assert (row["NAME"], row["READY"], row["STATUS"], row["RESTARTS"]) == ("bare-pod", "0/1", "Pending", "0"), out

    wide = kubectl("get", "pods", "-n", ns, "-o", "wide").stdout
    assert table(wide)[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                              "NOMINATED", "NODE", "READINESS", "GATES"], wide
    row = table(wide)[1]
    assert row[:4] == ["bare-pod", "0/1", "Pending", "0"], wide
    assert row[5:] == ["<none>", NO_NODE, "<none>", "<none>"], wide  # IP, NODE, NOMINATED NODE, GATES

    pod = json.loads(kubectl("get", "pod", "bare-pod", "-n", ns, "-o", "json").stdout)
    assert pod["status"]["phase"] == "Pending"
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_get_output_yaml_json(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump(nginx_deployment()))
    y = yaml.safe_load(kubectl("get", "deployment", "nginx-cluster", "-n", ns, "-o", "yaml").stdout)
    assert y["kind"] == "Deployment" and y["apiVersion"] == "apps/v1"
    assert y["metadata"]["name"] == "nginx-cluster" and y["metadata"]["namespace"] == ns
    assert y["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation"):
        assert key in y["metadata"], key

    lst = json.loads(kubectl("get", "deployments", "-n", ns, "-o", "json").stdout)
    assert lst["kind"] == "List" and lst["apiVersion"] == "v1"
    assert [i["metadata"]["name"] for i in lst["items"]] == ["nginx-cluster"]
    assert lst["items"][0]["kind"] == "Deployment"

    ly = yaml.safe_load(kubectl("get", "deployments", "-n", ns, "-o", "yaml").stdout)
    assert ly["kind"] == "List" and len(ly["items"]) == 1

    name = kubectl("get", "deployments", "-n", ns, "-o", "name").stdout.split()
    assert name == ["deployment.apps/nginx-cluster"]

    jp = kubectl("get", "deployment", "nginx-cluster", "-n", ns, "-o", "jsonpath={.spec.replicas}").stdout
    assert jp == "3"


def test_get_all_namespaces(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump(configmap("cm-everywhere")))
    out = kubectl("get", "configmaps", "-A").stdout
    assert table(out)[0] == ["NAMESPACE", "NAME", "DATA", "AGE"], out
    rows = table_dicts(out)
    assert {"NAMESPACE": ns, "NAME": "cm-everywhere", "DATA": "1"}.items() <= \
        next((r for r in rows if r["NAME"] == "cm-everywhere"), {}).items(), out
    j = json.loads(kubectl("get", "configmaps", "--all-namespaces", "-o", "json").stdout)
    assert (ns, "cm-everywhere") in {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in j["items"]}


def test_get_label_selector(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump([
        configmap("sel-a", labels={"app": "nginx", "tier": "web"}),
        configmap("sel-b", labels={"app": "nginx", "tier": "db"}),
        configmap("sel-c", labels={"app": "other"}),
    ]))
    names = lambda *sel: sorted(kubectl("get", "configmaps", "-n", ns, "-o", "name", *sel).stdout.split())
    assert names("-l", "app=nginx") == ["configmap/sel-a", "configmap/sel-b"]
    assert names("-l", "app=nginx,tier=db") == ["configmap/sel-b"]
    assert names("-l", "app!=nginx,app") == ["configmap/sel-c"]
    assert names("-l", "tier in (web,db)") == ["configmap/sel-a", "configmap/sel-b"]
    assert names("-l", "!tier,app") == ["configmap/sel-c"]
    cp = kubectl("get", "configmaps", "-n", ns, "-l", "app=none", check=False)
    assert cp.returncode == 0 and cp.stdout.strip() == ""
    assert f"No resources found in {ns} namespace." in cp.stderr
    # deployments by label too
    kubectl("apply", "-n", ns, "-f", "-", input=dump(nginx_deployment(app="nginx")))
    assert kubectl("get", "deploy", "-n", ns, "-l", "app=nginx", "-o", "name").stdout.split() == \
        ["deployment.apps/nginx-cluster"]


def test_get_field_selector(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump([configmap("fs-x"), configmap("fs-y")]))
    out = kubectl("get", "configmaps", "-n", ns, "--field-selector", "metadata.name=fs-x", "-o", "name").stdout
    assert out.split() == ["configmap/fs-x"]
    out = kubectl("get", "configmaps", "-A", "--field-selector", f"metadata.namespace={ns},metadata.name!=fs-x",
                  "-o", "name").stdout.split()
    assert "configmap/fs-y" in out and "configmap/fs-x" not in out
    kubectl("apply", "-n", ns, "-f", "-", input=dump(BARE_POD))
    out = kubectl("get", "pods", "-n", ns, "--field-selector", "status.phase=Pending", "-o", "name").stdout
    assert out.split() == ["pod/bare-pod"]
    # an unsupported field is a BadRequest
    cp = kubectl("get", "configmaps", "-n", ns, "--field-selector", "data.k=v", check=False)
    assert cp.returncode != 0 and "BadRequest" in cp.stderr, cp.stderr


def test_get_chunked(kubectl, ns):
    names = [f"chunk-{i}" for i in range(6)]
    kubectl("apply", "-n", ns, "-f", "-", input=dump([configmap(n, labels={"chunk": "yes"}) for n in names]))
    got = kubectl("get", "configmaps", "-n", ns, "-l", "chunk=yes", "--chunk-size=1", "-o", "name").stdout.split()
    assert sorted(got) == sorted(f"configmap/{n}" for n in names), got
    assert len(got) == len(set(got)), f"duplicates across pages: {got}"

    out = kubectl("get", "configmaps", "-n", ns, "-l", "chunk=yes", "--chunk-size=2").stdout
    rows = table(out)
    assert rows[0] == ["NAME", "DATA", "AGE"], out
    assert sorted(r[0] for r in rows[1:]) == names, out  # header printed once, all rows

    j = json.loads(kubectl("get", "configmaps", "-n", ns, "-l", "chunk=yes", "--chunk-size=4", "-o", "json").stdout)
    assert sorted(i["metadata"]["name"] for i in j["items"]) == names

    # raw pagination: limit + continue
    page = json.loads(kubectl("get", "--raw", f"/api/v1/namespaces/{ns}/configmaps?labelSelector=chunk%3Dyes&limit=4").stdout)
    assert len(page["items"]) == 4 and page["metadata"].get("continue"), page["metadata"]
    assert page["metadata"].get("remainingItemCount") in (None, 2)
    tok = page["metadata"]["continue"]
    page2 = json.loads(kubectl("get", "--raw",
                               f"/api/v1/namespaces/{ns}/configmaps?labelSelector=chunk%3Dyes&limit=4&continue={tok}").stdout)
    assert len(page2["items"]) == 2 and not page2["metadata"].get("continue")
    assert sorted(i["metadata"]["name"] for i in page["items"] + page2["items"]) == names


def test_get_not_found(kubectl, ns):
    cp = kubectl("get", "deployment", "nope", "-n", ns, check=False)
    assert cp.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "nope" not found' in cp.stderr, cp.stderr


def _reader(stream, q):
    for line in iter(stream.readline, ""):
        q.put(line)
    q.put(None)


def test_get_watch(clients, kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump(configmap("w-pre")))
    argv = clients.kubectl_argv("get", "configmaps", "-n", ns, "-w", "--output-watch-events")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clients.env(), stdin=subprocess.DEVNULL, start_new_session=True)
    q: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, q), daemon=True).start()
    seen: list[tuple[str, str]] = []
    lines: list[str] = []

    def wait_event(ev, name, timeout=30.0):
        deadline = time.monotonic() + timeout
        while (ev, name) not in seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {ev} {name} within {timeout}s; output so far:\n{''.join(lines)}"
                                     f"\nstderr: {proc.stderr.read() if proc.poll() is not None else '(running)'}")
            try:
                line = q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"kubectl get -w exited (rc={proc.wait()}) before {ev} {name}:\n"
                                     f"{''.join(lines)}\nstderr: {proc.stderr.read()}")
            lines.append(line)
            cells = line.split()
            if len(cells) >= 2:
                seen.append((cells[0], cells[1]))

    try:
        wait_event("ADDED", "w-pre")  # the initial list, as watch events
        assert lines[0].split()[:4] == ["EVENT", "NAME", "DATA", "AGE"], lines
        kubectl("create", "configmap", "w-cm", "-n", ns, "--from-literal=a=1")
        wait_event("ADDED", "w-cm")
        kubectl("patch", "configmap", "w-cm", "-n", ns, "--type=merge", "-p", '{"data":{"a":"2","b":"3"}}')
        wait_event("MODIFIED", "w-cm")
        kubectl("delete", "configmap", "w-cm", "-n", ns)
        wait_event("DELETED", "w-cm")
        idx = [seen.index(e) for e in (("ADDED", "w-cm"), ("MODIFIED", "w-cm"), ("DELETED", "w-cm"))]
        assert idx == sorted(idx), seen
        assert proc.poll() is None, "the watch must stay open"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_get_all_category(kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", input=dump([
        nginx_deployment(), BARE_POD,
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"selector": {"app": "nginx"}, "ports": [{"port": 80}]}},
        configmap("not-in-all"),
    ]))
    names = set(kubectl("get", "all", "-n", ns, "-o", "name").stdout.split())
    assert {"pod/bare-pod", "service/web", "deployment.apps/nginx-cluster"} <= names, names
    assert "configmap/not-in-all" not in names, names


def test_watchlist_initial_events_end_bookmark(kubectl, ns):
    """The informer 'WatchList' request (kubectl rollout status / delete --wait use it):
    initial ADDED events, then a BOOKMARK annotated k8s.io/initial-events-end."""
    kubectl("apply", "-n", ns, "-f", "-", input=dump([configmap("wl-1"), configmap("wl-2")]))
    path = (f"/api/v1/namespaces/{ns}/configmaps?watch=true&sendInitialEvents=true"
            "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2")
    out = kubectl("get", "--raw", path, timeout=30).stdout
    events = [json.loads(l) for l in out.splitlines() if l.strip()]
    types = [e["type"] for e in events]
    assert sorted((e["type"], e["object"]["metadata"]["name"]) for e in events if e["type"] == "ADDED") == \
        [("ADDED", "wl-1"), ("ADDED", "wl-2")], events
    assert "BOOKMARK" in types, types
    bm = events[types.index("BOOKMARK")]
    assert types.index("BOOKMARK") > max(i for i, t in enumerate(types) if t == "ADDED"), types
    assert bm["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"] == "true", bm
    assert bm["object"]["kind"] == "ConfigMap" and bm["object"]["metadata"]["resourceVersion"], bm
