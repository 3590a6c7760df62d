"""API hardening, as a careless or hostile client tries it: wrongly typed objects through
every wire format and write path, crafted continue tokens, odd patches, content types and
duplicate keys, and the messages kubectl prints for invalid objects.

What must hold: upstream's codes and message forms, nothing wrongly typed is stored, and
the namespace stays readable by typed clients (the Python client, kubectl describe).
"""

from __future__ import annotations

import base64
import copy
import json

import pytest
import yaml
from kubernetes import client

from harness import dump

T = 30


def raw(api_client, method, path, body=None, content_type=None):
    """One request through the Python client's TLS pool: (status, decoded body, headers)."""
    headers = {"Accept": "application/json"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    r = api_client.rest_client.pool_manager.request(
        method, api_client.configuration.host + path, body=body, headers=headers,
        preload_content=True, timeout=T)
    try:
        data = json.loads(r.data) if r.data else None
    except ValueError:
        data = r.data
    return r.status, data, r.headers


def cm(name, data=None, **meta):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, **meta}, "data": data if data is not None else {"k": "v"}}


def pod(name, port=80):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": port}]}]}}


def deployment(name, replicas=1):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def secret(name, data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": data}


JM = "json: cannot unmarshal"

# (label, kind collection, good object, JSON path to set, bad value, upstream's error text)
META = "Go struct field ObjectMeta.metadata"
CASES = [
    ("labels-list", "configmaps", cm("x"), ["metadata", "labels"], [],
     f"{JM} array into {META}.labels of type map[string]string"),
    ("labels-string", "configmaps", cm("x"), ["metadata", "labels"], "s",
     f"{JM} string into {META}.labels of type map[string]string"),
    ("label-number", "configmaps", cm("x"), ["metadata", "labels"], {"a": 1},
     f"{JM} number into {META}.labels of type string"),
    ("annotations-string", "configmaps", cm("x"), ["metadata", "annotations"], "s",
     f"{JM} string into {META}.annotations of type map[string]string"),
    ("annotation-object", "configmaps", cm("x"), ["metadata", "annotations"], {"a": {}},
     f"{JM} object into {META}.annotations of type string"),
    ("finalizers-string", "configmaps", cm("x"), ["metadata", "finalizers"], "x",
     f"{JM} string into {META}.finalizers of type []string"),
    ("finalizer-number", "configmaps", cm("x"), ["metadata", "finalizers"], [1],
     f"{JM} number into {META}.finalizers of type string"),
    ("generation-string", "configmaps", cm("x"), ["metadata", "generation"], "abc",
     f"{JM} string into {META}.generation of type int64"),
    ("generation-float", "configmaps", cm("x"), ["metadata", "generation"], 1.5,
     f"{JM} number 1.5 into {META}.generation of type int64"),
    ("generation-huge", "configmaps", cm("x"), ["metadata", "generation"], 1e30,
     f"{JM} number 1e30 into {META}.generation of type int64"),
    ("uid-object", "configmaps", cm("x"), ["metadata", "uid"], {},
     f"{JM} object into {META}.uid of type types.UID"),
    ("name-number", "configmaps", cm("x"), ["metadata", "generateName"], 5,
     f"{JM} number into {META}.generateName of type string"),
    ("resource-version-number", "configmaps", cm("x"), ["metadata", "resourceVersion"], 7,
     f"{JM} number into {META}.resourceVersion of type string"),
    ("self-link-bool", "configmaps", cm("x"), ["metadata", "selfLink"], True,
     f"{JM} bool into {META}.selfLink of type string"),
    ("creation-timestamp-number", "configmaps", cm("x"), ["metadata", "creationTimestamp"], 12,
     f"{JM} number into {META}.creationTimestamp of type string"),
    ("creation-timestamp-text", "configmaps", cm("x"), ["metadata", "creationTimestamp"], "abc",
     'parsing time "abc" as "2006-01-02T15:04:05Z07:00": cannot parse "abc" as "2006"'),
    ("deletion-timestamp-bool", "configmaps", cm("x"), ["metadata", "deletionTimestamp"], False,
     f"{JM} bool into {META}.deletionTimestamp of type string"),
    ("grace-string", "configmaps", cm("x"), ["metadata", "deletionGracePeriodSeconds"], "x",
     f"{JM} string into {META}.deletionGracePeriodSeconds of type int64"),
    ("owner-refs-object", "configmaps", cm("x"), ["metadata", "ownerReferences"], {},
     f"{JM} object into {META}.ownerReferences of type []v1.OwnerReference"),
    ("owner-ref-uid", "configmaps", cm("x"), ["metadata", "ownerReferences"],
     [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": 5}],
     f"{JM} number into Go struct field OwnerReference.metadata.ownerReferences.uid of type types.UID"),
    ("managed-fields-string", "configmaps", cm("x"), ["metadata", "managedFields"], "x",
     f"{JM} string into {META}.managedFields of type []v1.ManagedFieldsEntry"),
    ("data-number", "configmaps", cm("x"), ["data"], {"k": 1},
     f"{JM} number into Go struct field ConfigMap.data of type string"),
    ("data-list", "configmaps", cm("x"), ["data"], ["a"],
     f"{JM} array into Go struct field ConfigMap.data of type map[string]string"),
    ("binary-data-base64", "configmaps", cm("x"), ["binaryData"], {"b": "%%%"},
     "illegal base64 data at input byte 0"),
    ("binary-data-bool", "configmaps", cm("x"), ["binaryData"], {"b": True},
     f"{JM} bool into Go struct field ConfigMap.binaryData of type []uint8"),
    ("secret-base64", "secrets", secret("x", {"k": "YWJj"}), ["data"], {"k": "%%%"},
     "illegal base64 data at input byte 0"),
    ("secret-number", "secrets", secret("x", {"k": "YWJj"}), ["data"], {"k": 1},
     f"{JM} number into Go struct field Secret.data of type []uint8"),
    ("port-string", "pods", pod("x"), ["spec", "containers", 0, "ports", 0, "containerPort"], "80",
     f"{JM} string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"),
    ("port-huge", "pods", pod("x"), ["spec", "containers", 0, "ports", 0, "containerPort"], 99999999999,
     f"{JM} number 99999999999 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"),
    ("replicas-string", "deployments", deployment("x"), ["spec", "replicas"], "3",
     f"{JM} string into Go struct field DeploymentSpec.spec.replicas of type int32"),
    ("replicas-float", "deployments", deployment("x"), ["spec", "replicas"], 1.5,
     f"{JM} number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"),
]

KINDS = {"configmaps": ("ConfigMap", "/api/v1"), "secrets": ("Secret", "/api/v1"),
         "pods": ("Pod", "/api/v1"), "deployments": ("Deployment", "/apis/apps/v1")}


def setpath(obj, path, value):
    o = copy.deepcopy(obj)
    cur = o
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    return o


def merge_patch_for(path, value):
    """A merge patch setting `path` (lists replaced whole, as merge patches do)."""
    if any(isinstance(p, int) for p in path):
        return None
    patch = value
    for p in reversed(path):
        patch = {p: patch}
    return patch


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_wrongly_typed_objects_are_refused_on_every_write_path(api_client, ns, case):
    label, plural, good, path, bad, expected = case
    kind, prefix = KINDS[plural]
    coll = f"{prefix}/namespaces/{ns}/{plural}"
    obj = setpath(good, path, bad)
    name = f"bad-{label}"
    obj["metadata"]["name"] = name

    # create as JSON: upstream's decode error, word for word
    code, st, _ = raw(api_client, "POST", coll, obj, "application/json")
    assert code == 400, (code, st)
    assert st["reason"] == "BadRequest"
    assert st["message"] == f'{kind} in version "v1" cannot be handled as a {kind}: {expected}', st
    # as YAML (go-yaml renders numbers its own way: 1e30 is 1e+30)
    code, st, _ = raw(api_client, "POST", coll, yaml.safe_dump(obj), "application/yaml")
    assert code == 400, (code, st)
    assert st["message"].startswith(f'{kind} in version "v1" cannot be handled as a {kind}: '), st
    # nothing was stored
    code, st, _ = raw(api_client, "GET", f"{coll}/{name}")
    assert code == 404, (code, st)

    # an existing good object, patched into the wrong type every way, stays as it was
    good_obj = copy.deepcopy(good)
    good_obj["metadata"]["name"] = "good"
    code, st, _ = raw(api_client, "POST", coll, good_obj, "application/json")
    assert code in (201, 409), (code, st)
    code, before, _ = raw(api_client, "GET", f"{coll}/good")
    assert code == 200
    merge = merge_patch_for(path, bad)
    json_path = "/" + "/".join(str(p) for p in path)
    patches = [("application/json-patch+json", [{"op": "add", "path": json_path, "value": bad}])]
    if merge is not None:
        patches += [("application/merge-patch+json", merge),
                    ("application/strategic-merge-patch+json", merge)]
    for ct, patch in patches:
        code, st, _ = raw(api_client, "PATCH", f"{coll}/good", patch, ct)
        assert code in (400, 422), (ct, code, st)
        if code == 422:
            # upstream's shape for a patch result that does not decode: the cause `patch`
            assert st["details"]["causes"][0]["field"] == "patch", st
            assert st["message"].startswith(' "" is invalid: patch: Invalid value: '), st
        if ct != "application/strategic-merge-patch+json" and code == 422:
            assert st["message"].endswith(expected), (ct, st)
    applied = setpath(good_obj, path, bad)
    code, st, _ = raw(api_client, "PATCH", f"{coll}/good?fieldManager=e2e&force=true", applied,
                      "application/apply-patch+yaml")
    assert code == 400, (code, st)
    code, after, _ = raw(api_client, "GET", f"{coll}/good")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"], after


def test_typed_clients_still_read_the_namespace(api_client, ns, kubectl):
    """After every kind of wrongly typed write was refused, typed clients read everything."""
    for label, plural, good, path, bad, _ in CASES:
        kind, prefix = KINDS[plural]
        obj = setpath(good, path, bad)
        obj["metadata"]["name"] = f"bad-{label}"
        raw(api_client, "POST", f"{prefix}/namespaces/{ns}/{plural}", obj, "application/json")
        raw(api_client, "POST", f"{prefix}/namespaces/{ns}/{plural}", yaml.safe_dump(obj),
            "application/yaml")
    # one good object of each kind, so the lists are not empty
    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map(ns, cm("fine"), _request_timeout=T)
    core.create_namespaced_secret(ns, secret("fine", {"k": "YWJj"}), _request_timeout=T)
    assert [c.metadata.name for c in core.list_namespaced_config_map(ns, _request_timeout=T).items
            if c.metadata.name != "kube-root-ca.crt"] == ["fine"]
    assert [s.metadata.name for s in core.list_namespaced_secret(ns, _request_timeout=T).items] == ["fine"]
    core.list_namespaced_pod(ns, _request_timeout=T)
    client.AppsV1Api(api_client).list_namespaced_deployment(ns, _request_timeout=T)
    for what in ("configmaps", "secrets", "pods", "deployments"):
        kubectl("describe", what, "-n", ns)
    kubectl("get", "all,configmaps,secrets", "-n", ns, "-o", "json")


def test_protobuf_bodies_that_do_not_decode(api_client, ns):
    """A protobuf ConfigMap whose data value has the wrong wire type is refused, nothing stored."""
    def varint(n):
        out = b""
        while True:
            b = n & 0x7F
            n >>= 7
            if n:
                out += bytes([b | 0x80])
            else:
                return out + bytes([b])

    def field(num, wire, payload):
        key = varint((num << 3) | wire)
        if wire == 2:
            return key + varint(len(payload)) + payload
        return key + payload

    meta = field(1, 2, b"pb-bad")
    entry = field(1, 2, b"k") + field(2, 0, varint(5))   # value as a varint: not a string
    raw_cm = field(1, 2, meta) + field(2, 2, entry)
    type_meta = field(1, 2, b"v1") + field(2, 2, b"ConfigMap")
    body = b"k8s\x00" + field(1, 2, type_meta) + field(2, 2, raw_cm)
    code, st, _ = raw(api_client, "POST", f"/api/v1/namespaces/{ns}/configmaps", body,
                      "application/vnd.kubernetes.protobuf")
    assert code == 400, (code, st)
    assert st["message"].startswith('ConfigMap in version "v1" cannot be handled as a ConfigMap: '), st
    code, _, _ = raw(api_client, "GET", f"/api/v1/namespaces/{ns}/configmaps/pb-bad")
    assert code == 404
    # the same message with a well-typed value is stored
    entry = field(1, 2, b"k") + field(2, 2, b"v")
    meta = field(1, 2, b"pb-good")
    body = b"k8s\x00" + field(1, 2, type_meta) + field(2, 2, field(1, 2, meta) + field(2, 2, entry))
    code, st, _ = raw(api_client, "POST", f"/api/v1/namespaces/{ns}/configmaps", body,
                      "application/vnd.kubernetes.protobuf")
    assert code == 201, (code, st)
    assert st["data"] == {"k": "v"}


def test_annotation_size_limit_holds_whatever_the_types(api_client, ns):
    """1 MiB of non-string annotations is refused as a type error, not stored."""
    big = {f"k{i}": i for i in range(40000)}
    code, st, _ = raw(api_client, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                      cm("big-annotations", annotations=big), "application/json")
    assert code == 400, (code, st)
    code, _, _ = raw(api_client, "GET", f"/api/v1/namespaces/{ns}/configmaps/big-annotations")
    assert code == 404
    big = {f"k{i}": "x" * 100 for i in range(3000)}
    code, st, _ = raw(api_client, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                      cm("big-annotations", annotations=big), "application/json")
    assert code == 422 and "Too long: may not be more than 262144 bytes" in st["message"], st


# ------------------------------------------------------------------ kubectl's Invalid output

def _stderr_lines(cp):
    return [l for l in cp.stderr.splitlines() if l.strip()]


def test_kubectl_prints_invalid_errors_as_upstream(kubectl, ns):
    # one cause
    cp = kubectl("run", "p", "--image=nginx", "--port=99999", "-n", ns, check=False)
    assert cp.returncode != 0
    assert _stderr_lines(cp) == [
        'The Pod "p" is invalid: spec.containers[0].ports[0].containerPort: '
        'Invalid value: 99999: must be between 1 and 65535, inclusive'], cp.stderr

    # metadata.name
    cp = kubectl("create", "-f", "-", "-n", ns, input=dump(cm("Bad_Name")), check=False)
    assert _stderr_lines(cp) == [
        'The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
        "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"], cp.stderr

    # labels
    cp = kubectl("create", "-f", "-", "-n", ns, input=dump(cm("lbl", labels={"app": "bad value!"})),
                 check=False)
    assert _stderr_lines(cp) == [
        'The ConfigMap "lbl" is invalid: metadata.labels: Invalid value: "bad value!": '
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
        "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
        "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"], cp.stderr

    # several causes, nested list paths
    d = deployment("multi", replicas=-1)
    d["spec"]["template"]["spec"]["containers"].append(
        {"name": "second", "image": "nginx", "ports": [{"containerPort": 80}, {"containerPort": 70000}]})
    cp = kubectl("create", "-f", "-", "-n", ns, input=dump(d), check=False)
    assert _stderr_lines(cp) == [
        'The Deployment "multi" is invalid: ',
        "* spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        "* spec.template.spec.containers[1].ports[1].containerPort: Invalid value: 70000: "
        "must be between 1 and 65535, inclusive",
    ], cp.stderr


def test_invalid_status_shape(api_client, ns):
    code, st, _ = raw(api_client, "POST", f"/apis/apps/v1/namespaces/{ns}/deployments",
                      deployment("shape", replicas=-1), "application/json")
    assert code == 422
    assert st["message"] == ('Deployment.apps "shape" is invalid: spec.replicas: Invalid value: -1: '
                             "must be greater than or equal to 0"), st
    assert st["details"] == {"name": "shape", "group": "apps", "kind": "Deployment", "causes": [
        {"reason": "FieldValueInvalid", "message": "Invalid value: -1: must be greater than or equal to 0",
         "field": "spec.replicas"}]}, st


# ------------------------------------------------------------------ continue tokens

def _token(v):
    return base64.urlsafe_b64encode(json.dumps(v).encode()).decode().rstrip("=")


def test_continue_tokens_stay_in_their_list(api_client, ns):
    core = client.CoreV1Api(api_client)
    other = ns[:50] + "-other"
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}},
                          _request_timeout=T)
    for n in ("c1", "c2", "c3"):
        core.create_namespaced_config_map(other, cm(n), _request_timeout=T)
        core.create_namespaced_config_map(ns, cm(n), _request_timeout=T)
    code, lst, _ = raw(api_client, "GET", f"/api/v1/namespaces/{ns}/configmaps")
    rv = int(lst["metadata"]["resourceVersion"])
    # a real token of the all-namespaces list
    code, page, _ = raw(api_client, "GET", "/api/v1/configmaps?limit=1")
    tokens = [page["metadata"]["continue"]]
    for start in (f"{other}/", f"{other}/c1", f"/{other}/c1", "\u0000", "zzz"):
        for r in (rv, rv - 1, -1):
            tokens.append(_token({"v": "meta.k8s.io/v1", "rv": r, "start": start}))
    for t in tokens:
        for limit in ("", "&limit=1", "&limit=50"):
            code, st, _ = raw(api_client, "GET", f"/api/v1/namespaces/{ns}/configmaps?continue={t}{limit}")
            assert code in (200, 400), (code, st)
            if code == 200:
                assert all(i["metadata"]["namespace"] == ns for i in st["items"]), st
    for start in (f"../{other}/c1", f"x/../../{other}/c1", "a//b", "a/"):
        t = _token({"v": "meta.k8s.io/v1", "rv": rv, "start": start})
        code, st, _ = raw(api_client, "GET", f"/api/v1/namespaces/{ns}/configmaps?limit=5&continue={t}")
        assert code == 400, (code, st)
        assert st["message"] == f"invalid continue token: continue key is not valid: {start}", st
    # a real token keeps paging through its own list
    code, p1, _ = raw(api_client, "GET", f"/api/v1/namespaces/{ns}/configmaps?limit=1")
    names = [i["metadata"]["name"] for i in p1["items"]]
    t = p1["metadata"]["continue"]
    while t:
        code, p, _ = raw(api_client, "GET", f"/api/v1/namespaces/{ns}/configmaps?limit=1&continue={t}")
        assert code == 200, p
        names += [i["metadata"]["name"] for i in p["items"]]
        t = p["metadata"].get("continue")
    assert [n for n in names if n != "kube-root-ca.crt"] == ["c1", "c2", "c3"]
    core.delete_namespace(other, _request_timeout=T)


# ------------------------------------------------------------------ odd patches, types, keys

def test_strategic_merge_patch_directives_get_4xx(api_client, ns):
    coll = f"/apis/apps/v1/namespaces/{ns}/deployments"
    assert raw(api_client, "POST", coll, deployment("smp"), "application/json")[0] == 201
    smp = "application/strategic-merge-patch+json"
    code, st, _ = raw(api_client, "PATCH", f"{coll}/smp", {"$patch": "explode"}, smp)
    assert (code, st["message"]) == (400, "unknown patch type: explode in map: map[$patch:explode]"), st
    code, st, _ = raw(api_client, "PATCH", f"{coll}/smp",
                      {"spec": {"template": {"spec": {"$setElementOrder/containers": "notalist"}}}}, smp)
    assert (code, st["message"]) == (400, "expected a []interface {}, but received a string"), st
    code, st, _ = raw(api_client, "PATCH", f"{coll}/smp",
                      {"spec": {"template": {"spec": {"containers": [{"$patch": "explode", "name": "c"}]}}}}, smp)
    assert code == 400, (code, st)
    code, st, _ = raw(api_client, "PATCH", f"{coll}/smp", {"$retainKeys": "x"}, smp)
    assert (code, st["message"]) == (400, "invalid patch format of retainKeys"), st
    code, st, _ = raw(api_client, "PATCH", f"{coll}/smp", "{not json", smp)
    assert (code, st["message"]) == (400, "invalid JSON patch"), st


def test_unparseable_content_type_is_415(api_client, ns):
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    for ct in (";;;=;", "application/json;;;", "text/html"):
        code, st, _ = raw(api_client, "POST", coll, cm("ct"), ct)
        assert code == 415, (ct, code, st)
        assert st["reason"] == "UnsupportedMediaType"
        assert st["message"] == ("the body of the request was in an unknown format - accepted media types "
                                 "include: application/json, application/yaml, "
                                 "application/vnd.kubernetes.protobuf"), st
    assert raw(api_client, "GET", f"{coll}/ct")[0] == 404
    assert raw(api_client, "POST", coll, cm("ct"), "application/json; charset=utf-8")[0] == 201
    code, st, _ = raw(api_client, "PATCH", f"{coll}/ct", {"data": {"a": "b"}}, ";;;=;")
    assert code == 415 and st["message"] == "415: Unsupported Media Type", st


def test_duplicate_keys_under_strict_and_warn(api_client, ns):
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n  name: dup\ndata:\n  k: a\n  k: b\n"
    code, st, _ = raw(api_client, "POST", coll + "?fieldValidation=Strict", doc, "application/yaml")
    assert code == 400, (code, st)
    assert st["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding '
                             'error: yaml: unmarshal errors:\n  line 5: key "name" already set in map\n'
                             '  line 8: key "k" already set in map'), st
    assert raw(api_client, "GET", f"{coll}/dup")[0] == 404
    code, st, headers = raw(api_client, "POST", coll + "?fieldValidation=Warn", doc, "application/yaml")
    assert code == 201, (code, st)
    assert st["data"] == {"k": "b"}
    warnings = headers.get("Warning", "")
    assert 'line 5: key \\"name\\" already set in map' in warnings, headers
    # JSON duplicates too
    body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dupj","name":"dupj"}}'
    code, st, _ = raw(api_client, "POST", coll + "?fieldValidation=Strict", body, "application/json")
    assert code == 400 and st["message"].endswith('strict decoding error: duplicate field "metadata.name"'), st


def test_delete_options_of_the_wrong_type_are_400(api_client, ns):
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    assert raw(api_client, "POST", coll, cm("del"), "application/json")[0] == 201
    code, st, _ = raw(api_client, "DELETE", f"{coll}/del", {"gracePeriodSeconds": "x"}, "application/json")
    assert code == 400, (code, st)
    assert st["message"] == ("error decoding DeleteOptions: json: cannot unmarshal string into Go struct "
                             "field DeleteOptions.gracePeriodSeconds of type int64"), st
    assert raw(api_client, "GET", f"{coll}/del")[0] == 200
