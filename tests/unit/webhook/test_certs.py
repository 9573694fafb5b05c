"""Webhook certificates (spec §11.4): generation, reuse rules, Secret storage and caBundle injection."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from grove.api.models.config import OperatorConfiguration, ServerConfig, WebhookServer
from grove.webhook import certs
from tests.unit.webhook.fakes import FakeKube

NS = "grove-system"
NAMES = certs.service_dns_names(NS)


def _webhook_config(kind: str, name: str, hooks: int = 1) -> dict[str, Any]:
    return {"apiVersion": certs.ADMISSION_API, "kind": kind, "metadata": {"name": name},
            "webhooks": [{"name": f"h{i}.grove.io", "clientConfig": {"url": "https://127.0.0.1:1/x"}}
                         for i in range(hooks)]}


def test_dns_names_are_those_of_the_spec_plus_localhost() -> None:
    assert NAMES == ["grove-operator.grove-system.svc", "grove-operator", "grove-operator.grove-system",
                     "grove-operator.grove-system.svc.cluster.local", "localhost"]


def test_generated_bundle_has_grove_ca_and_all_names() -> None:
    b = certs.generate_bundle(NAMES)
    ca = x509.load_pem_x509_certificate(b.ca_crt)
    cert = x509.load_pem_x509_certificate(b.tls_crt)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Grove-CA"
    assert ca.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Grove"
    assert cert.issuer == ca.subject
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == NAMES
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert certs.bundle_problem(b, NAMES) is None


def test_a_python_tls_client_trusting_the_ca_accepts_the_serving_cert(tmp_path: Path) -> None:
    b = certs.generate_bundle(NAMES)
    certs.write_cert_dir(tmp_path, b)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "tls.crt", tmp_path / "tls.key")
    client = ssl.create_default_context(cadata=b.ca_crt.decode())
    # Handshake in memory: proves chain, names and key agree.
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    cs = client.wrap_bio(c_in, c_out, server_hostname="grove-operator.grove-system.svc")
    ss = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for sock in (cs, ss):
            with contextlib.suppress(ssl.SSLWantReadError):
                sock.do_handshake()
        s_in.write(c_out.read())
        c_in.write(s_out.read())
    assert cs.version() is not None and ss.version() is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.crt", "tls.crt", "tls.key"]


def test_problems_are_named() -> None:
    b = certs.generate_bundle(["only.example"])
    assert "missing names" in (certs.bundle_problem(b, NAMES) or "")
    late = dt.datetime.now(dt.UTC) + certs.CERT_VALIDITY - dt.timedelta(days=1)
    assert "expires" in (certs.bundle_problem(certs.generate_bundle(NAMES), NAMES, now=late) or "")
    other = certs.generate_bundle(NAMES)
    mixed = certs.CertBundle(other.ca_crt, other.ca_key, b.tls_crt, b.tls_key)
    assert "signature does not verify" in (certs.bundle_problem(mixed, ["only.example"]) or "")
    wrong_key = certs.CertBundle(b.ca_crt, b.ca_key, b.tls_crt, other.tls_key)
    assert certs.bundle_problem(wrong_key, ["only.example"]) == "key does not match certificate"
    assert "unparseable" in (certs.bundle_problem(certs.CertBundle(b"x", b"y", b"z", b"w"), NAMES) or "")


async def test_secret_is_created_then_reused() -> None:
    kube = FakeKube()
    first = await certs.ensure_secret(kube, NS, "grove-webhook-server-cert", NAMES)
    secret = await kube.get("v1", "Secret", "grove-webhook-server-cert", NS)
    assert secret["type"] == "kubernetes.io/tls"
    assert set(secret["data"]) == {"ca.crt", "ca.key", "tls.crt", "tls.key"}
    second = await certs.ensure_secret(kube, NS, "grove-webhook-server-cert", NAMES)
    assert second == first
    assert kube.writes == [("create", "Secret", "grove-webhook-server-cert")]


async def test_unusable_secret_is_rotated_in_place() -> None:
    stale = certs.generate_bundle(["old.example"])
    kube = FakeKube({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                     "metadata": {"name": "s", "namespace": NS}, "data": stale.secret_data()})
    fresh = await certs.ensure_secret(kube, NS, "s", NAMES)
    assert fresh != stale and certs.bundle_problem(fresh, NAMES) is None
    assert kube.writes == [("update", "Secret", "s")]
    assert certs.CertBundle.from_secret(await kube.get("v1", "Secret", "s", NS)) == fresh


async def test_ca_bundle_is_injected_into_existing_configurations_only_once() -> None:
    kube = FakeKube(_webhook_config("MutatingWebhookConfiguration", "podcliqueset-defaulting-webhook"),
                    _webhook_config("ValidatingWebhookConfiguration", "podcliqueset-validating-webhook", 2))
    ca = certs.generate_bundle(NAMES).ca_crt
    updated = await certs.inject_ca_bundle(kube, ca)
    assert updated == ["podcliqueset-defaulting-webhook", "podcliqueset-validating-webhook"]
    v = await kube.get(certs.ADMISSION_API, "ValidatingWebhookConfiguration", "podcliqueset-validating-webhook")
    assert [base64.b64decode(h["clientConfig"]["caBundle"]) for h in v["webhooks"]] == [ca, ca]
    assert v["webhooks"][0]["clientConfig"]["url"] == "https://127.0.0.1:1/x"
    assert await certs.inject_ca_bundle(kube, ca) == []


async def test_ensure_certificates_auto_writes_dir_and_manual_reads_it(tmp_path: Path) -> None:
    kube = FakeKube(_webhook_config("ValidatingWebhookConfiguration", "clustertopology-validating-webhook"))
    cfg = OperatorConfiguration(server=ServerConfig(webhooks=WebhookServer(server_cert_dir=str(tmp_path))))
    served = await certs.ensure_certificates(kube, cfg, NS)
    assert served.cert_file == tmp_path / "tls.crt" and served.ca_pem is not None
    hook = (await kube.get(certs.ADMISSION_API, "ValidatingWebhookConfiguration",
                           "clustertopology-validating-webhook"))["webhooks"][0]
    assert base64.b64decode(hook["clientConfig"]["caBundle"]) == served.ca_pem

    manual = OperatorConfiguration(server=ServerConfig(webhooks=WebhookServer(
        server_cert_dir=str(tmp_path), cert_provision_mode="manual")))
    again = await certs.ensure_certificates(FakeKube(), manual, NS)
    assert again.key_file == tmp_path / "tls.key" and again.ca_pem == served.ca_pem
    empty = tmp_path / "empty"
    with pytest.raises(FileNotFoundError, match=r"tls\.crt"):
        await certs.ensure_certificates(FakeKube(), OperatorConfiguration(server=ServerConfig(webhooks=WebhookServer(
            server_cert_dir=str(empty), cert_provision_mode="manual"))), NS)
