"""Kubeconfig resolution: precedence, $KUBECONFIG merging, relative paths, credentials, in-cluster."""

from __future__ import annotations

import base64
import datetime
import os
import ssl
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from grove.kube.kubeconfig import ConfigError, from_kubeconfig, in_cluster, load_config


def _write(path: Path, *, clusters: dict[str, dict[str, Any]] | None = None,
           users: dict[str, dict[str, Any]] | None = None, contexts: dict[str, dict[str, Any]] | None = None,
           current: str | None = None) -> Path:
    doc: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in (clusters or {}).items()],
        "users": [{"name": n, "user": u} for n, u in (users or {}).items()],
        "contexts": [{"name": n, "context": c} for n, c in (contexts or {}).items()],
    }
    if current:
        doc["current-context"] = current
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc))
    return path


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_explicit_path_resolves_relative_files_against_the_kubeconfig(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_bytes(b"CA")
    (tmp_path / "certs" / "admin.crt").write_bytes(b"CERT")
    (tmp_path / "certs" / "admin.key").write_bytes(b"KEY")
    path = _write(tmp_path / "kc", clusters={"c": {"server": "https://h:6443/", "certificate-authority": "certs/ca.crt"}},
                  users={"u": {"client-certificate": "certs/admin.crt", "client-key": "certs/admin.key"}},
                  contexts={"ctx": {"cluster": "c", "user": "u", "namespace": "team"}}, current="ctx")
    cfg = load_config(path, env={}, home=tmp_path / "nohome")
    assert cfg.server == "https://h:6443"
    assert (cfg.ca_data, cfg.client_cert_data, cfg.client_key_data) == (b"CA", b"CERT", b"KEY")
    assert cfg.namespace == "team"
    assert cfg.bearer_token() is None


def test_kubeconfig_list_merges_first_wins_and_takes_the_first_current_context(tmp_path: Path) -> None:
    first = _write(tmp_path / "a", clusters={"c": {"server": "https://first"}},
                   users={"u": {"token": "tok-a"}}, contexts={"x": {"cluster": "c", "user": "u"}})
    second = _write(tmp_path / "b", clusters={"c": {"server": "https://second"}, "d": {"server": "https://d"}},
                    users={"u": {"token": "tok-b"}, "v": {"token": "tok-v"}},
                    contexts={"x": {"cluster": "d", "user": "v"}, "y": {"cluster": "d", "user": "v"}},
                    current="x")
    third = _write(tmp_path / "c", contexts={"z": {"cluster": "d", "user": "v"}}, current="z")
    env = {"KUBECONFIG": os.pathsep.join([str(first), str(tmp_path / "missing"), str(second), str(third)])}
    cfg = load_config(env=env)
    # context x comes from file a (first wins), current-context from file b (first that sets one)
    assert (cfg.server, cfg.bearer_token()) == ("https://first", "tok-a")
    other = load_config(context="y", env=env)
    assert (other.server, other.bearer_token()) == ("https://d", "tok-v")


def _self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "grove-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_data_fields_build_a_tls_context_with_ca_and_client_pair(tmp_path: Path) -> None:
    cert, key = _self_signed()
    path = _write(tmp_path / "kc", clusters={"c": {"server": "https://h", "certificate-authority-data": _b64(cert)}},
                  users={"u": {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}},
                  contexts={"x": {"cluster": "c", "user": "u"}}, current="x")
    cfg = from_kubeconfig([path])
    assert (cfg.ca_data, cfg.client_cert_data, cfg.client_key_data) == (cert, cert, key)
    ctx = cfg.ssl_context()
    assert ctx is not None and ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert [c["subject"] for c in ctx.get_ca_certs()] == [((("commonName", "grove-test"),),)]


def test_insecure_skip_tls_verify_turns_verification_off(tmp_path: Path) -> None:
    path = _write(tmp_path / "kc", clusters={"c": {"server": "https://h", "insecure-skip-tls-verify": True}},
                  contexts={"x": {"cluster": "c"}}, current="x")
    ctx = from_kubeconfig([path]).ssl_context()
    assert ctx is not None and ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname


def test_bad_base64_is_a_config_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "kc", clusters={"c": {"server": "https://h", "certificate-authority-data": "%%%"}},
                  contexts={"x": {"cluster": "c"}}, current="x")
    with pytest.raises(ConfigError, match="certificate-authority-data"):
        from_kubeconfig([path])


def test_token_file_is_reread_after_rotation(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("one\n")
    path = _write(tmp_path / "kc", clusters={"c": {"server": "https://h"}}, users={"u": {"tokenFile": "token"}},
                  contexts={"x": {"cluster": "c", "user": "u"}}, current="x")
    cfg = from_kubeconfig([path])
    assert cfg.bearer_token() == "one"
    token.write_text("two-rotated\n")
    assert cfg.bearer_token() == "two-rotated"


def test_in_cluster_uses_service_env_and_projected_token(tmp_path: Path) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("sa-token")
    (sa / "ca.crt").write_bytes(b"CLUSTER-CA")
    (sa / "namespace").write_text("grove-system\n")
    env = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
    cfg = load_config(env=env, sa_dir=sa, home=tmp_path)
    assert cfg.server == "https://[fd00::1]:443"
    assert (cfg.bearer_token(), cfg.ca_data, cfg.namespace) == ("sa-token", b"CLUSTER-CA", "grove-system")
    (sa / "token").write_text("sa-token-rotated")
    assert cfg.bearer_token() == "sa-token-rotated"
    with pytest.raises(ConfigError, match="KUBERNETES_SERVICE_HOST"):
        in_cluster({}, sa)


def test_precedence_env_list_beats_in_cluster_and_home(tmp_path: Path) -> None:
    home_kc = _write(tmp_path / "home" / ".kube" / "config", clusters={"c": {"server": "https://home"}},
                     contexts={"x": {"cluster": "c"}}, current="x")
    env_kc = _write(tmp_path / "env", clusters={"c": {"server": "https://env"}},
                    contexts={"x": {"cluster": "c"}}, current="x")
    assert home_kc.exists()
    assert load_config(env={}, home=tmp_path / "home").server == "https://home"
    assert load_config(env={"KUBECONFIG": str(env_kc)}, home=tmp_path / "home").server == "https://env"


@pytest.mark.parametrize(("doc", "message"), [
    ({"contexts": {"x": {"cluster": "nope"}}, "current": "x"}, "names cluster 'nope'"),
    ({"clusters": {"c": {"server": "https://h"}}, "contexts": {"x": {"cluster": "c"}}}, "no current-context"),
    ({"clusters": {"c": {"server": "https://h"}}, "users": {"u": {"exec": {"command": "aws"}}},
      "contexts": {"x": {"cluster": "c", "user": "u"}}, "current": "x"}, "exec/auth-provider"),
])
def test_unusable_configs_say_why(tmp_path: Path, doc: dict[str, Any], message: str) -> None:
    path = _write(tmp_path / "kc", clusters=doc.get("clusters"), users=doc.get("users"),
                  contexts=doc.get("contexts"), current=doc.get("current"))
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_nothing_configured_is_an_error_naming_the_options(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--kubeconfig"):
        load_config(env={}, home=tmp_path, sa_dir=tmp_path / "no-sa")
