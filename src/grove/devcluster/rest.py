"""A tiny synchronous admin client for bootstrapping the dev cluster (stdlib only).

Bringing the cluster up needs three calls before anything else exists: poll ``/readyz``, create Nodes,
read them back. Doing that with ``urllib`` and the admin client certificate keeps the bootstrap free of
the async client stack (and of kubectl), so a failure here is always about the control plane itself.
Also writes the admin kubeconfig that users, kubectl and the operator read.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from grove.devcluster.pki import Pki


class ApiError(RuntimeError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class AdminRest:
    """HTTPS to kube-apiserver as ``system:masters``, verified against the dev CA."""

    def __init__(self, server: str, pki: Pki, timeout: float = 10.0) -> None:
        self.server = server.rstrip("/")
        self.timeout = timeout
        self._ctx = ssl.create_default_context(cafile=str(pki.ca_crt))
        self._ctx.load_cert_chain(str(pki.admin_crt), str(pki.admin_key))

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self._ctx, timeout=self.timeout) as resp:
                raw = resp.read().decode()
        except urllib.error.HTTPError as err:
            raise ApiError(err.code, err.read().decode(errors="replace")) from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw

    def ready(self) -> tuple[bool, str]:
        """(True, "ok") when /readyz passes; otherwise False and the reason."""
        try:
            self.request("GET", "/readyz")
            return True, "ok"
        except ApiError as err:
            return False, err.body.strip().splitlines()[-1] if err.body.strip() else str(err)
        except (OSError, ssl.SSLError) as err:
            return False, str(err)

    def wait_ready(self, timeout: float, alive: Any = None) -> None:
        """Poll /readyz until it passes; ``alive()`` returning False aborts early (process died)."""
        deadline = time.monotonic() + timeout
        reason = "not polled"
        while time.monotonic() < deadline:
            ok, reason = self.ready()
            if ok:
                return
            if alive is not None and not alive():
                raise RuntimeError(f"kube-apiserver exited before it was ready (last: {reason})")
            time.sleep(0.25)
        raise TimeoutError(f"kube-apiserver not ready after {timeout:.0f}s: {reason}")

    def create_or_keep(self, path: str, obj: dict[str, Any]) -> None:
        """POST ``obj``; an AlreadyExists answer is fine (bootstrap is re-runnable)."""
        try:
            self.request("POST", path, obj)
        except ApiError as err:
            if err.status != 409:
                raise


def write_kubeconfig(path: Path, server: str, pki: Pki, cluster_name: str) -> None:
    """An admin kubeconfig with the CA and client cert referenced by absolute path."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster_name, "cluster": {"server": server, "certificate-authority": str(pki.ca_crt)}}
        ],
        "users": [
            {
                "name": f"{cluster_name}-admin",
                "user": {"client-certificate": str(pki.admin_crt), "client-key": str(pki.admin_key)},
            }
        ],
        "contexts": [
            {"name": cluster_name, "context": {"cluster": cluster_name, "user": f"{cluster_name}-admin"}}
        ],
        "current-context": cluster_name,
        "preferences": {},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
