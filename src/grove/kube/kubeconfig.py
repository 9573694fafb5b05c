"""Where the API server is and who we are to it: kubeconfig files and in-cluster service accounts.

:func:`load_config` resolves one :class:`ClusterConfig` the way controller-runtime does for an operator:
an explicit ``--kubeconfig`` path, else the ``$KUBECONFIG`` path list, else the in-cluster service
account (``KUBERNETES_SERVICE_HOST``), else ``~/.kube/config``. A ``$KUBECONFIG`` list is merged as
kubectl merges it: for clusters, users and contexts the first file that names an entry wins, and the
current context comes from the first file that sets one. Relative file references resolve against the
file that holds them.

Credentials are kept as bytes or paths, never printed. A bearer token read from a file (``tokenFile`` or
the projected service-account token, which the kubelet rotates) is re-read whenever the file changes, so
a long-running operator keeps working across rotations.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
SERVICE_ACCOUNT_DIR_ENV = "GROVE_SERVICE_ACCOUNT_DIR"
"""Where the in-cluster token, CA and namespace are instead of :data:`SERVICE_ACCOUNT_DIR`: set by the dev
cluster's init runner, which runs the waiter as a local process and cannot mount there."""


class ConfigError(Exception):
    """The kubeconfig (or in-cluster environment) cannot give a usable connection; says what is wrong."""


class _TokenFile:
    """A bearer token file re-read when its mtime or size changes (token rotation)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._token = ""

    def read(self) -> str:
        try:
            st = self.path.stat()
        except OSError as err:
            raise ConfigError(f"cannot read token file {self.path}: {err}") from None
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._token = self.path.read_text().strip()
            self._stamp = stamp
        return self._token


@dataclass
class ClusterConfig:
    """Everything needed to open connections to one API server as one identity."""

    server: str
    ca_data: bytes | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    client_cert_data: bytes | None = None
    client_key_data: bytes | None = None
    token: str | None = None
    token_file: Path | None = None
    namespace: str = "default"
    source: str = ""
    """Where this came from (a file path and context, or ``in-cluster``), for messages."""
    _token_reader: _TokenFile | None = field(default=None, repr=False, compare=False)

    def bearer_token(self) -> str | None:
        """The token to send now: a literal token, or the current contents of the token file."""
        if self.token_file is not None:
            if self._token_reader is None or self._token_reader.path != self.token_file:
                self._token_reader = _TokenFile(self.token_file)
            return self._token_reader.read() or self.token
        return self.token

    def ssl_context(self) -> ssl.SSLContext | None:
        """TLS settings for an ``https`` server (None for plain ``http``, which only tests use)."""
        if not self.server.startswith("https://"):
            return None
        ctx = ssl.create_default_context()
        if self.insecure_skip_tls_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif self.ca_data:
            ctx = ssl.create_default_context(cadata=self.ca_data.decode())
        if self.client_cert_data and self.client_key_data:
            # ssl only loads a key pair from files: write them to a private temp dir, load, remove
            with tempfile.TemporaryDirectory(prefix="grove-tls-") as tmp:
                cert, key = Path(tmp) / "client.crt", Path(tmp) / "client.key"
                cert.write_bytes(self.client_cert_data)
                key.touch(mode=0o600)
                key.write_bytes(self.client_key_data)
                ctx.load_cert_chain(str(cert), str(key))
        return ctx


def _data_or_file(entry: Mapping[str, Any], data_key: str, file_key: str, base: Path) -> bytes | None:
    if entry.get(data_key):
        try:
            return base64.b64decode(str(entry[data_key]), validate=True)
        except ValueError as err:
            raise ConfigError(f"{data_key} is not valid base64: {err}") from None
    if entry.get(file_key):
        path = _resolve(str(entry[file_key]), base)
        try:
            return path.read_bytes()
        except OSError as err:
            raise ConfigError(f"{file_key} {path}: {err}") from None
    return None


def _resolve(path: str, base: Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else base / p


@dataclass
class _Merged:
    clusters: dict[str, tuple[dict[str, Any], Path]] = field(default_factory=dict)
    users: dict[str, tuple[dict[str, Any], Path]] = field(default_factory=dict)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    current_context: str = ""
    files: list[Path] = field(default_factory=list)

    def add_file(self, path: Path) -> None:
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"cannot load kubeconfig {path}: {err}") from None
        if not isinstance(doc, dict):
            raise ConfigError(f"kubeconfig {path} is not a mapping")
        self.files.append(path)
        base = path.resolve().parent
        for item in doc.get("clusters") or []:
            self.clusters.setdefault(str(item.get("name")), (dict(item.get("cluster") or {}), base))
        for item in doc.get("users") or []:
            self.users.setdefault(str(item.get("name")), (dict(item.get("user") or {}), base))
        for item in doc.get("contexts") or []:
            self.contexts.setdefault(str(item.get("name")), dict(item.get("context") or {}))
        if not self.current_context and doc.get("current-context"):
            self.current_context = str(doc["current-context"])


def from_kubeconfig(paths: list[Path], context: str | None = None) -> ClusterConfig:
    """Merge the files (missing ones in a list are skipped, as kubectl does) and resolve one context."""
    merged = _Merged()
    for path in paths:
        if len(paths) > 1 and not path.exists():
            continue
        merged.add_file(path)
    where = ", ".join(str(p) for p in merged.files) or ", ".join(str(p) for p in paths)
    name = context or merged.current_context
    if not name:
        raise ConfigError(f"no context chosen and no current-context set in {where}")
    if name not in merged.contexts:
        raise ConfigError(f"context {name!r} not found in {where}")
    ctx = merged.contexts[name]
    cluster_name, user_name = str(ctx.get("cluster") or ""), str(ctx.get("user") or "")
    if cluster_name not in merged.clusters:
        raise ConfigError(f"context {name!r} names cluster {cluster_name!r}, which {where} does not define")
    cluster, cbase = merged.clusters[cluster_name]
    if not cluster.get("server"):
        raise ConfigError(f"cluster {cluster_name!r} has no server")
    user, ubase = merged.users.get(user_name, ({}, cbase))
    if user.get("exec") or user.get("auth-provider"):
        raise ConfigError(f"user {user_name!r} uses an exec/auth-provider plugin, which grove does not run; "
                          "use a client certificate or a token")
    token_file = _resolve(str(user["tokenFile"]), ubase) if user.get("tokenFile") else None
    return ClusterConfig(
        server=str(cluster["server"]).rstrip("/"),
        ca_data=_data_or_file(cluster, "certificate-authority-data", "certificate-authority", cbase),
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=str(cluster["tls-server-name"]) if cluster.get("tls-server-name") else None,
        client_cert_data=_data_or_file(user, "client-certificate-data", "client-certificate", ubase),
        client_key_data=_data_or_file(user, "client-key-data", "client-key", ubase),
        token=str(user["token"]) if user.get("token") else None,
        token_file=token_file,
        namespace=str(ctx.get("namespace") or "default"),
        source=f"{where} (context {name})",
    )


def _sa_dir(env: Mapping[str, str]) -> Path:
    override = env.get(SERVICE_ACCOUNT_DIR_ENV)
    return Path(override) if override else SERVICE_ACCOUNT_DIR


def in_cluster(env: Mapping[str, str] | None = None, sa_dir: Path | None = None) -> ClusterConfig:
    """The pod's service account: server from the service env, projected token and CA from ``sa_dir``
    (default ``$GROVE_SERVICE_ACCOUNT_DIR``, else :data:`SERVICE_ACCOUNT_DIR`)."""
    env = os.environ if env is None else env
    sa_dir = sa_dir if sa_dir is not None else _sa_dir(env)
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise ConfigError("not in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set")
    token = sa_dir / "token"
    if not token.exists():
        raise ConfigError(f"in-cluster service-account token {token} does not exist")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    ns_file = sa_dir / "namespace"
    ca = sa_dir / "ca.crt"
    return ClusterConfig(
        server=f"https://{host}:{port}",
        ca_data=ca.read_bytes() if ca.exists() else None,
        token_file=token,
        namespace=ns_file.read_text().strip() if ns_file.exists() else "default",
        source="in-cluster",
    )


def load_config(kubeconfig: str | Path | None = None, context: str | None = None, *,
                env: Mapping[str, str] | None = None, home: Path | None = None,
                sa_dir: Path | None = None) -> ClusterConfig:
    """Resolve the connection: ``kubeconfig`` argument, ``$KUBECONFIG``, in-cluster, ``~/.kube/config``."""
    env = os.environ if env is None else env
    sa_dir = sa_dir if sa_dir is not None else _sa_dir(env)
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.exists():
            raise ConfigError(f"kubeconfig {path} does not exist")
        return from_kubeconfig([path], context)
    listed = [Path(p).expanduser() for p in env.get("KUBECONFIG", "").split(os.pathsep) if p]
    if listed:
        if not any(p.exists() for p in listed):
            raise ConfigError(f"none of the $KUBECONFIG files exist: {', '.join(map(str, listed))}")
        return from_kubeconfig(listed, context)
    if env.get("KUBERNETES_SERVICE_HOST") and (sa_dir / "token").exists():
        return in_cluster(env, sa_dir)
    default = (home if home is not None else Path.home()) / ".kube" / "config"
    if default.exists():
        return from_kubeconfig([default], context)
    raise ConfigError("no kubeconfig: pass --kubeconfig, set $KUBECONFIG, create ~/.kube/config, "
                      "or run in a pod with a service account")
