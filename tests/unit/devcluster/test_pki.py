"""The generated PKI is what kube-apiserver and its clients need: a CA that signs a serving cert for
localhost/127.0.0.1 and a system:masters client cert, plus an RSA service-account key pair."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from grove.devcluster.pki import generate_pki


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_certificates_chain_to_the_ca_with_the_right_names(tmp_path: Path) -> None:
    pki = generate_pki(tmp_path / "pki")
    assert pki.complete()
    ca = _cert(pki.ca_crt)
    serving = _cert(pki.serving_crt)
    admin = _cert(pki.admin_crt)
    for leaf in (serving, admin):
        leaf.verify_directly_issued_by(ca)
    sans = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert ExtendedKeyUsageOID.SERVER_AUTH in serving.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    orgs = [a.value for a in admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    assert orgs == ["system:masters"]
    assert ExtendedKeyUsageOID.CLIENT_AUTH in admin.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value


def test_service_account_keys_match_and_private_keys_are_private(tmp_path: Path) -> None:
    pki = generate_pki(tmp_path)
    key = serialization.load_pem_private_key(pki.sa_key.read_bytes(), password=None)
    pub = serialization.load_pem_public_key(pki.sa_pub.read_bytes())
    assert isinstance(key, rsa.RSAPrivateKey)
    assert isinstance(pub, rsa.RSAPublicKey)
    assert key.public_key().public_numbers() == pub.public_numbers()
    for path in (pki.ca_key, pki.serving_key, pki.admin_key, pki.sa_key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_generation_is_a_new_ca(tmp_path: Path) -> None:
    a = _cert(generate_pki(tmp_path / "a").ca_crt)
    b = _cert(generate_pki(tmp_path / "b").ca_crt)
    assert a.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo) != \
        b.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
