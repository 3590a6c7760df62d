"""kubectl create: the generator commands (protobuf request bodies) and create -f."""

import base64
import json

from harness import configmap, dump


def _get(kubectl, ns, kind, name):
    return json.loads(kubectl("get", kind, name, "-n", ns, "-o", "json").stdout)


def test_create_deployment_generator(kubectl, ns):
    cp = kubectl("create", "deployment", "gen", "-n", ns, "--image=nginx:1.25", "--replicas=2", "--port=80")
    assert cp.stdout.strip() == "deployment.apps/gen created"
    d = _get(kubectl, ns, "deployment", "gen")
    assert d["spec"]["replicas"] == 2
    assert d["spec"]["selector"] == {"matchLabels": {"app": "gen"}}
    assert d["spec"]["template"]["metadata"]["labels"] == {"app": "gen"}
    c = d["spec"]["template"]["spec"]["containers"]
    assert [(x["name"], x["image"]) for x in c] == [("nginx", "nginx:1.25")]
    assert c[0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert d["spec"]["strategy"]["type"] == "RollingUpdate"


def test_create_secret_and_configmap_generators(kubectl, ns, tmp_path):
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)))
    cp = kubectl("create", "secret", "generic", "s1", "-n", ns, "--from-literal=user=admin",
                 f"--from-file=blob={tmp_path / 'blob.bin'}")
    assert cp.stdout.strip() == "secret/s1 created"
    s = _get(kubectl, ns, "secret", "s1")
    assert s["type"] == "Opaque"
    assert base64.b64decode(s["data"]["user"]) == b"admin"
    assert base64.b64decode(s["data"]["blob"]) == bytes(range(256))

    cp = kubectl("create", "configmap", "c1", "-n", ns, "--from-literal=a=1", "--from-literal=b=two words")
    assert cp.stdout.strip() == "configmap/c1 created"
    assert _get(kubectl, ns, "configmap", "c1")["data"] == {"a": "1", "b": "two words"}


def test_create_from_file_already_exists(kubectl, ns):
    cp = kubectl("create", "-n", ns, "-f", "-", input=dump(configmap("dup")))
    assert cp.stdout.strip() == "configmap/dup created"
    cp = kubectl("create", "-n", ns, "-f", "-", input=dump(configmap("dup")), check=False)
    assert cp.returncode != 0
    assert 'Error from server (AlreadyExists): error when creating "STDIN": configmaps "dup" already exists' \
        in cp.stderr, cp.stderr


def test_create_in_missing_namespace(kubectl):
    cp = kubectl("create", "configmap", "x", "-n", "no-such-namespace-e2e", check=False)
    assert cp.returncode != 0
    assert 'namespaces "no-such-namespace-e2e" not found' in cp.stderr, cp.stderr
