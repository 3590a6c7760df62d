"""API limits: no small request makes the server allocate far beyond the request and object
size limits (issue: API limits and fidelity)."""

from __future__ import annotations

from test_api_hardening import raw

T = 30


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_json_patch_copies_are_bounded(api_client, ns, capstan_server):
    pid = capstan_server.proc.pid
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    big = "x" * (200 * 1024)
    code, st, _ = raw(api_client, "POST", coll,
                      {"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "amp", "annotations": {"a": big}}}, "application/json")
    assert code == 201, st
    before = rss_kib(pid)
    # 9,000 copies of a 200 KiB annotation (~700 KB of patch)
    ops = [{"op": "copy", "from": "/metadata/annotations/a", "path": f"/metadata/annotations/c{i}"}
           for i in range(9000)]
    code, st, _ = raw(api_client, "PATCH", f"{coll}/amp", ops, "application/json-patch+json")
    assert code == 422, (code, st)
    # a value copied into itself 22 times (each copy doubles it)
    ops = [{"op": "add", "path": "/data", "value": {"k": ["y" * 100]}}]
    ops += [{"op": "copy", "from": "/data/k", "path": "/data/k/-"} for _ in range(22)]
    code, st, _ = raw(api_client, "PATCH", f"{coll}/amp", ops, "application/json-patch+json")
    assert code == 422, (code, st)
    grown = rss_kib(pid) - before
    assert grown < 100 * 1024, f"the server grew by {grown} KiB"
    code, st, _ = raw(api_client, "GET", f"{coll}/amp")
    assert sorted(st["metadata"]["annotations"]) == ["a"]
