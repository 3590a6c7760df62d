"""Session fixtures for the Capstan end-to-end suite.

One `capstan server` is started per session (flags: --data-dir, --https-listen-port,
--bind-address 127.0.0.1, --write-kubeconfig), polled on /readyz until ready, and
killed by PID at the end. Every test gets its own namespace named after the test.
"""

from __future__ import annotations

import os

import pytest

from harness import CapstanServer, Clients, helm_path, k8s_name, kubectl_path

_SERVERS: list[CapstanServer] = []


@pytest.fixture(scope="session")
def capstan_server(tmp_path_factory):
    # fail early and clearly when the client binaries are missing (no silent skips)
    kubectl_path()
    srv = CapstanServer(tmp_path_factory.mktemp("capstan"))
    _SERVERS.append(srv)
    srv.start()
    yield srv
    srv.stop()
    srv.save_log("capstan-session")


@pytest.fixture(scope="session")
def clients(capstan_server, tmp_path_factory) -> Clients:
    return Clients(capstan_server.kubeconfig, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def kubectl(clients):
    """kubectl(*args, input=None, check=True) -> CompletedProcess (text)."""
    return clients.kubectl


@pytest.fixture(scope="session")
def helm(clients):
    helm_path()
    return clients.helm


@pytest.fixture(scope="session")
def api_client(capstan_server):
    from kubernetes import config as kconfig
    api = kconfig.new_client_from_config(config_file=str(capstan_server.kubeconfig))
    yield api
    api.close()


@pytest.fixture
def ns(request, api_client) -> str:
    """A fresh namespace named after the test (created through the Python client, JSON)."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    name = k8s_name(request.node.name)
    try:
        client.CoreV1Api(api_client).create_namespace(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
            _request_timeout=30)
    except ApiException as e:
        if e.status != 409:
            raise
    return name


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if exitstatus == 0:
        return
    for srv in _SERVERS:
        terminalreporter.write_sep("-", f"capstan server log tail ({srv.log_path})")
        terminalreporter.write_line(srv.log_tail(60))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    # last-resort cleanup if a fixture teardown did not run
    for srv in _SERVERS:
        if srv.proc is not None and srv.proc.poll() is None:
            srv.stop()


def pytest_report_header(config):
    return [f"capstan e2e: CAPSTAN_BIN={os.environ.get('CAPSTAN_BIN', '(auto)')}"]
