"""Helpers shared by the end-to-end tests: start/stop a `capstan server`, run the
real kubectl / helm binaries against it, small polling utilities.

Nothing here skips: a missing binary is a hard failure with a clear message
(CI installs everything with scripts/install-test-deps.sh).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Sequence

import yaml

E2E_DIR = Path(__file__).resolve().parent
REPO = E2E_DIR.parent.parent
MANIFESTS = E2E_DIR / "manifests"
CHARTS = E2E_DIR / "charts"

READY_TIMEOUT = float(os.environ.get("CAPSTAN_READY_TIMEOUT", "60"))
CMD_TIMEOUT = float(os.environ.get("CAPSTAN_E2E_CMD_TIMEOUT", "60"))


# --------------------------------------------------------------------------- binaries

def _tool(env_name: str, name: str, install_hint: str) -> str:
    path = os.environ.get(env_name) or str(REPO / "bin" / name)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise AssertionError(
            f"{name} not found at {path} (set {env_name} or run {install_hint}); "
            "the e2e suite needs the real binary and does not skip"
        )
    return path


def kubectl_path() -> str:
    return _tool("KUBECTL", "kubectl", "scripts/install-test-deps.sh")


def helm_path() -> str:
    return _tool("HELM", "helm", "scripts/install-test-deps.sh")


def capstan_path() -> str:
    cands = []
    if os.environ.get("CAPSTAN_BIN"):
        cands.append(os.environ["CAPSTAN_BIN"])
    else:
        tdir = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/capstan-target")
        for base in (Path(tdir), REPO / "target"):
            cands += [str(base / "debug" / "capstan"), str(base / "release" / "capstan")]
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise AssertionError(
        f"capstan binary not found (tried {cands}); build it with `cargo build -p capstan` "
        "and point CAPSTAN_BIN at it"
    )


# --------------------------------------------------------------------------- misc utils

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred: Callable[[], object], timeout: float = 30.0, interval: float = 0.2,
             what: str = "condition"):
    """Poll `pred` until it returns a truthy value; return that value or fail at the deadline."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - reported at the deadline
            last_exc = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)


def k8s_name(text: str, limit: int = 63) -> str:
    """A DNS-1123 label derived from `text` (test names -> namespace names)."""
    s = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    s = re.sub(r"-{2,}", "-", s)
    return s[:limit].strip("-") or "x"


def load_manifest(name: str) -> dict:
    return yaml.safe_load((MANIFESTS / name).read_text())


class _Dumper(yaml.SafeDumper):
    pass


# kubectl parses YAML 1.1 (go-yaml v2): also quote the short booleans PyYAML leaves bare
_GO_YAML_AMBIGUOUS = re.compile(r"^(y|Y|n|N|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|"
                                r"false|False|FALSE|null|Null|NULL|~|)$")


def _repr_str(dumper, value):
    if _GO_YAML_AMBIGUOUS.match(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(str, _repr_str)


def dump(obj) -> str:
    """YAML for kubectl/helm stdin (a list becomes a multi-document stream)."""
    if isinstance(obj, (list, tuple)):
        return yaml.dump_all(list(obj), Dumper=_Dumper, sort_keys=False)
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False)


def table(stdout: str) -> list[list[str]]:
    """Split kubectl table output into rows of whitespace-separated cells (header first)."""
    return [line.split() for line in stdout.splitlines() if line.strip()]


def table_dicts(stdout: str) -> list[dict]:
    """kubectl table output -> list of {column: value}. Columns are split on runs of 2+
    spaces, as kubectl's tabwriter pads with at least 3 (single-word headers only)."""
    lines = [l for l in stdout.splitlines() if l.strip()]
    if not lines:
        return []
    header = lines[0].split()
    # column start offsets from the header line
    starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
    out = []
    for line in lines[1:]:
        row = {}
        for i, col in enumerate(header):
            end = starts[i + 1] if i + 1 < len(starts) else None
            row[col] = line[starts[i]:end].strip()
        out.append(row)
    return out


# --------------------------------------------------------------------------- CLI runners

class CommandFailed(AssertionError):
    def __init__(self, cp: subprocess.CompletedProcess):
        self.cp = cp
        super().__init__(
            f"command failed (rc={cp.returncode}): {' '.join(map(str, cp.args))}\n"
            f"--- stdout ---\n{cp.stdout}\n--- stderr ---\n{cp.stderr}"
        )


def run(args: Sequence[str], *, input: str | None = None, check: bool = True,
        env: dict | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    try:
        cp = subprocess.run(
            [str(a) for a in args], input=input, capture_output=True, text=True,
            env=env, timeout=timeout or CMD_TIMEOUT, stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(
            f"command timed out after {e.timeout}s: {' '.join(map(str, args))}\n"
            f"--- stdout ---\n{e.stdout}\n--- stderr ---\n{e.stderr}"
        ) from None
    if check and cp.returncode != 0:
        raise CommandFailed(cp)
    return cp


class Clients:
    """Runs kubectl / helm against one server with an isolated HOME and cache dirs."""

    def __init__(self, kubeconfig: Path, home: Path):
        self.kubeconfig = Path(kubeconfig)
        self.home = Path(home)
        for d in ("", ".kube", ".cache", ".config", ".local/share", "tmp"):
            (self.home / d).mkdir(parents=True, exist_ok=True)

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("KUBE", "HELM_")) and k not in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")}
        env.update(
            HOME=str(self.home),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local/share"),
            TMPDIR=str(self.home / "tmp"),
            KUBECONFIG=str(self.kubeconfig),
        )
        env.update(extra)
        return env

    def kubectl_argv(self, *args) -> list[str]:
        return [kubectl_path(), "--kubeconfig", str(self.kubeconfig),
                "--cache-dir", str(self.home / ".kube" / "cache"), *map(str, args)]

    def kubectl(self, *args, input: str | None = None, check: bool = True,
                env: dict | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
        return run(self.kubectl_argv(*args), input=input, check=check,
                   env=self.env(**(env or {})), timeout=timeout)

    def kubectl_json(self, *args) -> dict:
        import json
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def helm(self, *args, input: str | None = None, check: bool = True,
             timeout: float | None = None) -> subprocess.CompletedProcess:
        return run([helm_path(), "--kubeconfig", str(self.kubeconfig), *map(str, args)],
                   input=input, check=check, env=self.env(), timeout=timeout or 120)


# --------------------------------------------------------------------------- the server

class CapstanServer:
    """One `capstan server` process with its own data dir, port and kubeconfig."""

    def __init__(self, workdir: Path, extra_args: Sequence[str] = ()):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"
        self.kubeconfig = self.workdir / "kubeconfig.yaml"
        self.log_path = self.workdir / "capstan.log"
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        return [capstan_path(), "server",
                "--data-dir", str(self.data_dir),
                "--https-listen-port", str(self.port),
                "--bind-address", "127.0.0.1",
                "--write-kubeconfig", str(self.kubeconfig),
                *self.extra_args]

    def log_tail(self, n: int = 80) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def start(self, timeout: float = READY_TIMEOUT) -> "CapstanServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        argv = self.argv()
        self._log.write(("+ " + " ".join(argv) + "\n").encode())
        self._log.flush()
        env = dict(os.environ, NO_COLOR="1", RUST_BACKTRACE=os.environ.get("RUST_BACKTRACE", "1"))
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        piddir = os.environ.get("CAPSTAN_E2E_PIDDIR")
        if piddir:
            Path(piddir).mkdir(parents=True, exist_ok=True)
            (Path(piddir) / f"{self.proc.pid}.pid").write_text(str(self.proc.pid))
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _readyz_once(self) -> bool:
        from kubernetes import config as kconfig
        api = kconfig.new_client_from_config(config_file=str(self.kubeconfig))
        try:
            params = api.param_serialize(method="GET", resource_path="/readyz",
                                         auth_settings=["BearerToken"])
            r = api.call_api(*params, _request_timeout=2)
            return r.status == 200
        finally:
            api.close()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "kubeconfig not written yet"
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise AssertionError(
                    f"capstan server exited with {rc} before becoming ready: {' '.join(self.argv())}\n"
                    f"--- log tail ---\n{self.log_tail()}")
            if self.kubeconfig.exists() and self.kubeconfig.stat().st_size > 0:
                try:
                    if self._readyz_once():
                        return
                    last = "readyz not 200"
                except Exception as e:  # noqa: BLE001
                    last = repr(e)
            time.sleep(0.1)
        raise AssertionError(
            f"capstan server not ready within {timeout}s on {self.url} (last: {last})\n"
            f"--- log tail ---\n{self.log_tail()}")

    def stop(self) -> None:
        p = self.proc
        if p is not None and p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
            except ProcessLookupError:
                pass
        if p is not None:
            piddir = os.environ.get("CAPSTAN_E2E_PIDDIR")
            if piddir:
                try:
                    (Path(piddir) / f"{p.pid}.pid").unlink()
                except OSError:
                    pass
        if self._log:
            self._log.close()
            self._log = None

    def save_log(self, name: str) -> None:
        dest = os.environ.get("CAPSTAN_E2E_ARTIFACTS")
        if dest and self.log_path.exists():
            Path(dest).mkdir(parents=True, exist_ok=True)
            shutil.copy(self.log_path, Path(dest) / f"{name}.log")


def nginx_deployment(name: str | None = None, replicas: int | None = None, **labels) -> dict:
    """The seed Deployment `nginx-cluster`, optionally renamed / rescaled / relabelled."""
    d = load_manifest("nginx-cluster.yaml")
    if name:
        d["metadata"]["name"] = name
    if replicas is not None:
        d["spec"]["replicas"] = replicas
    if labels:
        d["metadata"]["labels"] = dict(labels)
    return d


def configmap(name: str, data: dict | None = None, labels: dict | None = None, **meta) -> dict:
    m = {"name": name, **meta}
    if labels:
        m["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": m, "data": data or {"k": "v"}}
