"""A property-based fuzz run driven by the server's own `/openapi/v3` documents (issue 18).

For every kind with a create operation, bodies are generated from its published schema
(seeded, so a run repeats exactly): mostly well-typed values, sometimes a `null`, a wrong
type, an absent required field or an out-of-range number. Each body is created, and some
accepted objects are then patched (merge or strategic) or replaced by another generated
body. Afterwards:

- no request got a 5xx;
- every stored object validates against the schema the server publishes for its kind;
- the official Python client's typed list works for every kind in every namespace.

`CAPSTAN_FUZZ_SEED` (default 1837) and `CAPSTAN_FUZZ_PER_KIND` (default 120 creates per
kind) change the run; `scripts/fuzz-openapi.sh` runs it alone with a bigger budget.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re

import jsonschema
import pytest
from kubernetes import client
from kubernetes import config as kconfig

from harness import CapstanServer

SEED = int(os.environ.get("CAPSTAN_FUZZ_SEED", "1837"))
PER_KIND = int(os.environ.get("CAPSTAN_FUZZ_PER_KIND", "120"))
NS = "fuzz"
T = 30

STRINGS = ["", "a", "x" * 300, "Always", "TCP", "ClusterIP", "10.0.0.1", "::1", "*", "ünï", "1Gi", "-1",
           "true", "null", "a/b", "example.com/x", "kube-system", "default", "0", " spaced "]
INTS = [0, 1, -1, 2, 80, 65536, 2**31, -(2**31) - 1, 2**53, 10**30]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    srv = CapstanServer(tmp_path_factory.mktemp("capstan-fuzz"))
    srv.start()
    yield srv
    srv.stop()
    srv.save_log("capstan-fuzz")


class Gen:
    """Values for an OpenAPI v3 document's schemas, from one seeded random source."""

    def __init__(self, doc: dict, rnd: random.Random):
        self.schemas = doc.get("components", {}).get("schemas", {})
        self.r = rnd

    def resolve(self, s: dict) -> dict:
        while True:
            if "$ref" in s:
                s = self.schemas[s["$ref"].rsplit("/", 1)[1]]
            elif "allOf" in s and len(s["allOf"]) == 1:
                s = s["allOf"][0]
            else:
                return s

    def wrong(self):
        return self.r.choice([None, 5, "x", True, [], {}, 1.5])

    def value(self, s: dict, depth: int):
        s = self.resolve(s)
        if self.r.random() < 0.04:
            return self.wrong()
        if "enum" in s and self.r.random() < 0.8:
            return self.r.choice(s["enum"])
        fmt = s.get("format")
        ty = s.get("type")
        if fmt == "int-or-string" or s.get("x-kubernetes-int-or-string"):
            return self.r.choice([80, "80", "50%", "http", 0, "x"])
        if fmt == "date-time":
            return self.r.choice(["2026-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "yesterday"])
        if ty == "object" or "properties" in s:
            if "properties" not in s:
                extra = s.get("additionalProperties")
                if isinstance(extra, dict) and depth < 6:
                    return {self.r.choice(["a", "app", "example.com/k", "k8s.io/x", "", "Bad Key"]):
                            self.value(extra, depth + 1) for _ in range(self.r.randint(0, 2))}
                return {}
            return self.obj(s, depth)
        if ty == "array":
            if depth >= 6:
                return []
            return [self.value(s.get("items", {}), depth + 1) for _ in range(self.r.randint(0, 2))]
        if ty == "string":
            return self.r.choice(STRINGS)
        if ty == "integer":
            return self.r.choice(INTS)
        if ty == "number":
            return self.r.choice([0, 1.5, -2, 1e300])
        if ty == "boolean":
            return self.r.random() < 0.5
        return self.r.choice([{}, "x", 1])

    def obj(self, s: dict, depth: int) -> dict:
        out = {}
        required = set(s.get("required", []))
        for name, prop in s.get("properties", {}).items():
            p = 0.9 if name in required else (0.35 if depth < 3 else 0.12)
            if depth < 7 and self.r.random() < p:
                out[name] = self.value(prop, depth + 1)
        return out


def get_json(api_client, path: str):
    r = api_client.rest_client.pool_manager.request(
        "GET", api_client.configuration.host + path, headers={"Accept": "application/json"}, timeout=T)
    assert r.status == 200, (path, r.status, r.data[:200])
    return json.loads(r.data)


def kinds(api_client) -> list[dict]:
    """Each creatable kind: its document, schema name and collection path."""
    out = []
    index = get_json(api_client, "/openapi/v3")
    for gv, ref in sorted(index["paths"].items()):
        if not (gv.startswith("api/") or gv.count("/") == 2):
            continue
        doc = get_json(api_client, ref["serverRelativeURL"])
        for path, item in doc["paths"].items():
            post = item.get("post")
            if not post or post.get("x-kubernetes-action") != "post" or path.endswith("}"):
                continue
            gvk = post.get("x-kubernetes-group-version-kind", {})
            body = next(iter(post.get("requestBody", {}).get("content", {}).values()), {}).get("schema", {})
            ref_ = body.get("$ref", "")
            if not ref_ or "{name}" in path or "/namespaces/{namespace}/" not in path and "{" in path:
                continue
            if gvk.get("kind") in ("Binding", "TokenReview", "SubjectAccessReview", "Eviction") or \
                    "Review" in gvk.get("kind", ""):
                continue
            out.append({"doc": doc, "schema": ref_.rsplit("/", 1)[1], "path": path, "gvk": gvk,
                        "namespaced": "{namespace}" in path})
    return out


def snake(kind: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", kind)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def typed_list(api_client, k: dict):
    gvk = k["gvk"]
    group = gvk["group"].removesuffix(".k8s.io") or "core"
    cls = "".join(p.capitalize() for p in group.split(".")) + gvk["version"].capitalize() + "Api"
    api = getattr(client, cls)(api_client)
    name = snake(gvk["kind"])
    if k["namespaced"]:
        return getattr(api, f"list_{name}_for_all_namespaces")(_request_timeout=T)
    return getattr(api, f"list_{name}")(_request_timeout=T)


def validator(doc: dict, schema: str) -> jsonschema.Draft4Validator:
    comps = copy.deepcopy(doc["components"])

    def fix(s):
        if isinstance(s, dict):
            # an int-or-string is published as `type: string` with a format; both are valid
            if s.get("format") == "int-or-string" or s.get("x-kubernetes-int-or-string"):
                s.pop("type", None)
            for v in s.values():
                fix(v)
        elif isinstance(s, list):
            for v in s:
                fix(v)

    fix(comps)
    return jsonschema.Draft4Validator({"$ref": f"#/components/schemas/{schema}", "components": comps})


def test_fuzzed_writes_leave_only_valid_objects(fuzz_server):
    api_client = kconfig.new_client_from_config(config_file=str(fuzz_server.kubeconfig))
    core = client.CoreV1Api(api_client)
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}, _request_timeout=T)
    pool = api_client.rest_client.pool_manager
    host = api_client.configuration.host
    rnd = random.Random(SEED)
    server_errors, accepted = [], 0
    ks = kinds(api_client)
    assert len(ks) >= 35, [k["gvk"] for k in ks]

    def send(method, path, body, ct="application/json"):
        r = pool.request(method, host + path, body=json.dumps(body).encode(),
                         headers={"Content-Type": ct, "Accept": "application/json"}, timeout=T)
        if r.status >= 500:
            server_errors.append((method, path, r.status, r.data[:300], json.dumps(body)[:500]))
        return r

    for k in ks:
        gen = Gen(k["doc"], rnd)
        top = gen.schemas[k["schema"]]
        path = k["path"].replace("{namespace}", NS)
        api_version = (k["gvk"]["group"] + "/" if k["gvk"]["group"] else "") + k["gvk"]["version"]
        for i in range(PER_KIND):
            body = gen.obj(top, 0)
            if rnd.random() < 0.97:
                body["apiVersion"] = api_version
                body["kind"] = k["gvk"]["kind"]
            meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            meta.pop("namespace", None)
            if rnd.random() < 0.95:
                meta["name"] = f"fuzz-{snake(k['gvk']['kind']).replace('_', '-')}-{i}"
                meta.pop("generateName", None)
            body["metadata"] = meta
            q = rnd.choice(["", "?fieldValidation=Ignore", "?fieldValidation=Strict", "?fieldValidation=Warn"])
            r = send("POST", path + q, body)
            if r.status != 201:
                continue
            accepted += 1
            created = json.loads(r.data)
            name = created["metadata"]["name"]
            roll = rnd.random()
            if roll < 0.3:
                # a patch of another generated body, merge or strategic
                patch = gen.obj(top, 1)
                patch.pop("metadata", None)
                ct = rnd.choice(["application/merge-patch+json", "application/strategic-merge-patch+json"])
                send("PATCH", f"{path}/{name}", patch, ct)
            elif roll < 0.4:
                # a replacement by another generated body
                put = gen.obj(top, 0)
                put["apiVersion"], put["kind"] = api_version, k["gvk"]["kind"]
                put["metadata"] = {"name": name, "resourceVersion": created["metadata"]["resourceVersion"]}
                send("PUT", f"{path}/{name}", put)

    assert not server_errors, server_errors[:5]
    assert accepted > len(ks) * 3, accepted

    bad = []
    for k in ks:
        v = validator(k["doc"], k["schema"])
        coll = re.sub(r"/namespaces/\{namespace\}", "", k["path"])
        for item in get_json(api_client, coll)["items"]:
            errs = sorted(v.iter_errors(item), key=lambda e: list(e.path))
            if errs:
                bad.append((k["gvk"]["kind"], item["metadata"]["name"], "/".join(map(str, errs[0].path)),
                            errs[0].message[:200]))
        try:
            typed_list(api_client, k)
        except Exception as e:  # noqa: BLE001 - any failure of the typed client is the finding
            bad.append((k["gvk"]["kind"], "typed list", type(e).__name__, str(e)[:300]))
    assert not bad, "\n".join(map(str, bad[:20]))
