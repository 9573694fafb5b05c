"""Webhook serving certificates (spec §11.4).

``manual``: the files in ``serverCertDir`` are used as they are (``tls.crt``/``tls.key``). ``auto``: a
self-signed CA (CN ``Grove-CA``, O ``Grove``) signs a serving certificate for the operator Service's DNS
names (plus ``localhost`` and ``127.0.0.1``, so an API server on the same host can call a local
process). The pair and the CA live in the TLS Secret ``secretName`` in the operator namespace and are
reused while they are valid for those names and not close to expiry, so every replica (and every
restart) serves the same certificate; they are then written to ``serverCertDir`` and the CA is injected
as ``caBundle`` into the admission configurations of spec §2.

Invariant: after :func:`ensure_certificates` returns, the files in ``serverCertDir``, the Secret and
every existing configuration's ``caBundle`` agree on one CA.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from grove.api.models.config import OperatorConfiguration
from grove.kube.client import KubeClient
from grove.kube.errors import AlreadyExists, Conflict, NotFound

log = logging.getLogger(__name__)

CA_COMMON_NAME = "Grove-CA"
ORGANIZATION = "Grove"
SERVICE_NAME = "grove-operator"
ADMISSION_API = "admissionregistration.k8s.io/v1"
MUTATING_CONFIGS = ("podcliqueset-defaulting-webhook",)
VALIDATING_CONFIGS = ("podcliqueset-validating-webhook", "clustertopology-validating-webhook",
                      "authorizer-webhook")
CA_VALIDITY = dt.timedelta(days=3650)
CERT_VALIDITY = dt.timedelta(days=365)
RENEW_BEFORE = dt.timedelta(days=30)
TLS_CRT, TLS_KEY, CA_CRT, CA_KEY = "tls.crt", "tls.key", "ca.crt", "ca.key"


def service_dns_names(namespace: str, service: str = SERVICE_NAME) -> list[str]:
    """The DNS names of spec §11.4 plus the loopback name for local runs."""
    return [f"{service}.{namespace}.svc", service, f"{service}.{namespace}",
            f"{service}.{namespace}.svc.cluster.local", "localhost"]


LOOPBACK_IPS = ("127.0.0.1",)


@dataclass(frozen=True)
class CertBundle:
    """PEM bytes of the CA certificate and key and of the serving certificate and key."""

    ca_crt: bytes
    ca_key: bytes
    tls_crt: bytes
    tls_key: bytes

    def secret_data(self) -> dict[str, str]:
        return {k: base64.b64encode(v).decode() for k, v in
                ((CA_CRT, self.ca_crt), (CA_KEY, self.ca_key), (TLS_CRT, self.tls_crt), (TLS_KEY, self.tls_key))}

    @classmethod
    def from_secret(cls, secret: dict[str, Any]) -> CertBundle | None:
        data = secret.get("data") or {}
        try:
            raw = {k: base64.b64decode(data[k]) for k in (CA_CRT, CA_KEY, TLS_CRT, TLS_KEY)}
        except (KeyError, ValueError, TypeError):
            return None
        return cls(raw[CA_CRT], raw[CA_KEY], raw[TLS_CRT], raw[TLS_KEY])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def generate_bundle(dns_names: list[str], ips: tuple[str, ...] = LOOPBACK_IPS,
                    now: dt.datetime | None = None) -> CertBundle:
    """A fresh CA and a serving certificate it signs, valid for ``dns_names`` and ``ips``."""
    now = now or dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(minutes=5)  # tolerate small clock skew between hosts
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION)])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION)])
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(now + CERT_VALIDITY)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return CertBundle(ca_cert.public_bytes(pem), _key_pem(ca_key), cert.public_bytes(pem), _key_pem(key))


def bundle_problem(bundle: CertBundle, dns_names: list[str], ips: tuple[str, ...] = LOOPBACK_IPS,
                   now: dt.datetime | None = None) -> str | None:
    """Why ``bundle`` cannot be reused (None if it can): unparseable, not signed by its CA, expiring
    within :data:`RENEW_BEFORE`, missing a name, or a key that does not match its certificate."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        ca = x509.load_pem_x509_certificate(bundle.ca_crt)
        cert = x509.load_pem_x509_certificate(bundle.tls_crt)
        key = serialization.load_pem_private_key(bundle.tls_key, password=None)
        serialization.load_pem_private_key(bundle.ca_key, password=None)
    except ValueError as exc:
        return f"unparseable: {exc}"
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError) as exc:
        return f"not issued by the stored CA: {exc}"
    except Exception as exc:  # InvalidSignature
        return f"signature does not verify: {exc.__class__.__name__}"
    for c in (ca, cert):
        if c.not_valid_after_utc - now < RENEW_BEFORE:
            return f"{c.subject.rfc4514_string()} expires at {c.not_valid_after_utc.isoformat()}"
    pub = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if pub != cert.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo):
        return "key does not match certificate"
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "no subjectAltName"
    have_dns = set(san.get_values_for_type(x509.DNSName))
    have_ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    missing = [n for n in dns_names if n not in have_dns] + [ip for ip in ips if ip not in have_ips]
    return f"missing names {missing}" if missing else None


def write_cert_dir(cert_dir: Path, bundle: CertBundle) -> None:
    """Write ``tls.crt``, ``tls.key`` and ``ca.crt`` (not the CA key) into ``cert_dir``."""
    cert_dir.mkdir(parents=True, exist_ok=True)
    for name, data in ((TLS_CRT, bundle.tls_crt), (TLS_KEY, bundle.tls_key), (CA_CRT, bundle.ca_crt)):
        tmp = cert_dir / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.chmod(0o600)
        tmp.replace(cert_dir / name)


def read_cert_dir(cert_dir: Path) -> tuple[Path, Path]:
    """The serving pair of a ``manual`` cert dir; FileNotFoundError names what is missing."""
    crt, key = cert_dir / TLS_CRT, cert_dir / TLS_KEY
    for p in (crt, key):
        if not p.is_file():
            raise FileNotFoundError(f"webhook certificate file {p} does not exist")
    return crt, key


async def ensure_secret(client: KubeClient, namespace: str, secret_name: str, dns_names: list[str],
                        ips: tuple[str, ...] = LOOPBACK_IPS) -> CertBundle:
    """The bundle in Secret ``namespace/secret_name``, (re)generated and stored when unusable.

    Replicas racing to create or rotate it converge: a loser of the create/update race re-reads.
    """
    for _attempt in range(5):
        try:
            secret: dict[str, Any] | None = await client.get("v1", "Secret", secret_name, namespace)
        except NotFound:
            secret = None
        if secret is not None:
            bundle = CertBundle.from_secret(secret)
            problem = "incomplete data" if bundle is None else bundle_problem(bundle, dns_names, ips)
            if bundle is not None and problem is None:
                return bundle
            log.info("webhook certificate secret %s/%s is not usable (%s); regenerating",
                     namespace, secret_name, problem)
        bundle = generate_bundle(dns_names, ips)
        try:
            if secret is None:
                await client.create({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                                     "metadata": {"name": secret_name, "namespace": namespace},
                                     "data": bundle.secret_data()})
            else:
                updated = dict(secret)
                updated["data"] = {**(secret.get("data") or {}), **bundle.secret_data()}
                await client.update(updated)
        except (AlreadyExists, Conflict):
            continue
        return bundle
    raise RuntimeError(f"could not converge on webhook certificate secret {namespace}/{secret_name}")


async def inject_ca_bundle(client: KubeClient, ca_pem: bytes,
                           mutating: tuple[str, ...] = MUTATING_CONFIGS,
                           validating: tuple[str, ...] = VALIDATING_CONFIGS) -> list[str]:
    """Set ``clientConfig.caBundle`` on every webhook of the named configurations that exist.

    Returns the names updated. Missing configurations are skipped (the authorizer one exists only when
    enabled). Conflicts are retried on a fresh read.
    """
    ca_b64 = base64.b64encode(ca_pem).decode()
    updated: list[str] = []
    for kind, names in (("MutatingWebhookConfiguration", mutating), ("ValidatingWebhookConfiguration", validating)):
        for name in names:
            for _attempt in range(5):
                try:
                    obj = await client.get(ADMISSION_API, kind, name)
                except NotFound:
                    break
                hooks = obj.get("webhooks") or []
                if all((h.get("clientConfig") or {}).get("caBundle") == ca_b64 for h in hooks):
                    break
                for h in hooks:
                    h.setdefault("clientConfig", {})["caBundle"] = ca_b64
                try:
                    await client.update(obj)
                except Conflict:
                    continue
                updated.append(name)
                break
    return updated


@dataclass(frozen=True)
class ServingCert:
    cert_file: Path
    key_file: Path
    ca_pem: bytes | None


async def ensure_certificates(client: KubeClient, config: OperatorConfiguration, namespace: str) -> ServingCert:
    """Provision per ``certProvisionMode`` and return the files to serve with."""
    hooks = config.server.webhooks
    cert_dir = Path(hooks.server_cert_dir)
    if hooks.cert_provision_mode == "manual":
        crt, key = read_cert_dir(cert_dir)
        ca = cert_dir / CA_CRT
        return ServingCert(crt, key, ca.read_bytes() if ca.is_file() else None)
    bundle = await ensure_secret(client, namespace, hooks.secret_name, service_dns_names(namespace))
    write_cert_dir(cert_dir, bundle)
    names = await inject_ca_bundle(client, bundle.ca_crt)
    if names:
        log.info("injected caBundle into %s", ", ".join(names))
    return ServingCert(cert_dir / TLS_CRT, cert_dir / TLS_KEY, bundle.ca_crt)
