"""``python -m grove.initc`` as a real process: error path, SIGTERM, and the full HTTP path against a stub
API server (a stdlib HTTP server answering the pod list and streaming a watch)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

NS, GANG, TOKEN = "team-a", "x-0", "initc-token"


def _pod(name: str, ready: bool, rv: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": NS, "resourceVersion": rv,
                         "labels": {"grove.io/podgang": GANG, "grove.io/podclique": "x-0-a"}},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


class StubApi:
    """Pods of one namespace: the list shows x-0-a-1 not Ready; the watch sends ``events`` then holds."""

    def __init__(self, events: list[dict[str, Any]], forbid: bool = False) -> None:
        self.events = events
        self.forbid = forbid
        self.requests: list[tuple[str, str, dict[str, list[str]], str]] = []
        self.release = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                stub.requests.append(("GET", url.path, query, self.headers.get("Authorization", "")))
                if stub.forbid:
                    body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 403,
                                       "reason": "Forbidden", "message": "pods is forbidden"}).encode()
                    self.send_response(403)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if query.get("watch") == ["true"]:
                    self.end_headers()
                    for event in stub.events:
                        self.wfile.write(json.dumps(event).encode() + b"\n")
                        self.wfile.flush()
                    stub.release.wait(30)
                    return
                body = json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "10"},
                                   "items": [_pod("x-0-a-1", False, "10")]}).encode()
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> StubApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _env(tmp_path: Path, server: str) -> dict[str, str]:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "stub",
        "clusters": [{"name": "stub", "cluster": {"server": server}}],
        "users": [{"name": "initc", "user": {"token": TOKEN}}],
        "contexts": [{"name": "stub", "context": {"cluster": "stub", "user": "initc"}}]}))
    info = tmp_path / "pod-info"
    info.mkdir()
    (info / "namespace").write_text(NS)
    (info / "podgangname").write_text(GANG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    env.update(KUBECONFIG=str(kubeconfig), GROVE_POD_INFO_DIR=str(info))
    return env


def _start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "grove.initc", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 20.0) -> list[str]:
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line.rstrip())
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never logged; got {seen}")


@pytest.fixture
def stub_waiting() -> Iterator[StubApi]:
    with StubApi(events=[]) as stub:
        yield stub


def test_missing_pod_info_exits_1_with_a_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, "GROVE_POD_INFO_DIR": str(tmp_path / "absent")}
    out = subprocess.run([sys.executable, "-m", "grove.initc", "--podcliques=x-0-a:1"], env=env, text=True,
                         capture_output=True, timeout=60)
    assert out.returncode == 1
    assert f"cannot read pod info {tmp_path / 'absent' / 'namespace'}" in out.stderr
    assert "pod-info downward-API volume" in out.stderr


def test_help_exits_0_and_stays_off_heavy_imports() -> None:
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "grove.initc", "--help"], text=True,
                         capture_output=True, timeout=60)
    elapsed = time.monotonic() - started
    assert out.returncode == 0
    assert "--podcliques NAME:COUNT" in out.stdout
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "grove.initc.waiter" in imported
    assert not imported & {"pydantic", "typer", "rich", "yaml", "aiohttp", "grove.controllers", "grove.cli"}
    print(f"python -m grove.initc --help: {elapsed * 1000:.0f} ms wall, {len(imported)} modules")


def test_exits_0_once_the_watch_shows_the_parent_ready(tmp_path: Path) -> None:
    ready = {"type": "MODIFIED", "object": _pod("x-0-a-1", True, "11")}
    with StubApi(events=[ready]) as stub:
        proc = _start(_env(tmp_path, stub.url), "-p", "x-0-a:1")
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "ready: x-0-a 0/1" in err and "ready: x-0-a 1/1" in err and "all parent cliques are ready" in err
    paths = {(path, q.get("labelSelector", [""])[0], q.get("watch", [""])[0]) for _, path, q, _ in stub.requests}
    assert paths == {(f"/api/v1/namespaces/{NS}/pods", f"grove.io/podgang={GANG}", ""),
                     (f"/api/v1/namespaces/{NS}/pods", f"grove.io/podgang={GANG}", "true")}
    assert {auth for *_, auth in stub.requests} == {f"Bearer {TOKEN}"}
    watch = next(q for _, _, q, _ in stub.requests if q.get("watch") == ["true"])
    assert watch["resourceVersion"] == ["10"]


def test_an_api_error_exits_1_with_the_reason(tmp_path: Path) -> None:
    with StubApi(events=[], forbid=True) as stub:
        proc = _start(_env(tmp_path, stub.url), "-p", "x-0-a:1")
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "error: API Forbidden (403): pods is forbidden" in err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_waiting_exits_1(tmp_path: Path, stub_waiting: StubApi, sig: signal.Signals) -> None:
    proc = _start(_env(tmp_path, stub_waiting.url), "--podcliques", "x-0-a:1")
    try:
        _wait_for_line(proc, "ready: x-0-a 0/1")
        time.sleep(0.2)
        proc.send_signal(sig)
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert f"received {sig.name} before the parents were ready; exiting 1" in rest
